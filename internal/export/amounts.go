package export

import (
	"strings"

	"github.com/shopspring/decimal"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/view"
	"github.com/efactura-gateway/efactura/internal/store"
)

// isCreditNote reports whether a document is a credit note: a CreditNote
// root or type code 381 (UNTDID 1001).
func isCreditNote(inv *store.Invoice, doc *invoice.Invoice) bool {
	if inv.DocumentType == string(invoice.DocCreditNote) {
		return true
	}
	return doc != nil && (doc.DocumentType == invoice.DocCreditNote || doc.TypeCode == "381")
}

// documentLabel names a document the way the invoice page and the PDF do
// (view.Labels): "Notă de credit" / "Credit note" for a credit note,
// "Factură storno" / "Reversal invoice" for an invoice with a negative
// total, "Factură corectată", "Autofactură", "Factură – informații
// contabile" for 384, 389, 751, else "Factură" / "Invoice". An ANAF error
// message is "Mesaj de eroare ANAF" / "ANAF error message"; any other
// stored type is written as stored.
func documentLabel(inv *store.Invoice, doc *invoice.Invoice, credit bool, lang string) string {
	L := view.LabelsFor(view.Lang(lang))
	switch {
	case credit:
		return L.CreditNote
	case inv.ParseStatus() == store.ParseANAFErrors:
		if lang == "en" {
			return "ANAF error message"
		}
		return "Mesaj de eroare ANAF"
	case doc == nil && inv.DocumentType != string(invoice.DocInvoice):
		return inv.DocumentType
	case doc == nil:
		if isNegative(inv.TotalAmount) {
			return L.Reversal
		}
		return L.Invoice
	}
	switch doc.TypeCode {
	case "384":
		return L.Corrected
	case "389":
		return L.SelfBilled
	case "751":
		return L.Accounting
	}
	if view.Negative(doc) {
		return L.Reversal
	}
	return L.Invoice
}

// paymentIBAN is the first payment account (BT-84) of the document.
func paymentIBAN(doc *invoice.Invoice) string {
	if doc == nil {
		return ""
	}
	for _, pm := range doc.PaymentMeans {
		if s := strings.TrimSpace(pm.IBAN); s != "" {
			return s
		}
	}
	return ""
}

// isNegative reports whether s is a plain decimal below zero.
func isNegative(s string) bool {
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	return err == nil && d.IsNegative()
}

// signed returns a credit note's amount as −|s|, keeping the decimals as
// written ("190.00" → "-190.00"; zero stays "0.00"); any other document's
// amount, and text that is not a plain decimal, as it is.
func signed(s string, credit bool) string {
	if !credit {
		return s
	}
	v := strings.TrimSpace(s)
	if _, ok := decimals(v); !ok {
		return s
	}
	v = strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+")
	if strings.Trim(v, "0.") == "" {
		return v
	}
	return "-" + v
}

// bucket sums the VAT breakdown rows of one rate.
type bucket struct {
	base, vat       decimal.Decimal
	basePl, vatPl   int32  // decimals shown
	baseBad, vatBad string // a value that is not a decimal, written as is
	has             bool
}

func (b *bucket) add(sum *decimal.Decimal, places *int32, bad *string, s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	d, err := decimal.NewFromString(s)
	if _, ok := decimals(s); !ok || err != nil {
		if *bad == "" {
			*bad = s
		}
		return
	}
	*sum = sum.Add(d)
	*places = max(*places, -d.Exponent(), 2)
}

func (b *bucket) text(sum decimal.Decimal, places int32, bad string, credit bool) string {
	switch {
	case !b.has:
		return ""
	case bad != "":
		return bad
	}
	if credit {
		sum = sum.Abs().Neg()
	}
	if sum.IsZero() {
		sum = decimal.Zero
	}
	return sum.StringFixed(max(places, 2))
}

// rateKey is the column group of a VAT rate: one of VATRates, "0" (zero
// or no rate), or "other".
func rateKey(rate string) string {
	rate = strings.TrimSpace(rate)
	if rate == "" {
		return "0"
	}
	d, err := decimal.NewFromString(rate)
	if err != nil {
		return "other"
	}
	if d.IsZero() {
		return "0"
	}
	for _, r := range VATRates {
		if d.Equal(decimal.RequireFromString(r)) {
			return r
		}
	}
	return "other"
}

// totalCells are the values of totalColumns for one invoice.
func totalCells(inv *store.Invoice, doc *invoice.Invoice, credit bool) []cell {
	buckets := map[string]*bucket{}
	var net, vatRON, rate string
	if doc != nil {
		net = doc.Totals.TaxExclusive
		for _, row := range doc.VATBreakdown {
			k := rateKey(row.Rate)
			b := buckets[k]
			if b == nil {
				b = &bucket{}
				buckets[k] = b
			}
			b.has = true
			b.add(&b.base, &b.basePl, &b.baseBad, row.TaxableAmount)
			b.add(&b.vat, &b.vatPl, &b.vatBad, row.TaxAmount)
		}
		vatRON, rate = ronVAT(inv, doc)
	} else if strings.EqualFold(strings.TrimSpace(inv.Currency), "RON") {
		vatRON = inv.VATAmount
	}
	baseCell := func(k string) cell {
		if b := buckets[k]; b != nil {
			return cell{text: b.text(b.base, b.basePl, b.baseBad, credit)}
		}
		return cell{}
	}
	vatCell := func(k string) cell {
		if b := buckets[k]; b != nil {
			return cell{text: b.text(b.vat, b.vatPl, b.vatBad, credit)}
		}
		return cell{}
	}
	out := []cell{{text: signed(net, credit)}}
	for _, r := range VATRates {
		out = append(out, baseCell(r), vatCell(r))
	}
	return append(out, baseCell("0"), baseCell("other"), vatCell("other"),
		cell{text: signed(inv.VATAmount, credit)}, cell{text: signed(inv.TotalAmount, credit)},
		cell{text: signed(vatRON, credit)}, cell{text: rate}, cell{at: inv.SyncedAt})
}

// ronVAT returns the VAT in RON of a document and the exchange rate
// derived from it: for a RON invoice, the VAT total (BT-110) and no rate;
// for another currency with VAT accounted in RON (BT-6 = RON), the VAT in
// RON (BT-111) and |BT-111| / |BT-110| rounded to 4 decimals (the BNR
// publishes 4), when both are non-zero decimals.
func ronVAT(inv *store.Invoice, doc *invoice.Invoice) (vat, rate string) {
	cur := strings.ToUpper(strings.TrimSpace(doc.Currency))
	if cur == "" {
		cur = strings.ToUpper(strings.TrimSpace(inv.Currency))
	}
	docVAT := doc.Totals.VAT
	if strings.TrimSpace(docVAT) == "" {
		docVAT = inv.VATAmount
	}
	if cur == "RON" {
		return docVAT, ""
	}
	if !strings.EqualFold(strings.TrimSpace(doc.TaxCurrency), "RON") {
		return "", ""
	}
	vat = strings.TrimSpace(doc.Totals.VATTaxCurrency)
	ron, err1 := decimal.NewFromString(vat)
	foreign, err2 := decimal.NewFromString(strings.TrimSpace(docVAT))
	if err1 == nil && err2 == nil && !ron.IsZero() && !foreign.IsZero() {
		rate = ron.Abs().DivRound(foreign.Abs(), 4).StringFixed(4)
	}
	return vat, rate
}
