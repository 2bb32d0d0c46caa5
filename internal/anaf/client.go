// Package anaf is a client for ANAF's RO e-Factura API (OAuth2 at
// logincert.anaf.ro, REST at api.anaf.ro/{test,prod}/FCTEL/rest).
// Protocol reference: shared/anaf/API.md.
//
// Every answer's body is read (bounded) before its status is looked at,
// because ANAF sends business errors, quota refusals and "no messages" with
// HTTP 200. Failures are *Error values with a Kind, ANAF's verbatim Text and
// errors.Is-friendly sentinels (ErrUnauthorized, ErrQuota, ErrTransient, …).
// The client does not retry unless Config.Retry is set; Retry is exported so
// the sync engine can decide.
//
// Before every REST call the client spends its own quota accounting of
// ANAF's published limits (API.md §7, QuotaLimits, Config.Quota) and refuses
// locally, with an *Error whose Local is true, a call ANAF would refuse; an
// optional Config.Observer sees every attempt (endpoint, outcome, status,
// duration) for metrics.
package anaf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/efactura-gateway/efactura/internal/tracing"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// Environment selects the /test/ or /prod/ API path segment.
type Environment string

// Environments.
const (
	EnvTest Environment = "test"
	EnvProd Environment = "prod"
)

// Default limits and endpoints.
const (
	DefaultBaseURL      = "https://api.anaf.ro"
	DefaultPublicURL    = "https://webservicesp.anaf.ro" // validare, transformare, signature check without a token
	DefaultOAuthURL     = "https://logincert.anaf.ro"
	DefaultTimeout      = 60 * time.Second
	DefaultMaxZIPBytes  = 64 << 20 // descarcare
	DefaultMaxBodyBytes = 16 << 20 // JSON / XML / text answers
	DefaultUserAgent    = "efactura-gateway"
)

// Endpoint names used in Error.Endpoint.
const (
	epUpload    = "upload"
	epUploadB2C = "uploadb2c"
	epStatus    = "stareMesaj"
	epList      = "listaMesajeFactura"
	epListPaged = "listaMesajePaginatieFactura"
	epDownload  = "descarcare"
	epToken     = "token"
	epRevoke    = "revoke"
	epHello     = "hello"
	epValidate  = "validare"
	epTransform = "transformare"
	epSignature = "validate-signature"
)

// Config configures a Client.
type Config struct {
	BaseURL string // scheme and host, default https://api.anaf.ro (trailing slash tolerated)
	// PublicBaseURL is the host of the token-less validare, transformare
	// and signature check (used when the access token passed is empty),
	// default https://webservicesp.anaf.ro (trailing slash tolerated).
	PublicBaseURL string
	OAuthURL      string      // scheme and host, default https://logincert.anaf.ro (trailing slash tolerated)
	Env           Environment // default EnvProd
	ClientID      string
	ClientSecret  string
	RedirectURI   string
	HTTPClient    *http.Client  // default: a client with Timeout
	Timeout       time.Duration // per call, default 60s

	MaxZIPBytes  int64            // largest accepted ZIP (descarcare), default 64 MiB
	MaxBodyBytes int64            // largest accepted JSON/XML/text answer, default 16 MiB
	UserAgent    string           // default "efactura-gateway"
	Now          func() time.Time // clock, default time.Now
	// Retry, when non-nil, makes the read-only calls (ListMessagesPage,
	// Download, Status, Hello) retry transient failures with this policy.
	// Upload and the OAuth calls never retry internally (an upload whose
	// answer was lost must be reconciled; a refresh may have rotated the
	// refresh token). Default nil: no internal retries.
	Retry *RetryPolicy

	// Quota is the client's own accounting of ANAF's published limits
	// (API.md §7), checked before every call: a call that would exceed a
	// limit is refused with a local *Error (Kind KindQuota, Local true)
	// without contacting ANAF. Nil: a MemoryQuota private to this Client
	// (share one NewMemoryQuota per process, or QuotaTakeFunc(store.QuotaTake)
	// across replicas); UnlimitedQuota turns the accounting off.
	Quota QuotaLimiter
	// QuotaLimits are the limits Quota enforces; zero fields take ANAF's
	// published values (DefaultQuotaLimits).
	QuotaLimits QuotaLimits
	// Observer, when non-nil, is called after every attempt of every call
	// (including local refusals and each retry) with its endpoint, outcome,
	// HTTP status and duration: the metrics hook.
	Observer Observer

	// VATURL is the VAT-payer service (vat.go), default
	// PublicBaseURL + VATPath.
	VATURL string
	// VATLimiter paces LookupVAT (ANAF: one request a second); nil: no
	// pacing. Share one NewVATLimiter per process.
	VATLimiter VATLimiter
}

