// Package view arranges a parsed invoice (invoice.Invoice) for people: the
// view model that the rendered documents (internal/invoice/render: HTML and
// PDF) and the web invoice page share, so both show the same thing the same
// way.
//
// Amounts are written as the language writes them, with their currency
// (internal/locale: "1.234,50 lei", "1,234.50 RON"), keeping the
// document's decimals beyond two; days as "07.01.2026" (ro) or
// "7 Jan 2026" (en); codes by their names (internal/codes), the code kept
// beside for a title attribute. Names and free text are shown as written
// in the XML: Romanian letters keep the form they were written in
// (comma-below ș ț or cedilla ş ţ). Labels are Romanian by default,
// English with EN.
package view

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/efactura-gateway/efactura/internal/codes"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/locale"
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

// Parties lists the parties for templates: seller, buyer, then the payee,
// the tax representative and the delivery when the invoice has them.
func (v *View) Parties() []Party {
	ps := []Party{v.Seller, v.Buyer}
	for _, p := range []*Party{v.Payee, v.TaxRep, v.Delivery} {
		if p != nil {
			ps = append(ps, *p)
		}
	}
	return ps
}

// View is the invoice arranged for display: every string final, amounts
// in the language's format with their currency ("1.234,50 lei",
// "RON 1,234.50" is not used: "1,234.50 RON"), codes replaced by their
// names (the code kept beside, for a title attribute), days as the
// language writes them.
type View struct {
	Lang     Lang
	L        Labels
	Title    string // "Factură", "Notă de credit", "Factură storno" ...
	Number   string
	Currency string
	Meta     []KV // issue date, due date, type, currencies, references
	Seller   Party
	Buyer    Party
	Payee    *Party // BG-10, nil when the seller is paid
	TaxRep   *Party // BG-11
	Delivery *Party // BG-13: Name is the deliver-to party (BT-70)
	Lines    []Line
	Charges  []Charge // document-level allowances (BG-20) and charges (BG-21)
	VAT      []VATRow
	Totals   []Total
	Payments []Payment
	Terms    string // payment terms (BT-20)
	Notes    []string
	Attach   []string
	Facts    []KV
	Footer   string // page caption: "Factură ALF-0001 din 15.01.2026"
}

// KV is a labelled value; Code is the code the value names ("380",
// "RO-CJ"), "" when the value is not a code's name.
type KV struct {
	K, V, Code string
	// Search, when set, is a term the web page links to its search (a
	// preceding invoice's number: the original of a credit note); the PDF
	// shows V only.
	Search string
}

// Party is the seller, the buyer, the payee, the tax representative or
// the delivery.
type Party struct {
	Role  string // "Furnizor" / "Cumpărător" ...
	Name  string
	Rows  []KV // trading name, VAT id, legal id, address parts
	Empty bool
}

// Line is an invoice line, every column final. Details are the line's
// further facts, one text each: note, period, gross price and price
// discount, allowances and charges with their reasons, origin, item ids.
type Line struct {
	ID, Name, Description, Quantity, Unit, Price, Net, VAT string
	UnitCode, VATCode                                      string
	Details                                                []string
}

// Charge is a document-level allowance or charge.
type Charge struct {
	Kind    string // "Reducere" / "Taxă suplimentară"
	Reason  string // the reason text, else the reason code's name
	Code    string // the reason code (UNTDID 5189 / 7161)
	Base    string // base amount, with currency
	Percent string // "10%"
	Amount  string // with currency
	VAT     string // "19%" or the category's name
	VATCode string
}

// VATRow is a row of the VAT breakdown (BG-23).
type VATRow struct {
	Category, Rate, Taxable, Tax, Exemption string
	Code, ExemptionCode                     string
}

// Total is a document total; Strong ones are the sums to pay.
type Total struct {
	Label, Value string
	Strong       bool
}

// Payment is one means of payment (BG-16): its name and code, then its
// facts: the account (BT-84), its name (BT-85), the bank (BT-86), the
// payment reference (BT-83), card and mandate.
type Payment struct {
	Means, Code string
	Rows        []KV
}

func (l Lang) s() string { return string(l) }

// money formats an amount in lang with the currency.
func money(amount, currency string, l Lang) string {
	return locale.Money(l.s(), amount, currency)
}

// date shows YYYY-MM-DD as the language writes a day: "07.01.2026" (ro),
// "7 Jan 2026" (en); anything else as written.
func date(s string, l Lang) string { return locale.Day(l.s(), s) }

