package anaf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
)

// Standards of validare and transformare (the {standard} path segment).
const (
	StandardFACT1 = "FACT1" // invoice
	StandardFCN   = "FCN"   // credit note
)

// ValidationResult is the family C answer of validare (API.md §3.7).
type ValidationResult struct {
	OK       bool     // stare == "ok"
	State    string   // stare as ANAF wrote it ("ok", "nok")
	Messages []string // Messages[].message, verbatim, in ANAF's order (empty when ok)
	TraceID  string   // trace_id, for ANAF support
}

// SignatureResult is the answer of the signature check (API.md §3.9).
type SignatureResult struct {
	// Valid is true when ANAF's text says the files "au fost validate cu
	// succes" (the invoice is the original issued through RO e-Factura),
	// false when it says they "NU au putut fi validate".
	Valid bool
	Text  string // ANAF's msg, verbatim (Romanian, with diacritics)
}

// family C: {"stare", "Messages": [{"message"}], "trace_id"}.
type wireValidation struct {
	wireError
	Stare    string `json:"stare"`
	Messages []struct {
		Message string `json:"message"`
	} `json:"Messages"`
	TraceID string `json:"trace_id"`
	Msg     string `json:"msg"` // signature check
}

func (w *wireValidation) texts() []string {
	out := make([]string, 0, len(w.Messages))
	for _, m := range w.Messages {
		out = append(out, m.Message)
	}
	return out
}

// validationURL is where validare/transformare live: with an access token
// {BaseURL}/prod/FCTEL/rest/<path>, else {PublicBaseURL}/prod/FCTEL/rest/<path>.
// ANAF documents these only for prod (API.md §1), whatever Config.Env says.
func (c *Client) validationURL(accessToken, path string) string {
	base := c.cfg.PublicBaseURL
	if accessToken != "" {
		base = c.cfg.BaseURL
	}
	return base + "/prod/FCTEL/rest/" + path
}

var (
	// nok texts that are not about the document's content (API.md §3.7).
	reBadStandard = regexp.MustCompile(`(?i)valorile\s+acceptate\s+pentru\s+parametrul\s+standard`)
	reTooBig      = regexp.MustCompile(`(?i)marime\s+fisier\s+transmis\s+mai\s+mare`)
)

// familyCError maps a nok answer whose messages are not validation findings
// to an *Error: "A aparut o eroare tehnica" → KindTransient, the standard
// parameter text → KindInvalidRequest, "Marime fisier transmis mai mare de
// 5 MB." → KindRejected. It returns nil for ordinary validation messages
// unless asError (transformare: any nok is a failure, KindRejected).
func familyCError(endpoint string, status int, w *wireValidation, asError bool) *Error {
	texts := w.texts()
	e := &Error{Endpoint: endpoint, HTTPStatus: status, Text: strings.Join(texts, "; "), TraceID: w.TraceID}
	for _, t := range texts {
		switch {
		case reTechnical.MatchString(t):
			e.Kind = KindTransient
			return e
		case reBadStandard.MatchString(t):
			e.Kind = KindInvalidRequest
			return e
		case reTooBig.MatchString(t):
			e.Kind = KindRejected
			return e
		}
	}
	if asError {
		e.Kind = KindRejected
		if e.Text == "" {
			e.Err = errors.New("stare nok without Messages")
		}
		return e
	}
	return nil
}

// Validate checks a UBL document against ANAF's schema and Schematron
// rules, POST .../prod/FCTEL/rest/validare/{standard} (standard
// StandardFACT1 or StandardFCN) with Content-Type text/plain and the XML as
// body (ANAF accepts up to 5 MB). With an access token it calls
// {BaseURL} with Authorization: Bearer; with "" it calls the public
// {PublicBaseURL} without Authorization.
//
// stare "ok" and "nok" with validation messages are results (OK false and
// Messages verbatim), not errors. Errors: ErrInvalidRequest (the standard
// text, a family D 400/404 such as an empty standard), ErrRejected
// ("Marime fisier transmis mai mare de 5 MB."), ErrTransient ("A aparut o
// eroare tehnica. Cod: …", 5xx, F5/maintenance HTML), ErrUnauthorized,
// ErrQuota (HTTP 429 or the client's per-minute accounting), ErrMalformed
// (an answer without stare). Error.TraceID carries trace_id.
func (c *Client) Validate(ctx context.Context, accessToken, standard string, xml []byte) (*ValidationResult, error) {
	var out *ValidationResult
	u := c.validationURL(accessToken, "validare/"+url.PathEscape(standard))
	err := c.withRetry(ctx, func() error {
		return c.attempt(ctx, epValidate, false, nil, func(st *int) error {
			resp, err := c.do(ctx, request{
				endpoint: epValidate, method: http.MethodPost, url: u, body: nonNil(xml),
				contentType: "text/plain", bearer: accessToken, accept: "application/json", status: st,
			})
			if err != nil {
				return err
			}
			w, err := c.decodeFamilyC(epValidate, resp)
			if err != nil {
				return err
			}
			if e := familyCError(epValidate, resp.status, w, false); e != nil {
				return e
			}
			out = &ValidationResult{OK: strings.EqualFold(strings.TrimSpace(w.Stare), "ok"),
				State: w.Stare, Messages: w.texts(), TraceID: w.TraceID}
			return nil
		})
	})
	return out, err
}