// CallInfo describes one finished attempt, for Config.Observer.
type CallInfo struct {
	Endpoint   string        // ANAF endpoint name, as Error.Endpoint ("descarcare", "token", …)
	Outcome    string        // "ok", or the ErrorKind's String() ("quota exceeded", "transient failure", …)
	Kind       ErrorKind     // 0 on success; KindOf the error otherwise (KindTransient for a non-*Error)
	HTTPStatus int           // 0 when no answer arrived or the call was refused locally
	Duration   time.Duration // wall time of the attempt (reading the whole body included)
	Local      bool          // refused by the client before calling ANAF (quota accounting, argument check)
}

// Observer receives one CallInfo per attempt. It runs synchronously on the
// calling goroutine, so it must be fast and safe for concurrent use.
type Observer func(CallInfo)

// Token is an OAuth grant. Times are UTC.
type Token struct {
	AccessToken      string
	RefreshToken     string
	ExpiresAt        time.Time  // from the JWT exp claim, else expires_in
	RefreshExpiresAt *time.Time // from the refresh JWT exp claim when present
}

// Message is one element of a message list (all values are ANAF's strings).
type Message struct {
	ID            string    `json:"id"`            // download id (id_descarcare)
	UploadID      string    `json:"id_solicitare"` // id_incarcare
	CIF           string    `json:"cif"`
	CreatedRaw    string    `json:"data_creare"` // yyyyMMddHHmm, Europe/Bucharest
	Type          string    `json:"tip"`
	Details       string    `json:"detalii"`
	CreatedAt     time.Time `json:"-"` // CreatedRaw parsed in Europe/Bucharest, as UTC
	CIFEmitent    string    `json:"-"` // parsed from Details ("" when absent)
	CIFBeneficiar string    `json:"-"`
}

// UploadStatus is the answer of stareMesaj.
type UploadStatus struct {
	State      string // "ok" | "nok" | "in prelucrare" | "XML cu erori nepreluat de sistem"
	DownloadID string // id_descarcare, when ok or nok
}

// Client calls ANAF. Safe for concurrent use.
type Client struct {
	cfg    Config
	quota  QuotaLimiter
	limits QuotaLimits
}