// percent shows a rate as "19%" ("19.00" → "19%", "9.5" → "9,5%").
func percent(s string, l Lang) string {
	if s == "" {
		return ""
	}
	return locale.Number(l.s(), s) + "%"
}

// named is code's name, else the code.
func named(name, code string) string {
	if name != "" {
		return name
	}
	return code
}

// New arranges inv for display in lang (anything but EN is Romanian), with
// ANAF's facts about its message when facts is not nil. inv must not be nil.
func New(inv *invoice.Invoice, facts *Facts, lang Lang) *View {
	if lang != EN {
		lang = RO
	}
	L := LabelsFor(lang)
	v := &View{Lang: lang, L: L, Number: inv.Number, Currency: inv.Currency}
	v.Title = documentTitle(inv, L)
	v.Meta = metaRows(inv, L, lang)
	v.Seller = newParty(L.Seller, inv.Seller, L, lang)
	v.Buyer = newParty(L.Buyer, inv.Buyer, L, lang)
	if inv.Payee != nil {
		p := newParty(L.Payee, *inv.Payee, L, lang)
		if !p.Empty {
			v.Payee = &p
		}
	}
	if inv.TaxRepresentative != nil {
		p := newParty(L.TaxRep, *inv.TaxRepresentative, L, lang)
		if !p.Empty {
			v.TaxRep = &p
		}
	}
	v.Delivery = deliveryParty(inv.Delivery, L, lang)
	v.Lines = lineViews(inv, L, lang)
	v.Charges = chargeViews(inv.AllowanceCharges, inv.Currency, L, lang)
	v.VAT = vatViews(inv, lang)
	v.Totals = totalViews(inv, L, lang)
	v.Payments = paymentViews(inv, L, lang)
	v.Terms = strings.ReplaceAll(strings.TrimSpace(inv.PaymentTerms), "\n", "; ")
	for _, n := range inv.Notes {
		if n = strings.TrimSpace(n); n != "" {
			v.Notes = append(v.Notes, n)
		}
	}
	v.Attach = attachmentLines(inv, L)
	v.Facts = factRows(facts, L, lang)

	v.Footer = strings.TrimSpace(v.Title + " " + inv.Number)
	if inv.IssueDate != "" {
		v.Footer += " " + L.Of + " " + date(inv.IssueDate, lang)
	}
	return v
}

// metaRows are the document's header facts: dates, currencies, type,
// period, preceding invoices and references; empty ones are left out.
func metaRows(inv *invoice.Invoice, L Labels, lang Lang) []KV {
	var rows []KV
	add := func(k, val string) {
		if val != "" {
			rows = append(rows, KV{K: k, V: val})
		}
	}
	add(L.IssueDate, date(inv.IssueDate, lang))
	add(L.DueDate, date(inv.DueDate, lang))
	if inv.TypeCode != "" {
		rows = append(rows, KV{K: L.TypeCode, V: named(codes.DocumentType(inv.TypeCode, lang.s()), inv.TypeCode), Code: inv.TypeCode})
	}
	add(L.Currency, inv.Currency)
	if inv.TaxCurrency != "" && inv.TaxCurrency != inv.Currency {
		add(L.TaxCurrency, inv.TaxCurrency)
	}
	add(L.TaxPointDate, date(inv.TaxPointDate, lang))
	if p := inv.Period; p != nil {
		if p.Start != "" || p.End != "" {
			add(L.Period, strings.Trim(date(p.Start, lang)+" – "+date(p.End, lang), " –"))
		}
		if p.DescriptionCode != "" {
			rows = append(rows, KV{K: L.TaxPointCode, V: named(codes.TaxPointDate(p.DescriptionCode, lang.s()), p.DescriptionCode), Code: p.DescriptionCode})
		}
	}
	for _, pr := range inv.PrecedingInvoices {
		ref := pr.ID
		if pr.IssueDate != "" {
			ref += " " + L.Of + " " + date(pr.IssueDate, lang)
		}
		if ref = strings.TrimSpace(ref); ref != "" {
			rows = append(rows, KV{K: L.Preceding, V: ref, Search: pr.ID})
		}
	}
	add(L.BuyerRef, inv.BuyerReference)
	add(L.OrderRef, inv.OrderReference)
	add(L.SalesOrderRef, inv.SalesOrderReference)
	add(L.ContractRef, inv.ContractReference)
	add(L.ProjectRef, inv.ProjectReference)
	add(L.DespatchRef, inv.DespatchAdviceReference)
	add(L.ReceivingRef, inv.ReceivingAdviceReference)
	add(L.TenderRef, inv.TenderReference)
	add(L.ObjectRef, inv.InvoicedObjectID)
	add(L.AccountingCost, inv.AccountingCost)
	return rows
}

