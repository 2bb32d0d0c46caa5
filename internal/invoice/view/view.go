// Package view arranges a parsed invoice (invoice.Invoice) for people: the
// view model that the rendered documents (internal/invoice/render: HTML and
// PDF) and the web invoice page share, so both show the same thing the same
// way. It is a leaf: it imports only internal/invoice, internal/tz and the
// standard library.
//
// Text is shown as written in the XML: amounts keep the document's decimals
// and are followed by the currency code, Romanian letters keep the form they
// were written in (comma-below ș ț or cedilla ş ţ). Labels are Romanian by
// default, English with EN.
package view

import (
	"fmt"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// Facts are what ANAF says about the message that carried the invoice
// (the listaMesajeFactura / listaMesajePaginatieFactura entry). Every field
// is optional; a nil *Facts shows no ANAF facts.
type Facts struct {
	MessageID   string    // ANAF message id (id, the id_descarcare of /descarcare)
	UploadID    string    // id_solicitare: the upload (index de încărcare) the message answers
	MessageType string    // tip, ANAF's own words: "FACTURA PRIMITA", "FACTURA TRIMISA", ...
	ReceivedAt  time.Time // data_creare; shown in Europe/Bucharest. Zero: not shown
}

// Lang selects the language of labels.
type Lang string

// Languages of labels.
const (
	RO Lang = "ro" // Romanian (default)
	EN Lang = "en" // English
)

// Parties lists seller then buyer, for templates.
func (v *View) Parties() []Party { return []Party{v.Seller, v.Buyer} }

// View is the invoice arranged for display: every string final.
type View struct {
	Lang     Lang
	L        Labels
	Title    string // "Factură", "Factură storno / Notă de credit" ...
	Number   string
	Currency string
	Meta     []KV // issue date, due date, type code, currencies, references
	Seller   Party
	Buyer    Party
	Lines    []Line
	VAT      []VATRow
	Totals   []Total
	Payments []string
	Notes    []string
	Attach   []string
	Facts    []KV
	Footer   string // page caption: "Factură ALF-0001 din 15.01.2026"
}

// KV is a labelled value.
type KV struct{ K, V string }

// Party is the seller or the buyer.
type Party struct {
	Role  string // "Furnizor" / "Cumpărător"
	Name  string
	Rows  []KV // trading name, VAT id, legal id, address parts
	Empty bool
}

// Line is an invoice line, every column final.
type Line struct {
	ID, Name, Description, Quantity, Unit, Price, Net, VAT string
}

// VATRow is a row of the VAT breakdown (BG-23).
type VATRow struct {
	Category, Rate, Taxable, Tax, Exemption string
}

// Total is a document total; Strong ones are the sums to pay.
type Total struct {
	Label, Value string
	Strong       bool
}

// money formats an amount as written followed by the currency.
func money(amount, currency string) string {
	if amount == "" {
		return ""
	}
	if currency == "" {
		return amount
	}
	return amount + " " + currency
}

// date shows YYYY-MM-DD as DD.MM.YYYY in Romanian; anything else as written.
func date(s string, l Lang) string {
	if l == EN || len(s) != 10 {
		return s
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s
	}
	return t.Format("02.01.2006")
}

// New arranges inv for display in lang (anything but EN is Romanian), with
// ANAF's facts about its message when facts is not nil. inv must not be nil.
func New(inv *invoice.Invoice, facts *Facts, lang Lang) *View {
	o := struct{ lang Lang }{lang: RO}
	if lang == EN {
		o.lang = EN
	}
	L := LabelsFor(o.lang)
	v := &View{Lang: o.lang, L: L, Number: inv.Number, Currency: inv.Currency}
	v.Title = documentTitle(inv, L)
	v.Meta = metaRows(inv, L, o.lang)
	v.Seller = newParty(L.Seller, inv.Seller, L)
	v.Buyer = newParty(L.Buyer, inv.Buyer, L)
	v.Lines = lineViews(inv, o.lang)
	v.VAT = vatViews(inv, o.lang)
	v.Totals = totalViews(inv, L)
	v.Payments = paymentLines(inv, L, o.lang)
	for _, n := range inv.Notes {
		if n = strings.TrimSpace(n); n != "" {
			v.Notes = append(v.Notes, n)
		}
	}
	v.Attach = attachmentLines(inv, L)
	v.Facts = factRows(facts, L)

	v.Footer = strings.TrimSpace(v.Title + " " + inv.Number)
	if inv.IssueDate != "" {
		v.Footer += " " + L.Of + " " + date(inv.IssueDate, o.lang)
	}
	return v
}

// metaRows are the document's header facts: dates, currencies, type,
// period, preceding invoices and references; empty ones are left out.
func metaRows(inv *invoice.Invoice, L Labels, lang Lang) []KV {
	var rows []KV
	add := func(k, val string) {
		if val != "" {
			rows = append(rows, KV{k, val})
		}
	}
	add(L.IssueDate, date(inv.IssueDate, lang))
	add(L.DueDate, date(inv.DueDate, lang))
	add(L.Currency, inv.Currency)
	if inv.TaxCurrency != "" && inv.TaxCurrency != inv.Currency {
		add(L.TaxCurrency, inv.TaxCurrency)
	}
	if inv.TypeCode != "" {
		add(L.TypeCode, inv.TypeCode)
	}
	add(L.TaxPointDate, date(inv.TaxPointDate, lang))
	if p := inv.Period; p != nil && (p.Start != "" || p.End != "") {
		add(L.Period, strings.Trim(date(p.Start, lang)+" – "+date(p.End, lang), " –"))
	}
	for _, pr := range inv.PrecedingInvoices {
		ref := pr.ID
		if pr.IssueDate != "" {
			ref += " " + L.Of + " " + date(pr.IssueDate, lang)
		}
		add(L.Preceding, ref)
	}
	add(L.BuyerRef, inv.BuyerReference)
	add(L.OrderRef, inv.OrderReference)
	add(L.ContractRef, inv.ContractReference)
	add(L.ProjectRef, inv.ProjectReference)
	return rows
}

// lineViews are the invoice lines, the VAT column as "rate% [category]"
// (category S left implicit) or the bare category.
func lineViews(inv *invoice.Invoice, lang Lang) []Line {
	lines := make([]Line, len(inv.Lines))
	for i, ln := range inv.Lines {
		vat := ln.VATCategory
		if ln.VATRate != "" {
			vat = ln.VATRate + "%"
			if ln.VATCategory != "" && ln.VATCategory != "S" {
				vat += " " + ln.VATCategory
			}
		}
		lines[i] = Line{
			ID: ln.ID, Name: ln.Name, Description: ln.Description,
			Quantity: ln.Quantity, Unit: lineUnit(ln, lang),
			Price: ln.Price, Net: ln.NetAmount, VAT: vat,
		}
	}
	return lines
}

// vatViews are the VAT breakdown's rows.
func vatViews(inv *invoice.Invoice, lang Lang) []VATRow {
	var rows []VATRow
	for _, s := range inv.VATBreakdown {
		cat := s.Category
		if n := vatCategoryName(s.Category, lang); n != "" {
			cat = s.Category + " – " + n
		}
		ex := s.ExemptionReason
		if s.ExemptionCode != "" {
			ex = strings.TrimSpace(s.ExemptionCode + " " + ex)
		}
		rate := s.Rate
		if rate != "" {
			rate += "%"
		}
		rows = append(rows, VATRow{Category: cat, Rate: rate,
			Taxable: money(s.TaxableAmount, inv.Currency), Tax: money(s.TaxAmount, inv.Currency), Exemption: ex})
	}
	return rows
}

// totalViews are the document totals the invoice gives, in EN 16931's
// order; the amount due and the total with VAT are strong.
func totalViews(inv *invoice.Invoice, L Labels) []Total {
	t := inv.Totals
	taxCur := inv.TaxCurrency
	if taxCur == "" {
		taxCur = inv.Currency
	}
	var rows []Total
	for _, r := range []struct {
		label, amount, cur string
		strong             bool
	}{
		{L.LineExtension, t.LineExtension, inv.Currency, false},
		{L.Allowances, t.Allowances, inv.Currency, false},
		{L.Charges, t.Charges, inv.Currency, false},
		{L.TaxExclusive, t.TaxExclusive, inv.Currency, false},
		{L.VAT, t.VAT, inv.Currency, false},
		{L.VATTaxCurrency, t.VATTaxCurrency, taxCur, false},
		{L.TaxInclusive, t.TaxInclusive, inv.Currency, true},
		{L.Prepaid, t.Prepaid, inv.Currency, false},
		{L.Rounding, t.Rounding, inv.Currency, false},
		{L.Payable, t.Payable, inv.Currency, true},
	} {
		if r.amount != "" {
			rows = append(rows, Total{Label: r.label, Value: money(r.amount, r.cur), Strong: r.strong})
		}
	}
	return rows
}

// paymentLines are one line per means of payment, then the payment terms.
func paymentLines(inv *invoice.Invoice, L Labels, lang Lang) []string {
	var lines []string
	for _, pm := range inv.PaymentMeans {
		var parts []string
		if pm.Code != "" {
			c := pm.Code
			if n := paymentMeansName(pm.Code, lang); n != "" {
				c = n + " (" + pm.Code + ")"
			}
			parts = append(parts, c)
		}
		if pm.IBAN != "" {
			parts = append(parts, "IBAN "+pm.IBAN)
		}
		if pm.BIC != "" {
			parts = append(parts, "BIC "+pm.BIC)
		}
		if pm.BankName != "" {
			parts = append(parts, L.AccountName+": "+pm.BankName)
		}
		if pm.PaymentID != "" {
			parts = append(parts, L.PaymentID+": "+pm.PaymentID)
		}
		if len(parts) > 0 {
			lines = append(lines, strings.Join(parts, " · "))
		}
	}
	if t := strings.TrimSpace(inv.PaymentTerms); t != "" {
		lines = append(lines, L.PaymentTerms+": "+strings.ReplaceAll(t, "\n", "; "))
	}
	return lines
}

// attachmentLines are one line per attached document: name, description,
// type, size when embedded, and URI.
func attachmentLines(inv *invoice.Invoice, L Labels) []string {
	var lines []string
	for _, a := range inv.Attachments {
		name := a.FileName
		if name == "" {
			name = a.ID
		}
		parts := []string{name}
		if a.Description != "" && a.Description != name {
			parts = append(parts, a.Description)
		}
		if a.MIMEType != "" {
			parts = append(parts, a.MIMEType)
		}
		if a.Embedded && a.Size > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", a.Size, L.Bytes))
		}
		if a.URI != "" {
			parts = append(parts, a.URI)
		}
		lines = append(lines, strings.Join(parts, " · "))
	}
	return lines
}