// New returns a client with defaults filled in. BaseURL and OAuthURL lose a
// trailing slash; an empty Env becomes EnvProd.
func New(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.OAuthURL == "" {
		cfg.OAuthURL = DefaultOAuthURL
	}
	if cfg.PublicBaseURL == "" {
		cfg.PublicBaseURL = DefaultPublicURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	cfg.PublicBaseURL = strings.TrimRight(cfg.PublicBaseURL, "/")
	cfg.OAuthURL = strings.TrimRight(cfg.OAuthURL, "/")
	if cfg.Env == "" {
		cfg.Env = EnvProd
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.MaxZIPBytes <= 0 {
		cfg.MaxZIPBytes = DefaultMaxZIPBytes
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{cfg: cfg, quota: cfg.Quota, limits: cfg.QuotaLimits.withDefaults()}
	if c.quota == nil {
		c.quota = NewMemoryQuota()
	}
	return c
}

// Bucharest returns the Europe/Bucharest location (ANAF's local time; see
// internal/tz).
func Bucharest() *time.Location { return tz.Bucharest() }

// restURL is {BaseURL}/{env}/FCTEL/rest/{endpoint}.
func (c *Client) restURL(endpoint string) string {
	return c.cfg.BaseURL + "/" + string(c.cfg.Env) + "/FCTEL/rest/" + endpoint
}

// oauthURL is {OAuthURL}/anaf-oauth2/v1/{endpoint}.
func (c *Client) oauthURL(endpoint string) string {
	return c.cfg.OAuthURL + "/anaf-oauth2/v1/" + endpoint
}

// request describes one HTTP exchange.
type request struct {
	endpoint    string
	method      string
	url         string
	body        []byte
	contentType string
	bearer      string
	basicAuth   bool
	accept      string
	limit       int64
	upload      bool // transport failures after sending mean "outcome unknown"
	status      *int // when set, receives the HTTP status of the answer
}

// response is a fully read answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do performs req with the per-call timeout and reads the whole body within
// the limit. Errors are *Error (transient, outcome unknown, canceled,
// malformed for an oversize body).
func (c *Client) do(ctx context.Context, req request) (*response, error) {
	// A caller that has already given up sends nothing: not an "outcome unknown".
	if err := ctx.Err(); err != nil {
		return nil, &Error{Kind: KindCanceled, Endpoint: req.endpoint, Err: err}
	}
	cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hreq, err := http.NewRequestWithContext(cctx, req.method, req.url, body)
	if err != nil {
		return nil, &Error{Kind: KindInvalidRequest, Endpoint: req.endpoint, Err: err}
	}
	if req.contentType != "" {
		hreq.Header.Set("Content-Type", req.contentType)
	}
	if req.accept != "" {
		hreq.Header.Set("Accept", req.accept)
	}
	if req.bearer != "" {
		hreq.Header.Set("Authorization", "Bearer "+req.bearer)
	}
	if req.basicAuth {
		hreq.SetBasicAuth(c.cfg.ClientID, c.cfg.ClientSecret)
	}
	hreq.Header.Set("User-Agent", c.cfg.UserAgent)

	hresp, err := c.cfg.HTTPClient.Do(hreq)
	if err != nil {
		return nil, c.transportError(ctx, req, 0, err, true)
	}
	defer hresp.Body.Close()
	if req.status != nil {
		*req.status = hresp.StatusCode
	}
	limit := req.limit
	if limit <= 0 {
		limit = c.cfg.MaxBodyBytes
	}
	data, err := readBody(hresp, limit)
	if err != nil {
		return nil, c.transportError(ctx, req, hresp.StatusCode, fmt.Errorf("read body: %w", err), false)
	}
	if int64(len(data)) > limit {
		return nil, &Error{Kind: KindMalformed, Endpoint: req.endpoint, HTTPStatus: hresp.StatusCode,
			Err: fmt.Errorf("response body larger than %d bytes", limit)}
	}
	return &response{status: hresp.StatusCode, header: hresp.Header, body: data}, nil
}

// attempt runs one attempt of a call: the quota reservation (uses; the
// per-minute counter is always spent unless noQuota), then fn, then the
// Observer. fn receives a pointer to pass as request.status.
func (c *Client) attempt(ctx context.Context, endpoint string, noQuota bool, uses []quotaUse, fn func(status *int) error) error {
	start := time.Now()
	// One client span per attempt (a no-op span while tracing is off).
	ctx, span := tracing.Start(ctx, "anaf "+endpoint, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("anaf.endpoint", endpoint)))
	var status int
	var err error
	if !noQuota {
		err = c.reserve(ctx, endpoint, uses)
	}
	if err == nil {
		err = fn(&status)
	}
	info := CallInfo{Endpoint: endpoint, Outcome: "ok", HTTPStatus: status, Duration: time.Since(start)}
	if err != nil {
		info.Kind = KindTransient
		var e *Error
		if errors.As(err, &e) {
			info.Kind, info.Local = e.Kind, e.Local
			if info.HTTPStatus == 0 {
				info.HTTPStatus = e.HTTPStatus
			}
		}
		info.Outcome = info.Kind.String()
	}
	if span.IsRecording() {
		span.SetAttributes(attribute.String("anaf.outcome", info.Outcome), attribute.Bool("anaf.local", info.Local))
		if info.HTTPStatus != 0 {
			span.SetAttributes(attribute.Int("http.response.status_code", info.HTTPStatus))
		}
	}
	tracing.End(span, err)
	if c.cfg.Observer != nil {
		c.cfg.Observer(info)
	}
	return err
}

// transportError classifies a failure without a complete answer.
func (c *Client) transportError(parent context.Context, req request, status int, err error, beforeAnswer bool) *Error {
	e := &Error{Endpoint: req.endpoint, HTTPStatus: status, Err: err}
	switch {
	case parent.Err() != nil:
		e.Kind = KindCanceled
		e.Err = fmt.Errorf("%w (%w)", parent.Err(), err)
		if req.upload && (!beforeAnswer || !isDialError(err)) {
			e.Kind = KindOutcomeUnknown
		}
	case req.upload && (!beforeAnswer || !isDialError(err)):
		e.Kind = KindOutcomeUnknown
	default:
		e.Kind = KindTransient
	}
	return e
}

// isDialError reports a failure to connect, i.e. nothing was sent.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Op == "dial"
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

var (
	reHTMLStart = regexp.MustCompile(`(?is)^\s*(<!doctype\s+html\b|<(html|head|body|title)[\s>/])`)
	reTags      = regexp.MustCompile(`(?s)<[^>]*>`)
	reSpaces    = regexp.MustCompile(`\s+`)
)

const maxTextLen = 2000

// isHTML reports an HTML page where an API answer was expected (F5 firewall
// "The requested URL was rejected…", "Mentenanta sistem").
func isHTML(resp *response) bool {
	if strings.HasPrefix(strings.ToLower(resp.header.Get("Content-Type")), "text/html") {
		return true
	}
	return reHTMLStart.Match(resp.body)
}

// visibleText returns the text of an HTML page (tags dropped, entities
// decoded, whitespace collapsed), or a plain body trimmed, capped.
func visibleText(body []byte) string {
	s := string(body)
	if reHTMLStart.MatchString(s) {
		s = reTags.ReplaceAllString(s, " ")
		s = html.UnescapeString(s)
	}
	s = strings.TrimSpace(reSpaces.ReplaceAllString(s, " "))
	if len(s) > maxTextLen {
		s = strings.ToValidUTF8(s[:maxTextLen], "") + "…"
	}
	return s
}

// precheck maps the answers that do not depend on the endpoint's format:
// HTML pages, 401/403, 429, 204, 5xx and empty bodies. It returns nil when
// the body must be decoded by the endpoint. ANAF's texts win over statuses:
// a JSON/XML body on a 5xx is still read by the caller, so precheck lets
// non-empty non-HTML 4xx/5xx bodies through except 401/403/429.
func (c *Client) precheck(endpoint string, resp *response) *Error {
	e := &Error{Endpoint: endpoint, HTTPStatus: resp.status}
	switch {
	case isHTML(resp):
		e.Kind = KindTransient
		e.Text = visibleText(resp.body)
		e.Err = errors.New("HTML page instead of an API answer (firewall or maintenance)")
		if resp.status == http.StatusUnauthorized {
			e.Kind = KindUnauthorized
		}
		return e
	case resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden:
		e.Kind = KindUnauthorized
		e.Text = jsonMessage(resp.body)
		e.Code = bearerErrorCode(resp.header.Get("WWW-Authenticate"))
		return e
	case resp.status == http.StatusTooManyRequests:
		e.Kind = KindQuota
		e.Quota = QuotaRate
		e.Text = jsonMessage(resp.body)
		e.RetryAfter = parseRetryAfter(resp.header.Get("Retry-After"), c.cfg.Now())
		if e.RetryAfter <= 0 {
			// No Retry-After: the limit is per minute, not per hour.
			e.RetryAfter = rateLimitWait()
		}
		return e
	case resp.status == http.StatusNoContent:
		e.Kind = KindQuota
		e.Quota = QuotaNoContent
		return e
	case len(bytes.TrimSpace(resp.body)) == 0:
		e.Kind = KindTransient
		e.Err = errors.New("empty body")
		if resp.status >= 400 && resp.status < 500 && resp.status != http.StatusNotFound && resp.status != http.StatusRequestTimeout {
			e.Kind = KindInvalidRequest
		}
		e.RetryAfter = parseRetryAfter(resp.header.Get("Retry-After"), c.cfg.Now())
		return e
	}
	return nil
}

// jsonMessage extracts message/error_description/eroare from a JSON body, or
// the visible text of a non-JSON body.
func jsonMessage(body []byte) string {
	var j wireError
	if decodeJSON(body, &j) == nil {
		for _, s := range []string{j.Eroare, j.Message, j.ErrorDescription, j.Error} {
			if s != "" {
				return s
			}
		}
	}
	return visibleText(body)
}

var reBearerErr = regexp.MustCompile(`(?i)error\s*=\s*"?([^",\s]+)`)

func bearerErrorCode(h string) string {
	if m := reBearerErr.FindStringSubmatch(h); m != nil {
		return m[1]
	}
	return ""
}

func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// statusError maps a non-2xx answer whose body said nothing we recognise.
func statusError(endpoint string, resp *response, text string, cause error) *Error {
	e := &Error{Endpoint: endpoint, HTTPStatus: resp.status, Text: text, Err: cause}
	switch {
	case resp.status >= 500, resp.status == http.StatusRequestTimeout, resp.status == http.StatusNotFound:
		// 404 without a Spring body: maintenance answered 404 (API.md §1).
		e.Kind = KindTransient
	case resp.status >= 400:
		e.Kind = KindInvalidRequest
	default:
		e.Kind = KindMalformed
	}
	return e
}

// readBody reads a response body of at most limit bytes (limit+1 read
// tell a larger one): into one buffer of the announced size when the
// Content-Length is known and within limit (a ZIP of ANAF's is; io.ReadAll
// would grow its buffer by doubling, copying and allocating ~2× the body),
// else as io.ReadAll. A body shorter than announced fails as with ReadAll.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= limit {
		buf := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit+1))
}
