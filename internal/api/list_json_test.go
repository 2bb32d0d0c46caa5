package api

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// listOf is a list answer whose every text field is s.
func listOf(s string, id int64) *listResponse {
	p := &s
	inv := invoiceJSON{ID: id, ANAFID: s, InvoiceType: s, CIFEmitent: p, CIFBeneficiar: p, IssuerName: p,
		ReceiverName: p, SupplierName: p, SupplierCIF: p, InvoiceNumber: p, InvoiceDate: p, DueDate: p,
		Currency: p, TotalAmount: decimalJSON(s), VATAmount: decimalJSON("-" + s), SyncedAt: s, DownloadURL: s,
		ParseStatus: s, ParseError: p, DuplicateOf: nullableID(id), ConflictOf: nullableID(id + 1)}
	blank := invoiceJSON{ID: -id, TotalAmount: json.RawMessage("12.50")}
	return &listResponse{Data: []invoiceJSON{inv, blank}, Meta: listMeta{CompanyCIF: s, CompanyID: id},
		Pagination: pagination{HasNext: id%2 == 0, HasPrev: id%3 == 0, Page: int(id), Pages: 7, PerPage: 50, Total: int(id) * 3}}
}

func requireSameAsWriteJSON(t *testing.T, l *listResponse) {
	t.Helper()
	want := httptest.NewRecorder()
	writeJSON(want, 200, l)
	got := httptest.NewRecorder()
	writeInvoiceList(got, l)
	if !bytes.Equal(want.Body.Bytes(), got.Body.Bytes()) {
		t.Fatalf("list JSON differs from encoding/json:\n got %q\nwant %q", got.Body.String(), want.Body.String())
	}
	require.Equal(t, want.Header(), got.Header())
	require.Equal(t, want.Code, got.Code)
}

// TestListJSONMatchesEncodingJSON: the list is written byte for byte as
// encoding/json writes it (escapes, nulls, an empty and a nil page).
func TestListJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for i, s := range []string{"", "BETA TRADING SRL", "1190.00", `"quoted" \ back`, "<script>&amp;</script>",
		"Ștefan Țuică ăîâ", "tab\tnl\ncr\rbs\bff\f\x00\x01\x1f\x7f", "\u2028\u2029", "bad \xff\xfe utf8 \xc3",
		"emoji 🧾", "RO12345678", "2025-01-31T10:00:00Z"} {
		requireSameAsWriteJSON(t, listOf(s, int64(i+1)))
	}
	requireSameAsWriteJSON(t, &listResponse{Data: []invoiceJSON{}})
	requireSameAsWriteJSON(t, &listResponse{})
}

func FuzzListJSON(f *testing.F) {
	for _, s := range []string{"", "a<b>&c", "\xff", "\u2028", "\"\\", "1.5", "Ș"} {
		f.Add(s, int64(3))
	}
	f.Fuzz(func(t *testing.T, s string, id int64) {
		requireSameAsWriteJSON(t, listOf(s, id))
	})
}
