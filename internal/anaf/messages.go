package anaf

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
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
	IndexPagina      flexString    `json:"index_pagina_curenta"`
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
	q := url.Values{}
	q.Set("startTime", strconv.FormatInt(start.UnixMilli(), 10))
	q.Set("endTime", strconv.FormatInt(end.UnixMilli(), 10))
	q.Set("cif", cif)
	q.Set("pagina", strconv.Itoa(page))
	err = c.withRetry(ctx, func() error {
		var e error
		msgs, totalPages, e = c.listPageOnce(ctx, accessToken, q)
		return e
	})
	return msgs, totalPages, err
}

func (c *Client) listPageOnce(ctx context.Context, accessToken string, q url.Values) ([]Message, int, error) {
	resp, err := c.do(ctx, request{
		endpoint: epListPaged, method: http.MethodGet, url: c.restURL(epListPaged) + "?" + q.Encode(),
		bearer: accessToken, accept: "application/json",
	})
	if err != nil {
		return nil, 0, err
	}
	if e := c.precheck(epListPaged, resp); e != nil {
		return nil, 0, e
	}
	var w wireList
	if derr := decodeJSON(resp.body, &w); derr != nil {
		return nil, 0, statusError(epListPaged, resp, visibleText(resp.body), fmt.Errorf("decode list: %w", derr))
	}
	if w.Eroare != "" {
		if reNoMessages.MatchString(w.Eroare) {
			return nil, 0, nil
		}
		if m := rePastLast.FindStringSubmatch(w.Eroare); m != nil {
			total, _ := strconv.Atoi(m[2])
			return nil, total, nil
		}
		return nil, 0, classifyText(epListPaged, resp.status, w.Eroare, c.cfg.Now())
	}
	if e := familyDError(epListPaged, resp.status, &w.wireError); e != nil {
		return nil, 0, e
	}
	if resp.status < 200 || resp.status > 299 {
		return nil, 0, statusError(epListPaged, resp, visibleText(resp.body), nil)
	}
	if w.Mesaje == nil && w.NumarTotalPagini == "" {
		return nil, 0, &Error{Kind: KindMalformed, Endpoint: epListPaged, HTTPStatus: resp.status,
			Text: visibleText(resp.body), Err: fmt.Errorf("answer has neither mesaje nor eroare")}
	}
	total64, _ := w.NumarTotalPagini.int()
	msgs := make([]Message, 0, len(w.Mesaje))
	for _, m := range w.Mesaje {
		msgs = append(msgs, newMessage(m))
	}
	return msgs, int(total64), nil
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
// ANAF's order). It stops at numar_total_pagini (re-read on every page), at
// the "past the last page" answer, at an empty page or at MaxPages.
func (c *Client) ListMessages(ctx context.Context, accessToken, cif string, start, end time.Time) ([]Message, error) {
	var out []Message
	seen := map[string]bool{}
	total := 1
	for page := 1; page <= total; page++ {
		if page > MaxPages {
			return out, &Error{Kind: KindMalformed, Endpoint: epListPaged,
				Err: fmt.Errorf("more than %d pages", MaxPages)}
		}
		msgs, t, err := c.ListMessagesPage(ctx, accessToken, cif, start, end, page)
		if err != nil {
			return nil, fmt.Errorf("list messages page %d: %w", page, err)
		}
		if len(msgs) == 0 {
			break // no messages, or past the last page
		}
		if t > 0 {
			total = t
		}
		for _, m := range msgs {
			if seen[m.ID] {
				continue
			}
			seen[m.ID] = true
			out = append(out, m)
		}
	}
	return out, nil
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
