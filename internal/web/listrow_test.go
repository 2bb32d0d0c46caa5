package web

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// TestListRowCreditNote: a list row counts a credit note as −|BT-112| and
// names it, and names an invoice with a negative total a reversal (issue 17).
func TestListRowCreditNote(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		doc, total, lang, want, label string
	}{
		{"CreditNote", "82655.15", "ro", "-82.655,15 lei", "Notă de credit"},
		{"CreditNote", "-82655.15", "en", "-82,655.15 RON", "Credit note"},
		{"Invoice", "-10.00", "ro", "-10,00 lei", "Factură storno"},
		{"Invoice", "-10.00", "en", "-10.00 RON", "Reversal invoice"},
		{"Invoice", "229.90", "ro", "229,90 lei", ""},
		{"", "5", "ro", "5,00 lei", ""},
	} {
		row := newInvoiceRow(c.lang, &gateway.Invoice{DocumentType: c.doc, TotalAmount: c.total, Currency: "RON", MessageType: gateway.TypeReceived})
		require.Equal(t, c.want, row.Total, "%+v", c)
		require.Equal(t, c.label, row.DocLabel, "%+v", c)
	}
}
