package api

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// The invoice detail is written like the list (list_json.go): without
// reflection for its fields and without re-scanning its stored JSON
// documents (the parsed invoice, the validation report), which
// encoding/json compacts byte by byte — ≈ 11 % of a detail request's CPU
// (issue 16). A document is copied as it is only when compacting would
// not change it: the gateway stores them from encoding/json, compact and
// HTML-escaped; one with whitespace outside its strings, <, >, & or a
// byte that may start U+2028/U+2029 (or a non-null report of a type not
// handled here) makes the whole answer go through writeJSON as before.
// TestDetailJSONMatchesEncodingJSON and FuzzDetailJSON compare the two.

// writeInvoiceDetail answers 200 with d, as writeJSON would.
func writeInvoiceDetail(w http.ResponseWriter, d *dataResponse[invoiceDetailJSON]) {
	bp := listBufs.Get().(*[]byte)
	b, ok := d.Data.appendJSON(append((*bp)[:0], `{"data":`...))
	if !ok {
		listBufs.Put(bp)
		writeJSON(w, http.StatusOK, d)
		return
	}
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	if cap(b) <= 1<<20 {
		*bp = b
		listBufs.Put(bp)
	}
}

// appendJSON appends v; ok=false when a stored document needs compacting
// (the caller then uses encoding/json).
func (v *invoiceDetailJSON) appendJSON(b []byte) ([]byte, bool) {
	b = v.invoiceJSON.appendJSON(b)
	b = b[:len(b)-1] // the embedded fields go on: drop its '}'
	b = append(b, `,"details":`...)
	if !compactJSON(v.Details) {
		return b, false
	}
	b = append(b, v.Details...)
	b = append(b, `,"zip_sha256":`...)
	b = appendJSONString(b, v.ZIPSHA256)
	b = appendStringField(b, `,"upload_id":`, v.UploadID)
	b = appendStringField(b, `,"anaf_details":`, v.Detalii)
	val := &v.Validation
	b = append(b, `,"validation":{"state":`...)
	b = appendJSONString(b, val.State)
	b = append(b, `,"errors":`...)
	b = strconv.AppendInt(b, int64(val.Errors), 10)
	b = append(b, `,"warnings":`...)
	b = strconv.AppendInt(b, int64(val.Warnings), 10)
	b = appendStringField(b, `,"validated_with":`, val.ValidatedWith)
	b = appendStringField(b, `,"validated_at":`, val.ValidatedAt)
	b = append(b, `,"report":`...)
	if !compactJSON(val.Report) {
		return b, false
	}
	b = append(b, val.Report...)
	risk, err := json.Marshal(v.Risk) // small: the flags are few
	if err != nil {
		return b, false
	}
	b = append(b, `},"risk":`...)
	b = append(b, risk...)
	return append(b, '}'), true
}

// compactJSON reports whether JSON text m is non-empty and encoding/json
// would write it unchanged as a json.RawMessage with HTML escaping: no
// whitespace outside strings, no <, > or &, no byte 0xE2 (which starts
// U+2028 and U+2029, which it escapes). m is trusted to be valid JSON
// (the gateway wrote it with encoding/json).
func compactJSON(m json.RawMessage) bool {
	if len(m) == 0 {
		return false
	}
	inString, escaped := false, false
	for _, c := range m {
		switch {
		case c == '<' || c == '>' || c == '&' || c == 0xE2:
			return false
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return false
		}
	}
	return !inString
}