// lineVAT is the VAT column: "19%" for the standard rate, "0% – Taxare
// inversă" for another category, or the category's name alone.
func lineVAT(rate, category string, lang Lang) string {
	name := named(codes.VATCategory(category, lang.s()), category)
	switch {
	case rate == "":
		return name
	case category == "" || strings.EqualFold(category, "S"):
		return percent(rate, lang)
	}
	return percent(rate, lang) + " – " + name
}

// lineViews are the invoice lines.
func lineViews(inv *invoice.Invoice, L Labels, lang Lang) []Line {
	lines := make([]Line, len(inv.Lines))
	for i, ln := range inv.Lines {
		unit := lineUnit(ln.UnitCode, lang)
		price := money(ln.Price, inv.Currency, lang)
		if bq := ln.BaseQuantity; price != "" && bq != "" && !isOne(bq) {
			bu := ln.BaseQuantityUnit
			if bu == "" {
				bu = ln.UnitCode
			}
			price += " / " + strings.TrimSpace(locale.Number(lang.s(), bq)+" "+lineUnit(bu, lang))
		}
		lines[i] = Line{
			ID: ln.ID, Name: ln.Name, Description: ln.Description,
			Quantity: locale.Number(lang.s(), ln.Quantity), Unit: unit, UnitCode: ln.UnitCode,
			Price: price, Net: money(ln.NetAmount, inv.Currency, lang),
			VAT: lineVAT(ln.VATRate, ln.VATCategory, lang), VATCode: ln.VATCategory,
			Details: lineDetails(ln, inv.Currency, L, lang),
		}
	}
	return lines
}

func isOne(s string) bool {
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	return err == nil && d.Equal(decimal.NewFromInt(1))
}

// lineDetails are a line's further facts, one text each.
func lineDetails(ln invoice.Line, cur string, L Labels, lang Lang) []string {
	var out []string
	add := func(k, val string) {
		if val != "" {
			out = append(out, k+": "+val)
		}
	}
	add(L.LineNote, strings.TrimSpace(ln.Note))
	if p := ln.Period; p != nil && (p.Start != "" || p.End != "") {
		add(L.Period, strings.Trim(date(p.Start, lang)+" – "+date(p.End, lang), " –"))
	}
	add(L.GrossPrice, money(ln.GrossPrice, cur, lang))
	add(L.PriceDiscount, money(ln.PriceDiscount, cur, lang))
	for _, c := range chargeViews(ln.AllowanceCharges, cur, L, lang) {
		out = append(out, c.Text(L))
	}
	add(L.SellerItemID, ln.SellerItemID)
	add(L.BuyerItemID, ln.BuyerItemID)
	add(L.StandardItemID, ln.StandardItemID)
	for _, c := range ln.Classifications {
		add(L.Classification, strings.TrimSpace(c.Code+" "+c.ListID))
	}
	if ln.OriginCountry != "" {
		add(L.Origin, named(codes.Country(ln.OriginCountry, lang.s()), ln.OriginCountry))
	}
	for _, a := range ln.Attributes {
		if a.Name != "" || a.Value != "" {
			out = append(out, strings.TrimSpace(a.Name+": "+a.Value))
		}
	}
	add(L.OrderLineRef, ln.OrderLineReference)
	add(L.ObjectRef, ln.ObjectID)
	add(L.AccountingCost, ln.AccountingCost)
	return out
}

// Text is the charge on one line: "Reducere: Discount, 10% din 200,00 lei:
// 20,00 lei (TVA 19%)".
func (c Charge) Text(L Labels) string {
	s := c.Kind
	if c.Reason != "" {
		s += " – " + c.Reason
	}
	s += ": " + c.Amount
	switch {
	case c.Percent != "" && c.Base != "":
		s += " (" + c.Percent + " " + L.OfAmount + " " + c.Base + ")"
	case c.Percent != "":
		s += " (" + c.Percent + ")"
	}
	if c.VAT != "" {
		s += ", " + L.ColVAT + " " + c.VAT
	}
	return s
}

