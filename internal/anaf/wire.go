package anaf

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// flexString decodes a JSON string, number or null into a string.
type flexString string

// UnmarshalJSON accepts "x", 12, 1.5 and null.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*f = ""
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// int parses the value as an integer (a float is truncated); ok is false
// when empty or not a number.
func (f flexString) int() (int64, bool) {
	s := strings.TrimSpace(string(f))
	if s == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		return int64(x), true
	}
	return 0, false
}

// wireError is the union of the JSON error shapes: family B (eroare,
// titlu), family D (timestamp, status, error, message, path), OAuth
// (error, error_description) and the 401 body (message, status).
type wireError struct {
	Eroare           string     `json:"eroare"`
	Titlu            string     `json:"titlu"`
	Timestamp        string     `json:"timestamp"`
	Status           flexString `json:"status"`
	Error            string     `json:"error"`
	ErrorDescription string     `json:"error_description"`
	Message          string     `json:"message"`
	Path             string     `json:"path"`
}

// decodeJSON unmarshals body (BOM and whitespace tolerated).
func decodeJSON(body []byte, v any) error {
	body = bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\xef\xbb\xbf"))
	if len(body) == 0 || (body[0] != '{' && body[0] != '[') {
		return errors.New("not a JSON document")
	}
	return json.Unmarshal(body, v)
}

// familyDError maps a Spring Boot error body (family D), or nil when j is
// not one.
func familyDError(endpoint string, status int, j *wireError) *Error {
	if j.Timestamp == "" && (j.Status == "" || (j.Message == "" && j.Error == "")) {
		return nil
	}
	text := j.Message
	if text == "" {
		text = j.Error
	}
	st := status
	if st < 400 {
		if n, ok := j.Status.int(); ok {
			st = int(n)
		}
	}
	e := &Error{Endpoint: endpoint, HTTPStatus: status, Text: text}
	switch {
	case st == 401 || st == 403:
		e.Kind = KindUnauthorized
	case st == 429:
		e.Kind, e.Quota = KindQuota, QuotaRate
		e.RetryAfter = rateLimitWait() // a Spring body carries no Retry-After
	case st >= 500 || st == 408:
		e.Kind = KindTransient
	default:
		e.Kind = KindInvalidRequest
	}
	return e
}

// xmlHeader is every family A answer: upload (respUploadFisier), stareMesaj
// (stareMesajFactura) and the ZIP's error file. Matched by local name.
type xmlHeader struct {
	XMLName         xml.Name
	Stare           string     `xml:"stare,attr"`
	IDDescarcare    string     `xml:"id_descarcare,attr"`
	ExecutionStatus string     `xml:"ExecutionStatus,attr"`
	IndexIncarcare  string     `xml:"index_incarcare,attr"`
	DateResponse    string     `xml:"dateResponse,attr"`
	Errors          []xmlError `xml:"Errors"`
	Error           []xmlError `xml:"Error"`
}

type xmlError struct {
	Message string `xml:"errorMessage,attr"`
}

// texts returns the errorMessage of every Errors/Error child.
func (h *xmlHeader) texts() []string {
	var out []string
	for _, e := range append(append([]xmlError{}, h.Errors...), h.Error...) {
		out = append(out, e.Message)
	}
	return out
}

func decodeXML(body []byte) (*xmlHeader, error) {
	body = bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\xef\xbb\xbf"))
	if len(body) == 0 || body[0] != '<' {
		return nil, errors.New("not an XML document")
	}
	var h xmlHeader
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := dec.Decode(&h); err != nil {
		return nil, err
	}
	if h.XMLName.Local != "header" {
		return nil, errors.New("root element is <" + h.XMLName.Local + ">, want <header>")
	}
	return &h, nil
}

// xmlErrors maps a family A header with Errors to an *Error (the first
// classified text decides the kind; all texts are kept, joined by "; ").
func xmlErrors(endpoint string, status int, texts []string, now time.Time) *Error {
	e := classifyText(endpoint, status, texts[0], now)
	for _, t := range texts[1:] {
		if e.Kind == KindRejected {
			if k := classifyText(endpoint, status, t, now); k.Kind != KindRejected {
				e = k
			}
		}
	}
	e.Text = strings.Join(texts, "; ")
	return e
}