// decodeFamilyC reads a JSON answer of validare/transformare: prechecks
// (HTML, 401/403, 429, 204, empty), family B/D bodies, then family C; an
// answer without stare is ErrMalformed (or the status's error).
func (c *Client) decodeFamilyC(endpoint string, resp *response) (*wireValidation, error) {
	if e := c.precheck(endpoint, resp); e != nil {
		return nil, e
	}
	var w wireValidation
	if derr := decodeJSON(resp.body, &w); derr != nil {
		return nil, statusError(endpoint, resp, visibleText(resp.body), fmt.Errorf("decode answer: %w", derr))
	}
	if strings.TrimSpace(w.Stare) == "" {
		if w.Eroare != "" {
			return nil, classifyText(endpoint, resp.status, w.Eroare, c.cfg.Now())
		}
		if e := familyDError(endpoint, resp.status, &w.wireError); e != nil {
			return nil, e
		}
		if resp.status < 200 || resp.status > 299 {
			return nil, statusError(endpoint, resp, visibleText(resp.body), nil)
		}
		return nil, &Error{Kind: KindMalformed, Endpoint: endpoint, HTTPStatus: resp.status,
			Text: visibleText(resp.body), Err: errors.New("answer without stare")}
	}
	return &w, nil
}

var pdfMagic = []byte("%PDF-")

// Transform renders a UBL document as ANAF's PDF, POST
// .../prod/FCTEL/rest/transformare/{standard} (validating first) or, with
// skipValidation, .../transformare/{standard}/DA (ANAF then gives no
// guarantee the PDF is right). Content-Type text/plain, the XML as body (up
// to 5 MB); token handling as Validate. Success is a body starting with
// %PDF- (whatever the Content-Type; ANAF sends application/pdf), returned
// as is, up to Config.MaxZIPBytes.
//
// Errors: a family C nok is ErrRejected with every message in Text ("; ")
// and TraceID, except the texts Validate maps to ErrInvalidRequest,
// ErrTransient or ErrRejected; the F5 "requested URL was rejected" page
// seen on this endpoint, 5xx and empty bodies are ErrTransient; family D
// 404 (no standard) is ErrInvalidRequest; stare ok without a PDF, or bytes
// that are neither PDF nor JSON, are ErrMalformed.
func (c *Client) Transform(ctx context.Context, accessToken, standard string, xml []byte, skipValidation bool) ([]byte, error) {
	path := "transformare/" + url.PathEscape(standard)
	if skipValidation {
		path += "/DA"
	}
	u := c.validationURL(accessToken, path)
	var out []byte
	err := c.withRetry(ctx, func() error {
		return c.attempt(ctx, epTransform, false, nil, func(st *int) error {
			resp, err := c.do(ctx, request{
				endpoint: epTransform, method: http.MethodPost, url: u, body: nonNil(xml),
				contentType: "text/plain", bearer: accessToken, accept: "application/pdf, application/json",
				limit: c.cfg.MaxZIPBytes, status: st,
			})
			if err != nil {
				return err
			}
			if resp.status >= 200 && resp.status <= 299 && bytes.HasPrefix(bytes.TrimLeft(resp.body, " \t\r\n"), pdfMagic) {
				out = resp.body
				return nil
			}
			w, err := c.decodeFamilyC(epTransform, resp)
			if err != nil {
				return err
			}
			if e := familyCError(epTransform, resp.status, w, !strings.EqualFold(strings.TrimSpace(w.Stare), "ok")); e != nil {
				return e
			}
			return &Error{Kind: KindMalformed, Endpoint: epTransform, HTTPStatus: resp.status, TraceID: w.TraceID,
				Text: visibleText(resp.body), Err: fmt.Errorf("stare %q without a PDF (Content-Type %q)", w.Stare, resp.header.Get("Content-Type"))}
		})
	})
	return out, err
}