// chargeViews are allowances and charges, document or line level.
func chargeViews(acs []invoice.AllowanceCharge, cur string, L Labels, lang Lang) []Charge {
	var out []Charge
	for _, ac := range acs {
		c := Charge{Kind: L.Allowance, Code: ac.ReasonCode,
			Base: money(ac.BaseAmount, cur, lang), Percent: percent(ac.Percentage, lang),
			Amount: money(ac.Amount, cur, lang), VATCode: ac.VATCategory}
		name := codes.AllowanceReason(ac.ReasonCode, lang.s())
		if ac.Charge {
			c.Kind = L.Charge
			name = codes.ChargeReason(ac.ReasonCode, lang.s())
		}
		c.Reason = strings.TrimSpace(ac.Reason)
		if c.Reason == "" {
			c.Reason = named(name, ac.ReasonCode)
		}
		if ac.VATCategory != "" || ac.VATRate != "" {
			c.VAT = lineVAT(ac.VATRate, ac.VATCategory, lang)
		}
		out = append(out, c)
	}
	return out
}

// vatViews are the VAT breakdown's rows.
func vatViews(inv *invoice.Invoice, lang Lang) []VATRow {
	var rows []VATRow
	for _, s := range inv.VATBreakdown {
		ex := strings.TrimSpace(s.ExemptionReason)
		if s.ExemptionCode != "" {
			if n := codes.VATEX(s.ExemptionCode, lang.s()); n != "" && ex == "" {
				ex = n
			} else if n != "" && !strings.EqualFold(n, ex) {
				ex = n + " – " + ex
			} else if ex == "" {
				ex = s.ExemptionCode
			}
		}
		rows = append(rows, VATRow{
			Category: named(codes.VATCategory(s.Category, lang.s()), s.Category), Code: s.Category,
			Rate:    percent(s.Rate, lang),
			Taxable: money(s.TaxableAmount, inv.Currency, lang), Tax: money(s.TaxAmount, inv.Currency, lang),
			Exemption: ex, ExemptionCode: s.ExemptionCode})
	}
	return rows
}

// totalViews are the document totals the invoice gives, in EN 16931's
// order; the amount due and the total with VAT are strong.
func totalViews(inv *invoice.Invoice, L Labels, lang Lang) []Total {
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
			rows = append(rows, Total{Label: r.label, Value: money(r.amount, r.cur, lang), Strong: r.strong})
		}
	}
	return rows
}

