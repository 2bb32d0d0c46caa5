package api

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// detailOf is a detail answer whose every text field is s, with the
// stored documents details and report.
func detailOf(s string, id int64, details, report string) *dataResponse[invoiceDetailJSON] {
	p := &s
	l := listOf(s, id)
	d := invoiceDetailJSON{invoiceJSON: l.Data[0], Details: json.RawMessage(details), ZIPSHA256: s, UploadID: p, Detalii: nil,
		Validation: validationJSON{State: s, Errors: int(id), Warnings: 2, ValidatedWith: p, Report: json.RawMessage(report)},
		Risk: riskJSON{Checked: true, NextTryAt: p, Unchecked: 1, Flags: []riskFlagJSON{
			{Code: s, Severity: "high", Details: map[string]string{"z": s, "a": "<b>"}, ComputedAt: s, CheckedAt: nil}}}}
	return &dataResponse[invoiceDetailJSON]{Data: d}
}

func requireDetailSameAsWriteJSON(t *testing.T, d *dataResponse[invoiceDetailJSON]) {
	t.Helper()
	want := httptest.NewRecorder()
	writeJSON(want, 200, d)
	got := httptest.NewRecorder()
	writeInvoiceDetail(got, d)
	if !bytes.Equal(want.Body.Bytes(), got.Body.Bytes()) {
		t.Fatalf("detail JSON differs from encoding/json:\n got %q\nwant %q", got.Body.String(), want.Body.String())
	}
	require.Equal(t, want.Code, got.Code)
	require.Equal(t, want.Header().Get("Content-Type"), got.Header().Get("Content-Type"))
	require.Equal(t, want.Header().Get("Cache-Control"), got.Header().Get("Cache-Control"))
	if cl := got.Header().Get("Content-Length"); cl != "" {
		require.Equal(t, strconv.Itoa(got.Body.Len()), cl)
	}
}

// TestDetailJSONMatchesEncodingJSON: the detail is written byte for byte
// as encoding/json writes it, stored documents that need compacting or
// escaping included (those go through encoding/json).
func TestDetailJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	docs := []string{"null", `{"a":1,"b":[true,null,"x y"],"c":{"d":"\"q\\"}}`, `{"a": 1}`, " null", `{"s":"<b>&"}`,
		`{"s":"\u2028"}`, "{\"s\":\"\u2028\"}", `"Ștefan Țuică"`, `[1.5e3,-0,"\\"]`, "{\n\"a\":1\n}"}
	for i, s := range []string{"", "BETA TRADING SRL", `"quoted" \ back`, "<script>&amp;</script>", "Ștefan ăîâ",
		"tab\tnl\n\x00\x1f", "\u2028\u2029", "bad \xff utf8"} {
		for j, doc := range docs {
			requireDetailSameAsWriteJSON(t, detailOf(s, int64(i+1), doc, docs[(j+3)%len(docs)]))
		}
	}
	require.True(t, compactJSON(json.RawMessage(`{"a":"x y","b":[1,2]}`)))
	for _, m := range []string{"", " 1", `{"a":"<"}`, "{\"a\":\"\u2028\"}", `{"a" :1}`, `"open`} {
		require.False(t, compactJSON(json.RawMessage(m)), m)
	}
}

func FuzzDetailJSON(f *testing.F) {
	for _, s := range []string{"", "a<b>&c", "\xff", "\u2028", "\"\\", "1.5", "Ș", `{"a":[1,"b c"]}`, "{ }"} {
		f.Add(s, int64(3), `{"x":"y z"}`)
	}
	f.Fuzz(func(t *testing.T, s string, id int64, doc string) {
		if !json.Valid([]byte(doc)) {
			doc = strconv.Quote(doc) // the stored documents are JSON (encoding/json wrote them)
			if !json.Valid([]byte(doc)) {
				return
			}
		}
		requireDetailSameAsWriteJSON(t, detailOf(s, id, doc, "null"))
		requireDetailSameAsWriteJSON(t, detailOf(s, id, "null", doc))
	})
}