var (
	reSigValid   = regexp.MustCompile(`(?i)\bau\s+fost\s+validate\s+cu\s+succes`)
	reSigInvalid = regexp.MustCompile(`(?i)\bNU\s+au\s+putut\s+fi\s+validate`)
)

// ValidateSignature asks ANAF whether signature (the semnatura_*.xml of a
// downloaded ZIP) is the Ministry of Finance's signature of invoiceXML
// (the other file of the ZIP): POST {BaseURL}/api/validate/signature with
// Bearer when accessToken is set, else {PublicBaseURL}/api/validate/signature
// without Authorization; multipart/form-data with the parts "file" and
// "signature". HTTP 200 {"msg"} is a result: Valid from the text ("au fost
// validate cu succes" true, "NU au putut fi validate" false), Text verbatim.
// Errors: HTTP 400 {"msg"} (ANAF's technical error) is ErrInvalidRequest with
// msg in Text; a 200 msg that says neither is ErrMalformed with msg in Text;
// the rest as Validate.
func (c *Client) ValidateSignature(ctx context.Context, accessToken string, invoiceXML, signature []byte) (*SignatureResult, error) {
	base := c.cfg.PublicBaseURL
	if accessToken != "" {
		base = c.cfg.BaseURL
	}
	body, ctype, err := signatureForm(invoiceXML, signature)
	if err != nil {
		return nil, &Error{Kind: KindInvalidRequest, Endpoint: epSignature, Local: true, Err: err}
	}
	var out *SignatureResult
	err = c.withRetry(ctx, func() error {
		return c.attempt(ctx, epSignature, false, nil, func(st *int) error {
			resp, err := c.do(ctx, request{
				endpoint: epSignature, method: http.MethodPost, url: base + "/api/validate/signature",
				body: body, contentType: ctype, bearer: accessToken, accept: "application/json", status: st,
			})
			if err != nil {
				return err
			}
			if e := c.precheck(epSignature, resp); e != nil {
				return e
			}
			var w wireValidation
			if derr := decodeJSON(resp.body, &w); derr != nil {
				return statusError(epSignature, resp, visibleText(resp.body), fmt.Errorf("decode answer: %w", derr))
			}
			if w.Msg == "" {
				if e := familyDError(epSignature, resp.status, &w.wireError); e != nil {
					return e
				}
				if resp.status < 200 || resp.status > 299 {
					return statusError(epSignature, resp, visibleText(resp.body), nil)
				}
				return &Error{Kind: KindMalformed, Endpoint: epSignature, HTTPStatus: resp.status,
					Text: visibleText(resp.body), Err: errors.New("answer without msg")}
			}
			if resp.status < 200 || resp.status > 299 {
				e := statusError(epSignature, resp, w.Msg, nil)
				if resp.status == http.StatusBadRequest {
					e.Kind = KindInvalidRequest
				}
				return e
			}
			switch {
			case reSigInvalid.MatchString(w.Msg):
				out = &SignatureResult{Valid: false, Text: w.Msg}
			case reSigValid.MatchString(w.Msg):
				out = &SignatureResult{Valid: true, Text: w.Msg}
			default:
				return &Error{Kind: KindMalformed, Endpoint: epSignature, HTTPStatus: resp.status, Text: w.Msg,
					Err: errors.New("msg says neither validated nor not validated")}
			}
			return nil
		})
	})
	return out, err
}

// signatureForm builds the multipart body: part "file" (factura.xml) and
// part "signature" (semnatura.xml), both text/xml.
func signatureForm(invoiceXML, signature []byte) ([]byte, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range []struct {
		field, name string
		data        []byte
	}{{"file", "factura.xml", invoiceXML}, {"signature", "semnatura.xml", signature}} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.field, p.name))
		h.Set("Content-Type", "text/xml")
		w, err := mw.CreatePart(h)
		if err != nil {
			return nil, "", fmt.Errorf("multipart %s: %w", p.field, err)
		}
		if _, err := w.Write(p.data); err != nil {
			return nil, "", fmt.Errorf("multipart %s: %w", p.field, err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", fmt.Errorf("multipart: %w", err)
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

// nonNil makes a nil body an empty one (ANAF then answers its own error).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
