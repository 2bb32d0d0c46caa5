package anaf

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxPages bounds ListMessages (500 messages a page: 500 000 messages).
const MaxPages = 1000

// wireMessage tolerates numbers where ANAF documents strings.
type wireMessage struct {
	DataCreare   flexString `json:"data_creare"`
	CIF          flexString `json:"cif"`
	IDSolicitare flexString `json:"id_solicitare"`
	Detalii      flexString `json:"detalii"`
	Tip          flexString `json:"tip"`
	ID           flexString `json:"id"`
}

type wireList struct {
	wireError
	Mesaje           []wireMessage `json:"mesaje"`
	NumarTotalPagini flexString    `json:"numar_total_pagini"`
	NumarTotal       flexString    `json:"numar_total_inregistrari"`
	PerPagina        flexString    `json:"numar_total_inregistrari_per_pagina"`
	// index_pagina_curenta is deliberately not read: the page asked for is
	// the page we number ourselves (issue 3: never trust ANAF's echo).
}

// Filter is the optional filtru of both lists (API.md §3.4).
type Filter string

// Filters.
const (
	FilterAll           Filter = ""  // no filtru parameter
	FilterErrors        Filter = "E" // ERORI FACTURA
	FilterSent          Filter = "T" // FACTURA TRIMISA
	FilterReceived      Filter = "P" // FACTURA PRIMITA
	FilterBuyerMessages Filter = "R" // MESAJ CUMPARATOR PRIMIT / TRANSMIS
)

// valid reports whether f is one of the Filter constants.
func (f Filter) valid() bool {
	switch f {
	case FilterAll, FilterErrors, FilterSent, FilterReceived, FilterBuyerMessages:
		return true
	}
	return false
}

// ListOptions are the optional parameters of the message lists.
type ListOptions struct {
	Filter Filter // filtru; FilterAll sends none
}

// PageSize is ANAF's page size of listaMesajePaginatieFactura.
const PageSize = 500

// localInvalid is an argument the client refuses before calling ANAF.
func localInvalid(endpoint, text string) *Error {
	return &Error{Kind: KindInvalidRequest, Endpoint: endpoint, Local: true, Text: text}
}

// ListMessagesPage calls listaMesajePaginatieFactura for one page (1-based),
// GET {base}/listaMesajePaginatieFactura?startTime=<ms>&endTime=<ms>&cif=<cui>&pagina=<n>.
// start and end are sent as Unix milliseconds (absolute instants; use
// Window to compute them). Returns the messages and the total pages.
// "Nu exista mesaje in …" is an empty result (nil, 0, nil); "Pagina
// solicitata N este mai mare decat numarul toatal de pagini M" is
// (nil, M, nil). Both are recognised with HTTP 200 and 400.
// Each message has CreatedAt (data_creare in Europe/Bucharest, as UTC; zero
// when unparsable) and CIFEmitent/CIFBeneficiar parsed from detalii.
// Errors: *Error (ErrUnauthorized, ErrNoRights, ErrQuota, ErrInvalidRequest,
// ErrTransient, ErrMalformed, …).
func (c *Client) ListMessagesPage(ctx context.Context, accessToken, cif string, start, end time.Time, page int) (msgs []Message, totalPages int, err error) {
	return c.ListMessagesPageWithOptions(ctx, accessToken, cif, start, end, page, ListOptions{})
}

