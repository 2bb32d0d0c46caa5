package view_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/view"
)

func sample() *invoice.Invoice {
	return &invoice.Invoice{
		DocumentType: invoice.DocCreditNote, Number: "CN-1", IssueDate: "2026-01-15", Currency: "RON",
		Lines: []invoice.Line{
			{ID: "1", Name: "A", Quantity: "2", UnitCode: "H87", Price: "10.00", NetAmount: "20.00", VATCategory: "S", VATRate: "19"},
			{ID: "2", Name: "B", Quantity: "1", UnitCode: "C62", Price: "5.00", NetAmount: "5.00", VATCategory: "AE", VATRate: "0"},
		},
		VATBreakdown: []invoice.VATSubtotal{{Category: "S", Rate: "19", TaxableAmount: "20.00", TaxAmount: "3.80"}},
		Totals:       invoice.Totals{TaxInclusive: "23.80", Payable: "23.80"},
	}
}

// TestNew: one view model, its words and formats in the language asked
// for; anything but EN is Romanian.
func TestNew(t *testing.T) {
	t.Parallel()
	facts := &view.Facts{MessageID: "3001", ReceivedAt: time.Date(2026, 1, 15, 8, 30, 0, 0, time.UTC)}
	ro := view.New(sample(), facts, "xx")
	require.Equal(t, view.RO, ro.Lang)
	require.Equal(t, "Notă de credit", ro.Title)
	require.Equal(t, view.KV{K: "Data emiterii", V: "15.01.2026"}, ro.Meta[0])
	require.Equal(t, "19%", ro.Lines[0].VAT, "category S is implicit")
	require.Equal(t, "0% – Taxare inversă", ro.Lines[1].VAT)
	require.Equal(t, "AE", ro.Lines[1].VATCode)
	require.Equal(t, "buc", ro.Lines[0].Unit)
	require.Equal(t, "10,00 lei", ro.Lines[0].Price)
	require.Equal(t, view.VATRow{Category: "Cota standard", Code: "S", Rate: "19%", Taxable: "20,00 lei", Tax: "3,80 lei"}, ro.VAT[0])
	require.Equal(t, []view.Total{{Label: "Total cu TVA", Value: "23,80 lei", Strong: true}, {Label: "Total de plată", Value: "23,80 lei", Strong: true}}, ro.Totals)
	require.Equal(t, []view.KV{{K: "ID mesaj", V: "3001"}, {K: "Primit la (ora României)", V: "15.01.2026 10:30"}}, ro.Facts)
	require.Equal(t, ro.Facts, view.FactRows(facts, view.RO))

	en := view.New(sample(), nil, view.EN)
	require.Equal(t, "Credit note", en.Title)
	require.Equal(t, view.KV{K: "Issue date", V: "15 Jan 2026"}, en.Meta[0])
	require.Equal(t, "23.80 RON", en.Totals[0].Value)
	require.Equal(t, "0% – VAT reverse charge", en.Lines[1].VAT)
	require.Nil(t, en.Facts)
	require.Nil(t, view.FactRows(nil, view.EN))
}
