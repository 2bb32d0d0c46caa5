// Package client is a Go client for the eFactura Gateway REST API v1
// (PRODUCT.md §4; the OpenAPI document is served at /api/v1/openapi.json).
// It depends on the standard library only, so ERPs and scripts can import
// it; the gateway's own API tests use it too.
//
//	c := client.New("https://gw.example", os.Getenv("EFACTURA_API_KEY"))
//	list, err := c.Invoices(ctx, &client.ListOptions{Type: "received", PerPage: 100})
//
// Every error answer of the API is returned as *Error (status, code,
// message; Retry-After on 429).
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client calls one gateway with one API key. Safe for concurrent use.
type Client struct {
	base string
	key  string
	hc   *http.Client

	mu   sync.Mutex
	last RateLimit
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the default http.Client (30 s timeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// New returns a client for the gateway at baseURL (scheme and host, e.g.
// "https://gw.example") sending apiKey ("efk_…") in X-API-KEY; an empty
// key sends none (health only).
func New(baseURL, apiKey string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), key: apiKey, hc: &http.Client{Timeout: 30 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Error is an error answer of the API: {"error","message","code"}.
type Error struct {
	StatusCode int    // HTTP status
	Status     string `json:"error"`   // HTTP status text, e.g. "Not Found"
	Message    string `json:"message"` // a human sentence
	Code       string `json:"code"`    // e.g. INVOICE_NOT_FOUND, RATE_LIMIT_EXCEEDED
	// RetryAfter is the Retry-After of a 429 (zero otherwise).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("efactura api: %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// IsCode reports whether err is an *Error with that code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// RateLimit is what the last answer's X-RateLimit-* headers said.
type RateLimit struct {
	Limit     int       // requests per minute
	Remaining int       // requests left at once
	Reset     time.Time // when the budget is full again
}

// LastRateLimit returns the rate-limit headers of the latest answer.
func (c *Client) LastRateLimit() RateLimit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// Invoice is one invoice in the Flask gateway's shape; a term the invoice
// lacks is nil. Amounts are JSON numbers with the invoice's own decimals,
// kept as json.Number (never a float).
type Invoice struct {
	ID            int64       `json:"id"`
	ANAFID        string      `json:"anaf_id"`
	InvoiceType   string      `json:"invoice_type"` // FACTURA PRIMITA | FACTURA TRIMISA | ERORI FACTURA | …
	CIFEmitent    *string     `json:"cif_emitent"`
	CIFBeneficiar *string     `json:"cif_beneficiar"`
	IssuerName    *string     `json:"issuer_name"`
	ReceiverName  *string     `json:"receiver_name"`
	SupplierName  *string     `json:"supplier_name"`
	SupplierCIF   *string     `json:"supplier_cif"`
	InvoiceNumber *string     `json:"invoice_number"`
	InvoiceDate   *string     `json:"invoice_date"` // YYYY-MM-DD
	DueDate       *string     `json:"due_date"`
	Currency      *string     `json:"currency"`
	TotalAmount   json.Number `json:"total_amount"` // BT-112; "" when null
	VATAmount     json.Number `json:"vat_amount"`   // BT-110; "" when null
	SyncedAt      time.Time   `json:"synced_at"`
	DownloadURL   string      `json:"download_url"`
	ParseStatus   string      `json:"parse_status"` // ok | unreadable | anaf_errors
	ParseError    *string     `json:"parse_error"`
	DuplicateOf   *int64      `json:"duplicate_of"` // the first invoice of the same identity and total (ANAF re-published it)
	ConflictOf    *int64      `json:"conflict_of"`  // the first invoice of the same identity with another total
}

// InvoiceDetail is GET /api/v1/invoices/{id}'s data: the invoice and its
// parsed details (the structured invoice, amounts as decimal strings).
type InvoiceDetail struct {
	Invoice
	Details     json.RawMessage `json:"details"` // null when the document could not be parsed
	ZIPSHA256   string          `json:"zip_sha256"`
	UploadID    *string         `json:"upload_id"`
	ANAFDetails *string         `json:"anaf_details"`
	// Validation is the gateway's own validator's verdict on the invoice.
	Validation InvoiceValidation `json:"validation"`
	// Risk are the supplier risk flags of a received invoice (risk.go).
	Risk InvoiceRisk `json:"risk"`
}

// InvoiceValidation is the native validator's verdict on an archived
// invoice: State pending | valid | invalid | not_applicable | failed.
type InvoiceValidation struct {
	State         string          `json:"state"`
	Errors        int             `json:"errors"`
	Warnings      int             `json:"warnings"`
	ValidatedWith *string         `json:"validated_with"` // "ro 1.0.9"; nil while pending
	ValidatedAt   *time.Time      `json:"validated_at"`
	Report        json.RawMessage `json:"report"` // {profile, doctype, errors, warnings}; null when none
}

// Pagination is the list's pagination block.
type Pagination struct {
	Page    int  `json:"page"`
	PerPage int  `json:"per_page"`
	Total   int  `json:"total"`
	Pages   int  `json:"pages"`
	HasNext bool `json:"has_next"`
	HasPrev bool `json:"has_prev"`
}

// InvoiceList is one page of GET /api/v1/invoices.
type InvoiceList struct {
	Data       []Invoice  `json:"data"`
	Pagination Pagination `json:"pagination"`
	Meta       struct {
		CompanyID  int64  `json:"company_id"`
		CompanyCIF string `json:"company_cif"`
	} `json:"meta"`
}

// ListOptions are the list's (and the export's) query parameters; zero
// values are left out.
type ListOptions struct {
	Page, PerPage       int
	SupplierCIF         string
	DateFrom, DateTo    string // YYYY-MM-DD, on the issue date
	Type                string // received | sent | error
	Q                   string
	SortBy, SortOrder   string // invoice_date|total_amount|synced_at|anaf_id; asc|desc
	Format, Lang, Lines string // export only: csv|xlsx, ro|en, 1
}

func (o *ListOptions) values() url.Values {
	v := url.Values{}
	if o == nil {
		return v
	}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	if o.Page > 0 {
		v.Set("page", strconv.Itoa(o.Page))
	}
	if o.PerPage > 0 {
		v.Set("per_page", strconv.Itoa(o.PerPage))
	}
	set("supplier_cif", o.SupplierCIF)
	set("date_from", o.DateFrom)
	set("date_to", o.DateTo)
	set("type", o.Type)
	set("q", o.Q)
	set("sort_by", o.SortBy)
	set("sort_order", o.SortOrder)
	set("format", o.Format)
	set("lang", o.Lang)
	set("lines", o.Lines)
	return v
}

// Health is GET /api/v1/health.
type Health struct {
	Status    string                     `json:"status"` // healthy | degraded | unhealthy
	Timestamp time.Time                  `json:"timestamp"`
	Version   string                     `json:"version"`
	Checks    map[string]json.RawMessage `json:"checks"` // "database": "healthy", "company": {…} with a key
}

// SyncRun is one synchronisation run of the key's company.
type SyncRun struct {
	ID          int64      `json:"id"`
	Status      string     `json:"status"` // queued | running | ok | ok_with_warnings | partial | failed
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	WindowStart *time.Time `json:"window_start"`
	WindowEnd   *time.Time `json:"window_end"`
	Pages       int        `json:"pages"`
	TotalPages  int        `json:"total_pages"`
	Found       int        `json:"found"`
	New         int        `json:"new"`
	Failed      int        `json:"failed"`
	AtRisk      int        `json:"at_risk_messages"`
	Warning     string     `json:"warning,omitempty"`
	Error       string     `json:"error,omitempty"`
	Kind        string     `json:"kind"` // incremental | relist
	Expired     int        `json:"expired_messages"`
	Deferred    int        `json:"deferred_messages"`
	Foreign     int        `json:"foreign_messages"`
	Duplicates  int        `json:"duplicate_messages"`
	Conflicts   int        `json:"conflict_messages"`
}

// Health calls GET /api/v1/health. A 503 is returned as the Health and an *Error.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var h Health
	body, status, err := c.do(ctx, http.MethodGet, "/api/v1/health", nil)
	if err != nil && status != http.StatusServiceUnavailable {
		return nil, err
	}
	if jerr := json.Unmarshal(body, &h); jerr != nil {
		return nil, fmt.Errorf("efactura api: health: %w", jerr)
	}
	return &h, err
}

// Invoices calls GET /api/v1/invoices.
func (c *Client) Invoices(ctx context.Context, o *ListOptions) (*InvoiceList, error) {
	var out InvoiceList
	if err := c.getJSON(ctx, "/api/v1/invoices", o.values(), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Invoice calls GET /api/v1/invoices/{id}.
func (c *Client) Invoice(ctx context.Context, id int64) (*InvoiceDetail, error) {
	var out struct {
		Data InvoiceDetail `json:"data"`
	}
	if err := c.getJSON(ctx, fmt.Sprintf("/api/v1/invoices/%d", id), nil, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// Download returns the invoice's original ANAF ZIP.
func (c *Client) Download(ctx context.Context, id int64) ([]byte, error) {
	return c.bytes(ctx, fmt.Sprintf("/api/v1/invoices/%d/download", id), nil)
}

// XML returns the invoice document from the archived ZIP.
func (c *Client) XML(ctx context.Context, id int64) ([]byte, error) {
	return c.bytes(ctx, fmt.Sprintf("/api/v1/invoices/%d/xml", id), nil)
}

// PDF returns the invoice rendered as PDF; lang "ro" (default) or "en".
func (c *Client) PDF(ctx context.Context, id int64, lang string) ([]byte, error) {
	v := url.Values{}
	if lang != "" {
		v.Set("lang", lang)
	}
	return c.bytes(ctx, fmt.Sprintf("/api/v1/invoices/%d/pdf", id), v)
}

// Export returns the CSV or XLSX export of the filtered invoices (o.Format).
func (c *Client) Export(ctx context.Context, o *ListOptions) ([]byte, error) {
	return c.bytes(ctx, "/api/v1/invoices/export", o.values())
}

// SyncRuns calls GET /api/v1/sync; limit 0 takes the server's default.
func (c *Client) SyncRuns(ctx context.Context, limit int) ([]SyncRun, error) {
	v := url.Values{}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Runs []SyncRun `json:"runs"`
	}
	if err := c.getJSON(ctx, "/api/v1/sync", v, &out); err != nil {
		return nil, err
	}
	return out.Runs, nil
}

// StartSync calls POST /api/v1/sync (needs a write key).
func (c *Client) StartSync(ctx context.Context) (*SyncRun, error) {
	body, _, err := c.do(ctx, http.MethodPost, "/api/v1/sync", nil)
	if err != nil {
		return nil, err
	}
	var run SyncRun
	if err := json.Unmarshal(body, &run); err != nil {
		return nil, fmt.Errorf("efactura api: sync: %w", err)
	}
	return &run, nil
}

func (c *Client) getJSON(ctx context.Context, path string, q url.Values, out any) error {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	body, _, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("efactura api: GET %s: %w", path, err)
	}
	return nil
}

func (c *Client) bytes(ctx context.Context, path string, q url.Values) ([]byte, error) {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	body, _, err := c.do(ctx, http.MethodGet, path, nil)
	return body, err
}

// maxAnswer bounds what the client reads (exports are the largest answers).
const maxAnswer = 512 << 20

// do sends a request and returns the body; a status ≥ 400 is an *Error.
// headers are name, value pairs.
func (c *Client) do(ctx context.Context, method, path string, body io.Reader, headers ...string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, 0, fmt.Errorf("efactura api: %w", err)
	}
	if c.key != "" {
		req.Header.Set("X-API-KEY", c.key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("efactura api: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("efactura api: %s %s: %w", method, path, err)
	}
	c.noteRateLimit(resp.Header)
	if resp.StatusCode >= 400 {
		e := &Error{StatusCode: resp.StatusCode}
		if json.Unmarshal(b, e) != nil || e.Code == "" {
			e.Status, e.Code, e.Message = http.StatusText(resp.StatusCode), "HTTP_"+strconv.Itoa(resp.StatusCode), strings.TrimSpace(string(b))
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return b, resp.StatusCode, e
	}
	return b, resp.StatusCode, nil
}

func (c *Client) noteRateLimit(h http.Header) {
	limit, err := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	if err != nil {
		return
	}
	rl := RateLimit{Limit: limit}
	rl.Remaining, _ = strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		rl.Reset = time.Unix(reset, 0)
	}
	c.mu.Lock()
	c.last = rl
	c.mu.Unlock()
}