// ListMessagesPageWithOptions is ListMessagesPage with a filtru (E, T, P or
// R; FilterAll sends none). totalPages is the larger of
// numar_total_pagini and ⌈numar_total_inregistrari / per page⌉;
// index_pagina_curenta is ignored. An unknown Filter is a local
// ErrInvalidRequest (ANAF not called). The call spends one unit of the
// listaMesajePaginatieFactura per-CIF daily quota (see QuotaLimits).
func (c *Client) ListMessagesPageWithOptions(ctx context.Context, accessToken, cif string, start, end time.Time, page int, opts ListOptions) (msgs []Message, totalPages int, err error) {
	if !opts.Filter.valid() {
		return nil, 0, localInvalid(epListPaged, fmt.Sprintf("The gateway refused the filter %q before calling ANAF: filtru must be E, T, P or R.", opts.Filter))
	}
	q := url.Values{}
	q.Set("startTime", strconv.FormatInt(start.UnixMilli(), 10))
	q.Set("endTime", strconv.FormatInt(end.UnixMilli(), 10))
	q.Set("cif", cif)
	q.Set("pagina", strconv.Itoa(page))
	if opts.Filter != FilterAll {
		q.Set("filtru", string(opts.Filter))
	}
	err = c.withRetry(ctx, func() error {
		return c.attempt(ctx, epListPaged, false, []quotaUse{c.useListPaged(cif)}, func(st *int) error {
			var e error
			msgs, totalPages, e = c.listOnce(ctx, epListPaged, accessToken, q, st)
			return e
		})
	})
	return msgs, totalPages, err
}

// listOnce calls one of the two list endpoints and decodes the answer.
func (c *Client) listOnce(ctx context.Context, endpoint, accessToken string, q url.Values, st *int) ([]Message, int, error) {
	resp, err := c.do(ctx, request{
		endpoint: endpoint, method: http.MethodGet, url: c.restURL(endpoint) + "?" + q.Encode(),
		bearer: accessToken, accept: "application/json", status: st,
	})
	if err != nil {
		return nil, 0, err
	}
	if e := c.precheck(endpoint, resp); e != nil {
		return nil, 0, e
	}
	var w wireList
	if derr := decodeJSON(resp.body, &w); derr != nil {
		return nil, 0, statusError(endpoint, resp, visibleText(resp.body), fmt.Errorf("decode list: %w", derr))
	}
	if w.Eroare != "" {
		if reNoMessages.MatchString(w.Eroare) {
			return nil, 0, nil
		}
		if m := rePastLast.FindStringSubmatch(w.Eroare); m != nil {
			total, _ := strconv.Atoi(m[2])
			return nil, total, nil
		}
		return nil, 0, classifyText(endpoint, resp.status, w.Eroare, c.cfg.Now())
	}
	if e := familyDError(endpoint, resp.status, &w.wireError); e != nil {
		return nil, 0, e
	}
	if resp.status < 200 || resp.status > 299 {
		return nil, 0, statusError(endpoint, resp, visibleText(resp.body), nil)
	}
	if w.Mesaje == nil && w.NumarTotalPagini == "" {
		return nil, 0, &Error{Kind: KindMalformed, Endpoint: endpoint, HTTPStatus: resp.status,
			Text: visibleText(resp.body), Err: fmt.Errorf("answer has neither mesaje nor eroare")}
	}
	total64, _ := w.NumarTotalPagini.int()
	if n, ok := w.NumarTotal.int(); ok && n > 0 {
		per, ok := w.PerPagina.int()
		if !ok || per <= 0 {
			per = PageSize
		}
		total64 = max(total64, (n+per-1)/per)
	}
	msgs := make([]Message, 0, len(w.Mesaje))
	for _, m := range w.Mesaje {
		msgs = append(msgs, newMessage(m))
	}
	return msgs, int(total64), nil
}

// MaxDays is the largest zile of listaMesajeFactura.
const MaxDays = 60