// FactRows are what ANAF says about the message in lang (nil without
// facts), the reception time in Romanian time: the View's Facts, for a
// page that shows them without a parsed invoice.
func FactRows(facts *Facts, lang Lang) []KV {
	return factRows(facts, LabelsFor(lang))
}

func factRows(facts *Facts, L Labels) []KV {
	if facts == nil {
		return nil
	}
	var rows []KV
	add := func(k, val string) {
		if val != "" {
			rows = append(rows, KV{k, val})
		}
	}
	add(L.MessageID, facts.MessageID)
	add(L.UploadID, facts.UploadID)
	add(L.MessageType, facts.MessageType)
	if !facts.ReceivedAt.IsZero() {
		add(L.ReceivedAt+" "+L.RomanianTime, facts.ReceivedAt.In(tz.Bucharest()).Format("2006-01-02 15:04"))
	}
	return rows
}

func newParty(role string, p invoice.Party, L Labels) Party {
	pv := Party{Role: role, Name: p.Name}
	add := func(k, val string) {
		if val != "" {
			pv.Rows = append(pv.Rows, KV{k, val})
		}
	}
	if p.TradingName != "" && p.TradingName != p.Name {
		add(L.TradingName, p.TradingName)
	}
	add(L.VATID, p.VATID)
	add(L.LegalID, p.LegalID)
	if a := p.Address; a != nil {
		add(L.Street, a.Street)
		add(L.City, strings.TrimSpace(strings.Join(nonEmpty(a.PostalCode, a.City), " ")))
		if a.Subdivision != "" {
			county := a.Subdivision
			if n := countyName(a.Subdivision); n != "" {
				county = n + " (" + a.Subdivision + ")"
			}
			add(L.County, county)
		}
		add(L.Country, a.Country)
	}
	if c := p.Contact; c != nil {
		add(L.Contact, strings.Join(nonEmpty(c.Name, c.Phone, c.Email), " · "))
	}
	pv.Empty = pv.Name == "" && len(pv.Rows) == 0
	return pv
}

// lineUnit is the unit's short name (BT-130): the table's own for the
// commonest codes, else the parser's readable name, else the code.
func lineUnit(ln invoice.Line, l Lang) string {
	if _, ok := unitNames[ln.UnitCode]; ok {
		return unitName(ln.UnitCode, l)
	}
	name := ln.UnitName
	if l == EN && ln.UnitNameEN != "" {
		name = ln.UnitNameEN
	}
	if name == "" {
		return ln.UnitCode
	}
	return name
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// documentTitle names the document by its root element and BT-3 type code
// (UNTDID 1001: 380 invoice, 381 credit note, 384 corrected invoice,
// 389 self-billed invoice, 751 invoice information for accounting purposes).
func documentTitle(inv *invoice.Invoice, L Labels) string {
	if inv.DocumentType == invoice.DocCreditNote || inv.TypeCode == "381" {
		return L.CreditNote
	}
	switch inv.TypeCode {
	case "384":
		return L.Corrected
	case "389":
		return L.SelfBilled
	case "751":
		return L.Accounting
	}
	return L.Invoice
}
