package view_test

import (
	"os"
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

// TestRichInvoice: every part of a full invoice is arranged, codes by
// their names.
func TestRichInvoice(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../testdata/full-terms.xml")
	require.NoError(t, err)
	inv, err := invoice.Parse(data)
	require.NoError(t, err)
	v := view.New(inv, nil, view.RO)
	require.Equal(t, "Factură", v.Title)
	require.Contains(t, v.Meta, view.KV{K: "Tip document", V: "Factură comercială", Code: "380"})
	require.Contains(t, v.Meta, view.KV{K: "Exigibilitatea TVA", V: "Data livrării efective", Code: "35"})
	require.NotNil(t, v.Payee)
	require.Equal(t, "FACTORING ÎNCASĂRI SA", v.Payee.Name)
	require.NotNil(t, v.TaxRep)
	require.Equal(t, "Reprezentant Fiscal SRL", v.TaxRep.Name)
	require.Contains(t, v.TaxRep.Rows, view.KV{K: "Județul", V: "Iași", Code: "RO-IS"})
	require.NotNil(t, v.Delivery)
	require.Contains(t, v.Delivery.Rows, view.KV{K: "Data livrării", V: "18.01.2026"})
	require.Len(t, v.Parties(), 5)
	require.Contains(t, v.Seller.Rows, view.KV{K: "Țara", V: "România", Code: "RO"})
	require.Equal(t, []view.Charge{
		{Kind: "Reducere", Reason: "Discount", Code: "95", Base: "200,00 lei", Percent: "10%", Amount: "20,00 lei", VAT: "21%", VATCode: "S"},
		{Kind: "Taxă suplimentară", Reason: "Transport", Code: "FC", Amount: "10,00 lei", VAT: "21%", VATCode: "S"},
	}, v.Charges)
	require.Contains(t, v.Lines[0].Details, "Reducere – Reducere volum: 8,00 lei")
	require.Contains(t, v.Lines[0].Details, "Preț brut: 55,00 lei")
	require.Contains(t, v.Lines[0].Details, "Țara de origine: România")
	require.Equal(t, "Transfer credit", v.Payments[0].Means)
	require.Equal(t, view.KV{K: "Cont (IBAN)", V: "RO49AAAA1B31007593840001"}, v.Payments[0].Rows[0])
	require.Equal(t, view.KV{K: "Titular cont", V: "ALFA SOFT SRL"}, v.Payments[0].Rows[1])
	require.Equal(t, "Plata în 30 de zile.", v.Terms)

	en := view.New(inv, nil, view.EN)
	require.Equal(t, "Payee", en.Payee.Role)
	require.Equal(t, "Tax representative", en.TaxRep.Role)
	require.Equal(t, "Credit transfer", en.Payments[0].Means)
	require.Contains(t, en.Seller.Rows, view.KV{K: "Country", V: "Romania", Code: "RO"})
}

// TestTitlesAndSigns: a credit note is titled as one, an invoice with a
// negative total is a reversal; the bank is BT-86, the holder BT-85; the
// unit price carries its base quantity; no "-0,00".
func TestTitlesAndSigns(t *testing.T) {
	t.Parallel()
	inv := &invoice.Invoice{DocumentType: invoice.DocInvoice, TypeCode: "380", Number: "S-1", Currency: "RON",
		Totals: invoice.Totals{TaxInclusive: "-119.00", Payable: "-119.00", Rounding: "-0.00"},
		Lines: []invoice.Line{{ID: "1", Name: "Retur", Quantity: "-1", UnitCode: "KGM", Price: "12.5",
			BaseQuantity: "100", BaseQuantityUnit: "KGM", NetAmount: "-100.00", VATCategory: "S", VATRate: "19.00"}},
		PaymentMeans: []invoice.PaymentMeans{{Code: "58", IBAN: "RO49AAAA1B31007593840000", BankName: "Firma SRL", BIC: "BTRLRO22"}},
	}
	ro := view.New(inv, nil, view.RO)
	require.Equal(t, "Factură storno", ro.Title)
	require.Equal(t, "Reversal invoice", view.New(inv, nil, view.EN).Title)
	require.Equal(t, "12,50 lei / 100 kg", ro.Lines[0].Price)
	require.Equal(t, "-1", ro.Lines[0].Quantity)
	require.Equal(t, "19%", ro.Lines[0].VAT)
	require.Contains(t, ro.Totals, view.Total{Label: "Rotunjire", Value: "0,00 lei"})
	require.Equal(t, view.Payment{Means: "Transfer credit SEPA", Code: "58", Rows: []view.KV{
		{K: "Cont (IBAN)", V: "RO49AAAA1B31007593840000"}, {K: "Titular cont", V: "Firma SRL"}, {K: "Banca (BIC)", V: "BTRLRO22"},
	}}, ro.Payments[0])

	inv.Totals = invoice.Totals{TaxInclusive: "119.00"}
	require.Equal(t, "Factură", view.New(inv, nil, view.RO).Title)
	inv.TypeCode = "381"
	require.Equal(t, "Notă de credit", view.New(inv, nil, view.RO).Title)
	inv.TypeCode, inv.DocumentType = "", invoice.DocCreditNote
	require.Equal(t, "Credit note", view.New(inv, nil, view.EN).Title)
	inv.DocumentType, inv.TypeCode = invoice.DocInvoice, "386"
	require.Equal(t, "Factură de avans", view.New(inv, nil, view.RO).Title)
}

// TestPrecedingInvoiceSearch: a credit note's preceding invoice is a meta
// row carrying its number as a search term (the web page links it).
func TestPrecedingInvoiceSearch(t *testing.T) {
	t.Parallel()
	inv := &invoice.Invoice{DocumentType: invoice.DocCreditNote, Number: "CN-2", IssueDate: "2026-02-01", Currency: "RON",
		PrecedingInvoices: []invoice.DocumentReference{{ID: "EPS-0001", IssueDate: "2026-01-15"}, {IssueDate: "2026-01-10"}}}
	v := view.New(inv, nil, view.RO)
	var found []view.KV
	for _, r := range v.Meta {
		if r.K == "Factura inițială" {
			found = append(found, r)
		}
	}
	require.Equal(t, []view.KV{{K: "Factura inițială", V: "EPS-0001 din 15.01.2026", Search: "EPS-0001"}, {K: "Factura inițială", V: "din 10.01.2026"}}, found)
}