// paymentViews are the means of payment: name, then account (BT-84),
// account name (BT-85), bank (BT-86), reference (BT-83), card, mandate.
func paymentViews(inv *invoice.Invoice, L Labels, lang Lang) []Payment {
	var out []Payment
	for _, pm := range inv.PaymentMeans {
		p := Payment{Code: pm.Code, Means: codes.PaymentMeans(pm.Code, lang.s())}
		if p.Means == "" {
			p.Means = named(strings.TrimSpace(pm.Text), pm.Code)
		}
		add := func(k, val string) {
			if val = strings.TrimSpace(val); val != "" {
				p.Rows = append(p.Rows, KV{K: k, V: val})
			}
		}
		add(L.Account, pm.IBAN)
		add(L.AccountName, pm.BankName)
		add(L.Bank, pm.BIC)
		add(L.PaymentID, pm.PaymentID)
		add(L.Card, pm.CardPAN)
		add(L.CardHolder, pm.CardHolder)
		add(L.Mandate, pm.MandateID)
		add(L.DebitedAccount, pm.DebitedAccount)
		if p.Means != "" || len(p.Rows) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// Text is the payment on one line: "Transfer credit · Cont (IBAN): RO49 …".
func (p Payment) Text() string {
	parts := nonEmpty(p.Means)
	for _, r := range p.Rows {
		parts = append(parts, r.K+": "+r.V)
	}
	return strings.Join(parts, " · ")
}

// FactRows are what ANAF says about the message in lang (nil without
// facts), the reception time in Romanian time: the View's Facts, for a
// page that shows them without a parsed invoice.
func FactRows(facts *Facts, lang Lang) []KV {
	if lang != EN {
		lang = RO
	}
	return factRows(facts, LabelsFor(lang), lang)
}

func factRows(facts *Facts, L Labels, lang Lang) []KV {
	if facts == nil {
		return nil
	}
	var rows []KV
	add := func(k, val string) {
		if val != "" {
			rows = append(rows, KV{K: k, V: val})
		}
	}
	add(L.MessageID, facts.MessageID)
	add(L.UploadID, facts.UploadID)
	add(L.MessageType, facts.MessageType)
	if !facts.ReceivedAt.IsZero() {
		add(L.ReceivedAt+" "+L.RomanianTime, locale.DateTime(lang.s(), facts.ReceivedAt))
	}
	return rows
}

func newParty(role string, p invoice.Party, L Labels, lang Lang) Party {
	pv := Party{Role: role, Name: p.Name}
	add := func(k, val string) {
		if val = strings.TrimSpace(val); val != "" {
			pv.Rows = append(pv.Rows, KV{K: k, V: val})
		}
	}
	if p.TradingName != "" && p.TradingName != p.Name {
		add(L.TradingName, p.TradingName)
	}
	add(L.VATID, p.VATID)
	add(L.LegalID, p.LegalID)
	add(L.TaxRegID, p.TaxRegistrationID)
	for _, id := range p.IDs {
		if id.ID != p.LegalID && id.ID != p.VATID {
			add(L.PartyID, id.ID)
		}
	}
	add(L.LegalForm, p.LegalForm)
	pv.Rows = append(pv.Rows, addressRows(p.Address, L, lang)...)
	if c := p.Contact; c != nil {
		add(L.Contact, strings.Join(nonEmpty(c.Name, c.Phone, c.Email), " · "))
	}
	if p.EndpointID != "" && (p.Contact == nil || p.EndpointID != p.Contact.Email) {
		add(L.Endpoint, p.EndpointID)
	}
	pv.Empty = pv.Name == "" && len(pv.Rows) == 0
	return pv
}

// addressRows are an address's rows: street, city, county and country by
// name (their codes kept).
func addressRows(a *invoice.Address, L Labels, lang Lang) []KV {
	if a == nil {
		return nil
	}
	var rows []KV
	add := func(k, val, code string) {
		if val = strings.TrimSpace(val); val != "" {
			rows = append(rows, KV{K: k, V: val, Code: code})
		}
	}
	add(L.Street, strings.Join(nonEmpty(a.Street, a.AdditionalStreet, a.AddressLine), ", "), "")
	add(L.City, strings.Join(nonEmpty(a.PostalCode, a.City), " "), "")
	if a.Subdivision != "" {
		if n := codes.County(a.Subdivision); n != "" {
			add(L.County, n, a.Subdivision)
		} else {
			add(L.Region, a.Subdivision, "")
		}
	}
	if a.Country != "" {
		add(L.Country, named(codes.Country(a.Country, lang.s()), a.Country), a.Country)
	}
	return rows
}

// deliveryParty is the delivery (BG-13) as a party: the deliver-to name,
// location, date and address; nil without one.
func deliveryParty(d *invoice.Delivery, L Labels, lang Lang) *Party {
	if d == nil {
		return nil
	}
	p := Party{Role: L.Delivery, Name: strings.TrimSpace(d.PartyName)}
	if d.Date != "" {
		p.Rows = append(p.Rows, KV{K: L.DeliveryDate, V: date(d.Date, lang)})
	}
	if d.LocationID != "" {
		p.Rows = append(p.Rows, KV{K: L.Location, V: d.LocationID})
	}
	p.Rows = append(p.Rows, addressRows(d.Address, L, lang)...)
	if p.Name == "" && len(p.Rows) == 0 {
		return nil
	}
	return &p
}

// lineUnit is a unit code's short name (BT-130, BT-150), else the code.
func lineUnit(code string, l Lang) string {
	return named(codes.Unit(code, l.s()), code)
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Negative reports whether the invoice's total (BT-112, else the amount
// due BT-115) is below zero: an invoice that reverses another.
func Negative(inv *invoice.Invoice) bool {
	t := inv.Totals.TaxInclusive
	if strings.TrimSpace(t) == "" {
		t = inv.Totals.Payable
	}
	d, err := decimal.NewFromString(strings.TrimSpace(t))
	return err == nil && d.IsNegative()
}

// documentTitle names the document by its root element and BT-3 type code
// (UNTDID 1001): a CreditNote or a 381 is a credit note; an invoice (380)
// with a negative total a reversal ("Factură storno"); 384 a corrected
// invoice, 389 a self-billed one, 751 accounting information; another
// known code by its name; else an invoice.
func documentTitle(inv *invoice.Invoice, L Labels) string {
	if inv.DocumentType == invoice.DocCreditNote || inv.TypeCode == "381" {
		return L.CreditNote
	}
	switch inv.TypeCode {
	case "", "380":
		if Negative(inv) {
			return L.Reversal
		}
		return L.Invoice
	case "384":
		return L.Corrected
	case "389":
		return L.SelfBilled
	case "751":
		return L.Accounting
	}
	if n := codes.DocumentType(inv.TypeCode, string(L.lang)); n != "" {
		return n
	}
	return L.Invoice
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
			parts = append(parts, fmt.Sprintf("%s %s", locale.Int(string(L.lang), a.Size), L.Bytes))
		}
		if a.URI != "" {
			parts = append(parts, a.URI)
		}
		lines = append(lines, strings.Join(parts, " · "))
	}
	return lines
}