// ListRecentMessages calls the simple list, GET {base}/listaMesajeFactura?zile=<days>&cif=<cui>[&filtru=E|T|P|R],
// for the last days (1..60) and returns its messages as ListMessages does
// (CreatedAt, CIFEmitent/CIFBeneficiar; unknown tip kept as written).
// ANAF answers at most 500 messages: above that it refuses with
// ErrListTooLarge (Kind KindListTooLarge), never a truncated list, so
// completeness must come from ListMessages. "Nu exista mesaje in ultimele N
// zile" is an empty result. days outside 1..60 or an unknown Filter are a
// local ErrInvalidRequest (ANAF not called). Other errors as
// ListMessagesPage (Quota QuotaList for the 1500/CIF/day quota, ANAF's or
// the client's own).
func (c *Client) ListRecentMessages(ctx context.Context, accessToken, cif string, days int, opts ListOptions) ([]Message, error) {
	if days < 1 || days > MaxDays {
		return nil, localInvalid(epList, fmt.Sprintf("The gateway refused zile=%d before calling ANAF: it must be between 1 and %d.", days, MaxDays))
	}
	if !opts.Filter.valid() {
		return nil, localInvalid(epList, fmt.Sprintf("The gateway refused the filter %q before calling ANAF: filtru must be E, T, P or R.", opts.Filter))
	}
	q := url.Values{}
	q.Set("zile", strconv.Itoa(days))
	q.Set("cif", cif)
	if opts.Filter != FilterAll {
		q.Set("filtru", string(opts.Filter))
	}
	var out []Message
	err := c.withRetry(ctx, func() error {
		return c.attempt(ctx, epList, false, []quotaUse{c.useList(cif)}, func(st *int) error {
			var e error
			out, _, e = c.listOnce(ctx, epList, accessToken, q, st)
			return e
		})
	})
	return out, err
}

func newMessage(w wireMessage) Message {
	m := Message{
		ID: string(w.ID), UploadID: string(w.IDSolicitare), CIF: string(w.CIF),
		CreatedRaw: string(w.DataCreare), Type: string(w.Tip), Details: string(w.Detalii),
	}
	if t, err := ParseCreated(m.CreatedRaw); err == nil {
		m.CreatedAt = t
	}
	d := ParseDetails(m.Details)
	m.CIFEmitent, m.CIFBeneficiar = d.CIFEmitent, d.CIFBeneficiar
	return m
}

// ListMessages walks every page of listaMesajePaginatieFactura over [start, end]
// and returns the messages deduplicated by id (first occurrence kept, in
// ANAF's order). See ListMessagesWithOptions.
func (c *Client) ListMessages(ctx context.Context, accessToken, cif string, start, end time.Time) ([]Message, error) {
	return c.ListMessagesWithOptions(ctx, accessToken, cif, start, end, ListOptions{})
}

// ListMessagesWithOptions is ListMessages with a filtru. The walk numbers
// pages itself from 1 and never trusts index_pagina_curenta. It goes on
// while the page number is below the largest total seen (numar_total_pagini,
// or ⌈numar_total_inregistrari / per page⌉, re-read on every page), and
// also past a full page (PageSize messages) when ANAF gave no total; it
// stops at an empty page or the "past the last page" answer, or fails
// with ErrMalformed after MaxPages.
func (c *Client) ListMessagesWithOptions(ctx context.Context, accessToken, cif string, start, end time.Time, opts ListOptions) ([]Message, error) {
	var out []Message
	seen := map[string]bool{}
	total := 1
	for page := 1; page <= total; page++ {
		if page > MaxPages {
			return out, &Error{Kind: KindMalformed, Endpoint: epListPaged,
				Err: fmt.Errorf("more than %d pages", MaxPages)}
		}
		msgs, t, err := c.ListMessagesPageWithOptions(ctx, accessToken, cif, start, end, page, opts)
		if err != nil {
			return nil, fmt.Errorf("list messages page %d: %w", page, err)
		}
		if len(msgs) == 0 {
			break // no messages, or past the last page
		}
		total = max(total, t)
		fresh := 0
		for _, m := range msgs {
			if seen[m.ID] {
				continue
			}
			seen[m.ID] = true
			fresh++
			out = append(out, m)
		}
		if t == 0 && len(msgs) >= PageSize && fresh > 0 && page == total {
			total = page + 1 // a full page without a total: ask for the next one
		}
	}
	return out, nil
}

// Message types (tip) ANAF documents (API.md §4). Message.Type keeps the
// value as ANAF wrote it, known or not.
const (
	TypeSent          = "FACTURA TRIMISA"
	TypeReceived      = "FACTURA PRIMITA"
	TypeErrors        = "ERORI FACTURA"
	TypeBuyerPrefix   = "MESAJ CUMPARATOR" // MESAJ CUMPARATOR PRIMIT / TRANSMIS, or both in one string
	ClassSent         = "sent"
	ClassReceived     = "received"
	ClassErrors       = "errors"
	ClassBuyerMessage = "buyer-message"
	ClassUnknown      = "unknown"
)

