package anaf

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

var zipMagic = []byte("PK\x03\x04")

// Download fetches a message's ZIP, GET {base}/descarcare?id=<id>, where id
// is a message id or stareMesaj's id_descarcare. The bytes are returned
// unmodified (the ZIP is the legal original) after checking that they start
// with PK\x03\x04 and open as a ZIP (whatever the Content-Type). A JSON body
// is a family B error: ErrNotFound, ErrExpired, ErrNoRights, ErrQuota
// (Quota=QuotaDownload), ErrInvalidRequest. A body that is neither ZIP nor
// JSON/HTML, or a ZIP that does not open, is ErrMalformed (not transient,
// see ErrMalformed); a truncated transfer is ErrTransient.
func (c *Client) Download(ctx context.Context, accessToken, id string) ([]byte, error) {
	var out []byte
	err := c.withRetry(ctx, func() error {
		return c.attempt(ctx, epDownload, false, []quotaUse{c.useDownload(id)}, func(st *int) error {
			var e error
			out, e = c.downloadOnce(ctx, accessToken, id, st)
			return e
		})
	})
	return out, err
}

func (c *Client) downloadOnce(ctx context.Context, accessToken, id string, st *int) ([]byte, error) {
	resp, err := c.do(ctx, request{
		endpoint: epDownload, method: http.MethodGet,
		url:    c.restURL(epDownload) + "?" + url.Values{"id": {id}}.Encode(),
		bearer: accessToken, limit: c.cfg.MaxZIPBytes, status: st,
	})
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(resp.body, zipMagic) && resp.status >= 200 && resp.status <= 299 {
		if _, zerr := zip.NewReader(bytes.NewReader(resp.body), int64(len(resp.body))); zerr != nil {
			return nil, &Error{Kind: KindMalformed, Endpoint: epDownload, HTTPStatus: resp.status,
				Err: fmt.Errorf("ZIP does not open (%d bytes): %w", len(resp.body), zerr)}
		}
		return resp.body, nil
	}
	if e := c.precheck(epDownload, resp); e != nil {
		return nil, e
	}
	var j wireError
	if decodeJSON(resp.body, &j) == nil {
		if j.Eroare != "" {
			return nil, classifyText(epDownload, resp.status, j.Eroare, c.cfg.Now())
		}
		if e := familyDError(epDownload, resp.status, &j); e != nil {
			return nil, e
		}
	}
	if resp.status < 200 || resp.status > 299 {
		return nil, statusError(epDownload, resp, visibleText(resp.body), nil)
	}
	return nil, &Error{Kind: KindMalformed, Endpoint: epDownload, HTTPStatus: resp.status,
		Text: visibleText(resp.body), Err: fmt.Errorf("answer is not a ZIP (Content-Type %q)", resp.header.Get("Content-Type"))}
}

// Upload states of stareMesaj (UploadStatus.State).
const (
	StateOK         = "ok"
	StateNOK        = "nok"
	StateProcessing = "in prelucrare"
	StateXMLErrors  = "XML cu erori nepreluat de sistem"
)

// Status calls stareMesaj, GET {base}/stareMesaj?id_incarcare=<uploadID>,
// and parses the family A XML: State is normalised to the State*
// constants when it matches one case-insensitively (an unknown non-empty
// stare is returned as sent); DownloadID is id_descarcare. Errors children
// map to *Error (ErrNotFound, ErrNoRights, ErrQuota with QuotaStatus,
// ErrInvalidRequest, ErrTransient for "A aparut o eroare tehnica").
// "ok" without id_descarcare, or no stare and no Errors, is ErrMalformed.
func (c *Client) Status(ctx context.Context, accessToken, uploadID string) (*UploadStatus, error) {
	var out *UploadStatus
	err := c.withRetry(ctx, func() error {
		return c.attempt(ctx, epStatus, false, []quotaUse{c.useStatus(uploadID)}, func(st *int) error {
			var e error
			out, e = c.statusOnce(ctx, accessToken, uploadID, st)
			return e
		})
	})
	return out, err
}