// TypeClass classifies a tip: ClassSent, ClassReceived, ClassErrors,
// ClassBuyerMessage (any tip starting "MESAJ CUMPARATOR") or ClassUnknown
// (a tip the gateway does not know: keep and show it as written).
// Matching ignores case and surrounding spaces.
func TypeClass(tip string) string {
	t := strings.ToUpper(strings.Join(strings.Fields(tip), " "))
	switch {
	case t == TypeSent:
		return ClassSent
	case t == TypeReceived:
		return ClassReceived
	case t == TypeErrors:
		return ClassErrors
	case strings.HasPrefix(t, TypeBuyerPrefix):
		return ClassBuyerMessage
	}
	return ClassUnknown
}

// CreatedLayout is the layout of data_creare and dateResponse (Europe/Bucharest).
const CreatedLayout = "200601021504"

// ParseCreated parses an ANAF local timestamp (yyyyMMddHHmm, also
// yyyyMMddHHmmss) in Europe/Bucharest and returns it in UTC. In the
// repeated hour of the autumn DST change the earlier (summer-time) instant
// is chosen, as Go's time.Date does.
func ParseCreated(raw string) (time.Time, error) {
	layout := CreatedLayout
	if len(raw) == 14 {
		layout = "20060102150405"
	}
	t, err := time.ParseInLocation(layout, raw, Bucharest())
	if err != nil {
		return time.Time{}, fmt.Errorf("parse ANAF time %q: %w", raw, err)
	}
	return t.UTC(), nil
}

// Details is what ParseDetails finds in a message's detalii text.
type Details struct {
	UploadID      string // id_incarcare
	CIFEmitent    string // seller
	CIFBeneficiar string // buyer
	SelfBilled    bool   // "ca autofactura in numele" / "tip declarat=AUTOFACTURA"
	Errors        bool   // "Erori de validare identificate…"
}

var (
	reDetUpload = regexp.MustCompile(`(?i)id_incarcare\s*=\s*(\d+)`)
	reDetSeller = regexp.MustCompile(`(?i)cif_emitent\s*=\s*([^\s,;]+)`)
	reDetBuyer  = regexp.MustCompile(`(?i)cif_beneficiar\s*=\s*([^\s,;]+)`)
	// "transmisa de cif=<buyer>  ca autofactutra in numele cif=<seller>"
	reDetSelf  = regexp.MustCompile(`(?i)transmis\w*\s+de\s+cif\s*=\s*([^\s,;]+)\s+ca\s+auto\s*fact\w*\s+in\s+numele\s+cif\s*=\s*([^\s,;]+)`)
	reDetErr   = regexp.MustCompile(`(?i)erori\s+de\s+validare`)
	reDetAutoF = regexp.MustCompile(`(?i)auto\s*fact`)
)

// ParseDetails extracts ids from detalii with regexes (never by position):
// "Factura cu id_incarcare=<idx> emisa de cif_emitent=<seller> pentru cif_beneficiar=<buyer>",
// "Factura cu id_incarcare=<idx> transmisa de cif=<buyer>  ca autofactutra in numele cif=<seller>",
// "Erori de validare identificate la factura transmisa cu id_incarcare=<idx>".
// Unknown texts give empty fields.
func ParseDetails(s string) Details {
	var d Details
	if m := reDetUpload.FindStringSubmatch(s); m != nil {
		d.UploadID = m[1]
	}
	if m := reDetSelf.FindStringSubmatch(s); m != nil {
		d.CIFBeneficiar, d.CIFEmitent, d.SelfBilled = m[1], m[2], true
	} else {
		if m := reDetSeller.FindStringSubmatch(s); m != nil {
			d.CIFEmitent = m[1]
		}
		if m := reDetBuyer.FindStringSubmatch(s); m != nil {
			d.CIFBeneficiar = m[1]
		}
	}
	d.Errors = reDetErr.MatchString(s)
	if reDetAutoF.MatchString(s) {
		d.SelfBilled = true
	}
	return d
}