func (c *Client) statusOnce(ctx context.Context, accessToken, uploadID string, st *int) (*UploadStatus, error) {
	resp, err := c.do(ctx, request{
		endpoint: epStatus, method: http.MethodGet,
		url:    c.restURL(epStatus) + "?" + url.Values{"id_incarcare": {uploadID}}.Encode(),
		bearer: accessToken, accept: "application/xml", status: st,
	})
	if err != nil {
		return nil, err
	}
	h, err := c.decodeFamilyA(epStatus, resp)
	if err != nil {
		return nil, err
	}
	us := &UploadStatus{State: normaliseState(h.Stare), DownloadID: strings.TrimSpace(h.IDDescarcare)}
	if us.State == "" || (us.State == StateOK && us.DownloadID == "") {
		return nil, &Error{Kind: KindMalformed, Endpoint: epStatus, HTTPStatus: resp.status,
			Text: visibleText(resp.body), Err: errors.New("stare or id_descarcare missing")}
	}
	return us, nil
}

func normaliseState(s string) string {
	s = strings.TrimSpace(s)
	for _, k := range []string{StateOK, StateNOK, StateProcessing, StateXMLErrors} {
		if strings.EqualFold(s, k) {
			return k
		}
	}
	return s
}

// decodeFamilyA reads an XML header answer (upload, stareMesaj): prechecks,
// JSON family B/D bodies (sent by some failures even on XML endpoints),
// then the XML; an Errors child becomes an *Error.
func (c *Client) decodeFamilyA(endpoint string, resp *response) (*xmlHeader, error) {
	if e := c.precheck(endpoint, resp); e != nil {
		return nil, e
	}
	h, xerr := decodeXML(resp.body)
	if xerr != nil {
		var j wireError
		if decodeJSON(resp.body, &j) == nil {
			if j.Eroare != "" {
				return nil, classifyText(endpoint, resp.status, j.Eroare, c.cfg.Now())
			}
			if e := familyDError(endpoint, resp.status, &j); e != nil {
				return nil, e
			}
		}
		if resp.status < 200 || resp.status > 299 {
			return nil, statusError(endpoint, resp, visibleText(resp.body), nil)
		}
		return nil, &Error{Kind: KindMalformed, Endpoint: endpoint, HTTPStatus: resp.status,
			Text: visibleText(resp.body), Err: fmt.Errorf("decode XML: %w", xerr)}
	}
	if texts := h.texts(); len(texts) > 0 {
		return nil, xmlErrors(endpoint, resp.status, texts, c.cfg.Now())
	}
	if resp.status < 200 || resp.status > 299 {
		return nil, statusError(endpoint, resp, visibleText(resp.body), nil)
	}
	return h, nil
}

// Upload standards (the standard query parameter).
const (
	StandardUBL  = "UBL"
	StandardCN   = "CN"
	StandardCII  = "CII"
	StandardRASP = "RASP"
)

// UploadOptions are the query parameters of POST /upload (API.md §3.1).
type UploadOptions struct {
	Standard    string // UBL, CN, CII or RASP (required)
	CIF         string // numeric CUI without RO (required)
	Extern      bool   // extern=DA: buyer outside Romania
	AutoFactura bool   // autofactura=DA: self-billing
	Executare   bool   // executare=DA: enforcement authority
	B2C         bool   // POST /uploadb2c instead of /upload
}

// UploadResult is an accepted upload.
type UploadResult struct {
	Index        string    // index_incarcare (opaque digit string)
	DateResponse time.Time // dateResponse (Europe/Bucharest) as UTC; zero when absent
}

// Upload posts a UBL document (standard UBL or CN) for cif; returns index_incarcare.
// See UploadWithOptions.
func (c *Client) Upload(ctx context.Context, accessToken, standard, cif string, xml []byte) (string, error) {
	r, err := c.UploadWithOptions(ctx, accessToken, UploadOptions{Standard: standard, CIF: cif}, xml)
	if err != nil {
		return "", err
	}
	return r.Index, nil
}

// UploadWithOptions posts the raw XML, POST {base}/upload?standard=&cif=
// [&extern=DA&autofactura=DA&executare=DA] (or /uploadb2c), and parses the
// family A answer: ExecutionStatus=0 with index_incarcare is success.
// Refusals (ExecutionStatus=1, Errors children) map to *Error: ErrRejected
// (invalid XML, too big), ErrInvalidRequest, ErrNoRights, ErrQuota
// (QuotaUploadRASP). "A aparut o eroare tehnica. Cod: …", a timeout or a
// connection lost after sending, a truncated answer and HTML/5xx answers are
// ErrOutcomeUnknown (also transient): ANAF may or may not have registered
// the upload, so reconcile via the message list before re-sending. It never
// retries internally.
func (c *Client) UploadWithOptions(ctx context.Context, accessToken string, opts UploadOptions, xml []byte) (*UploadResult, error) {
	var out *UploadResult
	endpoint := epUpload
	if opts.B2C {
		endpoint = epUploadB2C
	}
	var uses []quotaUse
	if strings.EqualFold(strings.TrimSpace(opts.Standard), StandardRASP) {
		uses = append(uses, c.useRASP(opts.CIF))
	}
	err := c.attempt(ctx, endpoint, false, uses, func(st *int) error {
		var e error
		out, e = c.uploadOnce(ctx, accessToken, opts, xml, st)
		return e
	})
	return out, err
}

func (c *Client) uploadOnce(ctx context.Context, accessToken string, opts UploadOptions, xml []byte, st *int) (*UploadResult, error) {
	endpoint := epUpload
	if opts.B2C {
		endpoint = epUploadB2C
	}
	q := url.Values{"standard": {opts.Standard}, "cif": {opts.CIF}}
	if opts.Extern {
		q.Set("extern", "DA")
	}
	if opts.AutoFactura {
		q.Set("autofactura", "DA")
	}
	if opts.Executare {
		q.Set("executare", "DA")
	}
	if xml == nil {
		xml = []byte{}
	}
	resp, err := c.do(ctx, request{
		endpoint: endpoint, method: http.MethodPost, url: c.restURL(endpoint) + "?" + q.Encode(),
		body: xml, contentType: "application/xml", bearer: accessToken, accept: "application/xml",
		upload: true, status: st,
	})
	if err != nil {
		// do already tells a refused connection (transient, nothing sent)
		// from a lost answer (outcome unknown); an oversize answer is unknown.
		var e *Error
		if errors.As(err, &e) && e.Kind == KindMalformed {
			e.Kind = KindOutcomeUnknown
		}
		return nil, err
	}
	h, err := c.decodeFamilyA(endpoint, resp)
	if err != nil {
		return nil, asOutcomeUnknown(err)
	}
	idx := strings.TrimSpace(h.IndexIncarcare)
	if strings.TrimSpace(h.ExecutionStatus) != "0" || idx == "" {
		return nil, &Error{Kind: KindOutcomeUnknown, Endpoint: endpoint, HTTPStatus: resp.status,
			Text: visibleText(resp.body), Err: fmt.Errorf("ExecutionStatus=%q index_incarcare=%q without Errors", h.ExecutionStatus, idx)}
	}
	res := &UploadResult{Index: idx}
	if t, err := ParseCreated(strings.TrimSpace(h.DateResponse)); err == nil {
		res.DateResponse = t
	}
	return res, nil
}

// asOutcomeUnknown turns a transient or malformed upload failure into
// KindOutcomeUnknown: an answer we cannot trust (HTML, 5xx, empty, garbage,
// too large) says nothing about whether ANAF registered the upload.
func asOutcomeUnknown(err error) error {
	var e *Error
	if errors.As(err, &e) && (e.Kind == KindTransient || e.Kind == KindMalformed) {
		e.Kind = KindOutcomeUnknown
	}
	return err
}

// Hello calls the OAuth smoke test, GET {BaseURL}/TestOauth/jaxrs/hello?name=efactura,
// and returns ANAF's plain-text answer ("Hello, …" plus echoed headers).
// Errors: ErrUnauthorized (401/403), ErrTransient, ErrQuota (429).
func (c *Client) Hello(ctx context.Context, accessToken string) (string, error) {
	var out string
	err := c.withRetry(ctx, func() error {
		return c.attempt(ctx, epHello, false, nil, func(st *int) error {
			resp, err := c.do(ctx, request{
				endpoint: epHello, method: http.MethodGet,
				url:    c.cfg.BaseURL + "/TestOauth/jaxrs/hello?name=efactura",
				bearer: accessToken, status: st,
			})
			if err != nil {
				return err
			}
			if e := c.precheck(epHello, resp); e != nil {
				return e
			}
			if resp.status < 200 || resp.status > 299 {
				return statusError(epHello, resp, jsonMessage(resp.body), nil)
			}
			out = string(resp.body)
			return nil
		})
	})
	return out, err
}

// withRetry runs fn once, or under Config.Retry when set.
func (c *Client) withRetry(ctx context.Context, fn func() error) error {
	if c.cfg.Retry == nil {
		return fn()
	}
	return Retry(ctx, *c.cfg.Retry, fn)
}
