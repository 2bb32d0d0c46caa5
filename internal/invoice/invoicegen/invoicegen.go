// Package invoicegen generates deterministic, realistic CIUS-RO UBL 2.1
// invoices and credit notes for the demo and tests.
//
// The documents are exchanged among a small set of fictitious Romanian
// companies with valid CIFs (check digit per cif.ValidCheckDigit), carry
// Romanian diacritics, county-coded addresses (RO-B, RO-CJ ...), IBANs and
// due dates, and have consistent totals (EN 16931 BR-CO rules) computed
// with decimal arithmetic. The same (n, seed) always gives the same bytes.
package invoicegen

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// File is one generated document.
type File struct {
	Name string // e.g. "gen-01-invoice-ALF-0001.xml"
	Data []byte // UTF-8 UBL XML
}

// BaseDate is the fixed reference date: issue dates fall in the 50 days
// before it.
var BaseDate = time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)

// Company is a fictitious Romanian company used by the generator.
type Company struct {
	CIF       string // digits, valid check digit
	Name      string // registration name (BT-27/BT-44)
	RegNo     string // trade register number
	Street    string
	City      string // "SECTOR1".."SECTOR6" in Bucharest (BR-RO-100)
	County    string // ISO 3166-2:RO, e.g. "RO-CJ"
	Postal    string
	BankCode  string // 4 letters of the IBAN
	VATPayer  bool   // registered for VAT: VAT id "RO"+CIF
	NumPrefix string // invoice number series
}

// Companies are the parties documents are exchanged among.
var Companies = []Company{
	{"12345674", "ALFA SOFT SRL", "J40/1234/2015", "Str. Ștefan cel Mare nr. 10", "SECTOR2", "RO-B", "020121", "BTRL", true, "ALF"},
	{"98765438", "BETA TRADING SRL", "J12/567/2012", "Bd. 21 Decembrie 1989 nr. 77", "Cluj-Napoca", "RO-CJ", "400124", "RNCB", true, "BTR"},
	{"31415920", "GAMMA CONSTRUCȚII SA", "J22/3141/2009", "Str. Păcurari nr. 5", "Iași", "RO-IS", "700511", "INGB", true, "GMC"},
	{"18547290", "DELTA LOGISTICĂ SRL", "J35/1854/2018", "Calea Șagului nr. 120", "Timișoara", "RO-TM", "300516", "BRDE", true, "DLG"},
	{"27182818", "EPSILON ÎNVĂȚARE SRL", "J08/2718/2020", "Str. Mureșenilor nr. 3", "Brașov", "RO-BV", "500030", "BACX", true, "EPS"},
	{"44556670", "ZETA ATELIER ÂNGER SRL", "J13/4455/2021", "Str. Ștefan cel Mare nr. 44", "Constanța", "RO-CT", "900178", "CECE", false, "ZTA"},
}

type product struct {
	name, desc string
	unit       string // UN/ECE Rec 20
	price      string // unit price, RON
	rate       string // VAT percent: "21", "11" or "0"
	integerQty bool
}

var products = []product{
	{"Licență software anuală", "Abonament 12 luni, un utilizator", "C62", "1250.00", "21", true},
	{"Servicii de consultanță IT", "Analiză și proiectare arhitectură", "HUR", "185.50", "21", false},
	{"Laptop 14 inch", "Procesor 8 nuclee, 16 GB RAM", "H87", "4299.99", "21", true},
	{"Cablu de rețea Cat6", "Rolă 305 m", "H87", "389.00", "21", true},
	{"Transport marfă", "Cursă București – Cluj-Napoca", "C62", "1450.00", "21", true},
	{"Manual de programare", "Carte tehnică, ediția a doua", "H87", "89.90", "11", true},
	{"Cafea boabe", "Pachet 1 kg, prăjire medie", "KGM", "74.35", "11", false},
	{"Apă minerală", "Bax 6 × 2 l", "H87", "17.40", "11", true},
	{"Curs de formare profesională", "Sesiune de instruire autorizată", "C62", "900.00", "0", true},
	{"Mentenanță echipamente", "Intervenție la sediul clientului", "HUR", "150.00", "21", false},
	{"Hârtie copiator A4", "Top 500 coli, 80 g/m²", "H87", "27.80", "21", true},
	{"Închiriere utilaj", "Excavator cu operator, zi lucrătoare", "DAY", "1600.00", "21", true},
}

const (
	nsInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	nsCAC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	nsCBC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
	customizatID = "urn:cen.eu:en16931:2017#compliant#urn:efactura.mfinante.ro:CIUS-RO:1.0.1"
	eurRONRate   = "5.0875" // fixed exchange rate for the EUR invoice
)

var hundred = decimal.NewFromInt(100)

// line is a computed invoice line.
type line struct {
	p        product
	qty, net decimal.Decimal
	category string
}

// Generate returns n documents derived from seed. Document i (from 0) is:
// the EUR invoice with RON VAT accounting currency when i%10 == 2, a
// credit note (381) when i%10 == 4 or 9, otherwise a RON invoice (380);
// one in ten has a document-level discount, one in ten a prepaid amount.
// Sellers take turns, buyers are drawn among the others, so money flows
// in both directions. Names are
// "gen-NN-<kind>-<number>.xml".
func Generate(n int, seed int64) []File { return generate(n, seed, BaseDate, false) }

// GenerateAt is Generate with issue dates in the 50 days up to base
// instead of before BaseDate, every fourth document in base's month (the
// demo: invoices of the last weeks, this month's figures never empty).
func GenerateAt(n int, seed int64, base time.Time) []File {
	return generate(n, seed, time.Date(base.Year(), base.Month(), base.Day(), 0, 0, 0, 0, time.UTC), true)
}

func generate(n int, seed int64, base time.Time, thisMonth bool) []File {
	r := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	counters := map[string]int{}
	out := make([]File, 0, n)
	order := r.Perm(len(Companies)) // every company issues in turn
	for i := range n {
		si := order[i%len(order)]
		bi := (si + 1 + r.IntN(len(Companies)-1)) % len(Companies)
		seller, buyer := Companies[si], Companies[bi]
		counters[seller.NumPrefix]++
		number := fmt.Sprintf("%s-%04d", seller.NumPrefix, counters[seller.NumPrefix])
		kind := "invoice"
		switch i % 10 {
		case 2:
			kind = "invoice-eur"
		case 4, 9:
			kind = "creditnote"
		}
		d := doc{
			kind: kind, number: number, seller: seller, buyer: buyer,
			issue:    base.AddDate(0, 0, -daysBack(r.IntN(50), i, base, thisMonth)),
			currency: "RON",
			discount: i%10 == 6,
			prepaid:  i%10 == 7,
			noteIdx:  r.IntN(4),
			orderRef: r.IntN(3) == 0,
		}
		if kind == "invoice-eur" {
			d.currency = "EUR"
		}
		d.lines = makeLines(r, seller, d.currency)
		out = append(out, File{
			Name: fmt.Sprintf("gen-%02d-%s-%s.xml", i+1, kind, number),
			Data: []byte(d.render()),
		})
	}
	return out
}

// Large returns one RON invoice (380) from the first company to the
// second with exactly lines lines (drawn like Generate's) and consistent
// totals. When size is more than the document would otherwise be, every
// line carries a cbc:Note (BT-127) padded so the document is about size
// bytes. It makes the large documents of the benchmarks and limit tests
// (bench/pdf-parallel.sh: a 10 MB invoice).
func Large(lines, size int, seed int64) File {
	r := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	seller, buyer := Companies[0], Companies[1]
	d := doc{
		kind: "invoice", number: seller.NumPrefix + "-L" + fmt.Sprint(lines), seller: seller, buyer: buyer,
		issue: BaseDate.AddDate(0, 0, -1), currency: "RON",
	}
	d.lines = makeLinesN(r, seller, d.currency, lines)
	data := d.render()
	if lines > 0 && size > len(data) {
		// A note costs its text plus the element and indentation (~30 bytes).
		per := (size-len(data))/lines - 30
		if per > 0 {
			pad := strings.Repeat("Notă de linie cu diacritice: ă â î ș ț. ", per/40+1)
			d.lineNote = strings.TrimSpace(truncateUTF8(pad, per))
			data = d.render()
		}
	}
	return File{Name: fmt.Sprintf("large-%d-lines.xml", lines), Data: []byte(data)}
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func makeLines(r *rand.Rand, seller Company, currency string) []line {
	return makeLinesN(r, seller, currency, 1+r.IntN(8))
}

func makeLinesN(r *rand.Rand, seller Company, currency string, nl int) []line {
	lines := make([]line, 0, nl)
	for range nl {
		p := products[r.IntN(len(products))]
		if !seller.VATPayer {
			p.rate = "0" // not VAT registered: exempt (category E)
		}
		var qty decimal.Decimal
		if p.integerQty {
			qty = decimal.NewFromInt(int64(1 + r.IntN(12)))
		} else {
			qty = decimal.New(int64(5+r.IntN(400)), -1) // 0.5 .. 40.4
		}
		if currency == "EUR" { // convert the RON list price, 2 decimals
			price := decimal.RequireFromString(p.price).Div(decimal.RequireFromString(eurRONRate)).Round(2)
			p.price = price.StringFixed(2)
		}
		cat := "S"
		if p.rate == "0" {
			cat = "E"
		}
		net := qty.Mul(decimal.RequireFromString(p.price)).Round(2)
		lines = append(lines, line{p: p, qty: qty, net: net, category: cat})
	}
	return lines
}

// doc is one document being generated.
type doc struct {
	kind     string // "invoice", "invoice-eur", "creditnote"
	number   string
	seller   Company
	buyer    Company
	issue    time.Time
	currency string
	lines    []line
	discount bool
	prepaid  bool
	noteIdx  int
	orderRef bool
	lineNote string // cbc:Note on every line (Large), "" for none
}

type subtotal struct {
	category, rate string
	taxable, tax   decimal.Decimal
}

var notes = []string{
	"Factură emisă conform contractului nr. 12/2025.",
	"Vă mulțumim pentru colaborare!",
	"Plata se face în termen de 30 de zile de la data emiterii.",
	"",
}

func (d *doc) render() string {
	credit := d.kind == "creditnote"
	root, ns, lineEl, qtyEl, typeEl, typeCode := "Invoice", nsInvoice, "InvoiceLine", "InvoicedQuantity", "InvoiceTypeCode", "380"
	if credit {
		root, ns, lineEl, qtyEl, typeEl, typeCode = "CreditNote", nsCreditNote, "CreditNoteLine", "CreditedQuantity", "CreditNoteTypeCode", "381"
	}
	cur := d.currency
	due := d.issue.AddDate(0, 0, 30).Format(time.DateOnly)

	// Totals (BR-CO-10..16) and the VAT breakdown (BR-CO-17).
	lineExt := decimal.Zero
	var subs []*subtotal
	find := func(cat, rate string) *subtotal {
		for _, s := range subs {
			if s.category == cat && s.rate == rate {
				return s
			}
		}
		s := &subtotal{category: cat, rate: rate}
		subs = append(subs, s)
		return s
	}
	for _, l := range d.lines {
		lineExt = lineExt.Add(l.net)
		s := find(l.category, l.p.rate)
		s.taxable = s.taxable.Add(l.net)
	}
	allowance := decimal.Zero
	var allowanceSub *subtotal
	if d.discount {
		allowanceSub = subs[0]
		allowance = allowanceSub.taxable.Mul(decimal.NewFromInt(5)).Div(hundred).Round(2) // 5 % discount
		if allowance.IsZero() {
			allowanceSub = nil
		} else {
			allowanceSub.taxable = allowanceSub.taxable.Sub(allowance)
		}
	}
	vat := decimal.Zero
	for _, s := range subs {
		s.tax = s.taxable.Mul(decimal.RequireFromString(s.rate)).Div(hundred).Round(2)
		vat = vat.Add(s.tax)
	}
	taxExcl := lineExt.Sub(allowance)
	taxIncl := taxExcl.Add(vat)
	prepaid := decimal.Zero
	if d.prepaid {
		prepaid = taxIncl.Div(decimal.NewFromInt(4)).Round(0) // an advance of about a quarter
	}
	payable := taxIncl.Sub(prepaid)

	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<%s xmlns="%s" xmlns:cac="%s" xmlns:cbc="%s">`+"\n", root, ns, nsCAC, nsCBC)
	w := &writer{b: &b, depth: 1}
	w.leaf("cbc:CustomizationID", customizatID)
	w.leaf("cbc:ID", d.number)
	w.leaf("cbc:IssueDate", d.issue.Format(time.DateOnly))
	if !credit {
		w.leaf("cbc:DueDate", due)
	}
	w.leaf("cbc:"+typeEl, typeCode)
	if note := notes[d.noteIdx]; note != "" {
		w.leaf("cbc:Note", note)
	}
	if credit {
		w.leaf("cbc:Note", "Stornare parțială pentru marfă returnată.")
	}
	w.leaf("cbc:DocumentCurrencyCode", cur)
	if cur != "RON" {
		w.leaf("cbc:TaxCurrencyCode", "RON")
	}
	if d.orderRef {
		w.open("cac:OrderReference")
		w.leaf("cbc:ID", "CMD-"+d.number)
		w.close("cac:OrderReference")
	}
	if credit {
		w.open("cac:BillingReference")
		w.open("cac:InvoiceDocumentReference")
		w.leaf("cbc:ID", d.seller.NumPrefix+"-0001")
		w.leaf("cbc:IssueDate", d.issue.AddDate(0, 0, -20).Format(time.DateOnly))
		w.close("cac:InvoiceDocumentReference")
		w.close("cac:BillingReference")
	}
	w.party("cac:AccountingSupplierParty", d.seller)
	w.party("cac:AccountingCustomerParty", d.buyer)

	w.open("cac:PaymentMeans")
	w.leaf("cbc:PaymentMeansCode", "30")
	if credit {
		w.leaf("cbc:PaymentDueDate", due)
	}
	w.leaf("cbc:PaymentID", d.number)
	w.open("cac:PayeeFinancialAccount")
	w.leaf("cbc:ID", IBAN(d.seller))
	w.leaf("cbc:Name", d.seller.Name)
	w.close("cac:PayeeFinancialAccount")
	w.close("cac:PaymentMeans")

	if allowanceSub != nil {
		w.open("cac:AllowanceCharge")
		w.leaf("cbc:ChargeIndicator", "false")
		w.leaf("cbc:AllowanceChargeReasonCode", "95")
		w.leaf("cbc:AllowanceChargeReason", "Discount comercial 5%")
		w.amount("cbc:Amount", cur, allowance)
		w.taxCategory("cac:TaxCategory", allowanceSub.category, allowanceSub.rate)
		w.close("cac:AllowanceCharge")
	}

	if cur != "RON" { // BT-111 in the tax currency, deliberately first
		w.open("cac:TaxTotal")
		w.amount("cbc:TaxAmount", "RON", vat.Mul(decimal.RequireFromString(eurRONRate)).Round(2))
		w.close("cac:TaxTotal")
	}
	w.open("cac:TaxTotal")
	w.amount("cbc:TaxAmount", cur, vat)
	for _, s := range subs {
		w.open("cac:TaxSubtotal")
		w.amount("cbc:TaxableAmount", cur, s.taxable)
		w.amount("cbc:TaxAmount", cur, s.tax)
		w.taxCategory("cac:TaxCategory", s.category, s.rate)
		w.close("cac:TaxSubtotal")
	}
	w.close("cac:TaxTotal")

	w.open("cac:LegalMonetaryTotal")
	w.amount("cbc:LineExtensionAmount", cur, lineExt)
	w.amount("cbc:TaxExclusiveAmount", cur, taxExcl)
	w.amount("cbc:TaxInclusiveAmount", cur, taxIncl)
	if allowanceSub != nil {
		w.amount("cbc:AllowanceTotalAmount", cur, allowance)
	}
	if d.prepaid {
		w.amount("cbc:PrepaidAmount", cur, prepaid)
	}
	w.amount("cbc:PayableAmount", cur, payable)
	w.close("cac:LegalMonetaryTotal")

	for i, l := range d.lines {
		w.open("cac:" + lineEl)
		w.leaf("cbc:ID", fmt.Sprint(i+1))
		if d.lineNote != "" {
			w.leaf("cbc:Note", d.lineNote)
		}
		w.attrLeaf("cbc:"+qtyEl, "unitCode", l.p.unit, l.qty.String())
		w.amount("cbc:LineExtensionAmount", cur, l.net)
		w.open("cac:Item")
		w.leaf("cbc:Description", l.p.desc)
		w.leaf("cbc:Name", l.p.name)
		w.taxCategory("cac:ClassifiedTaxCategory", l.category, l.p.rate)
		w.close("cac:Item")
		w.open("cac:Price")
		w.amount("cbc:PriceAmount", cur, decimal.RequireFromString(l.p.price))
		w.close("cac:Price")
		w.close("cac:" + lineEl)
	}
	fmt.Fprintf(&b, "</%s>\n", root)
	return b.String()
}

// writer emits indented XML elements.
type writer struct {
	b     *strings.Builder
	depth int
}

func (w *writer) indent() { w.b.WriteString(strings.Repeat("  ", w.depth)) }

func (w *writer) open(name string) {
	w.indent()
	fmt.Fprintf(w.b, "<%s>\n", name)
	w.depth++
}

func (w *writer) close(name string) {
	w.depth--
	w.indent()
	fmt.Fprintf(w.b, "</%s>\n", name)
}

func (w *writer) leaf(name, value string) {
	w.indent()
	fmt.Fprintf(w.b, "<%s>%s</%s>\n", name, escape(value), name)
}

func (w *writer) attrLeaf(name, attr, attrValue, value string) {
	w.indent()
	fmt.Fprintf(w.b, "<%s %s=\"%s\">%s</%s>\n", name, attr, escape(attrValue), escape(value), name)
}

func (w *writer) amount(name, currency string, v decimal.Decimal) {
	w.attrLeaf(name, "currencyID", currency, v.StringFixed(2))
}

func (w *writer) taxCategory(name, category, rate string) {
	w.open(name)
	w.leaf("cbc:ID", category)
	w.leaf("cbc:Percent", decimal.RequireFromString(rate).StringFixed(2))
	if category == "E" {
		w.leaf("cbc:TaxExemptionReasonCode", "VATEX-EU-132")
		w.leaf("cbc:TaxExemptionReason", "Scutit conform art. 292 din Codul fiscal")
	}
	w.open("cac:TaxScheme")
	w.leaf("cbc:ID", "VAT")
	w.close("cac:TaxScheme")
	w.close(name)
}

func (w *writer) party(role string, c Company) {
	w.open(role)
	w.open("cac:Party")
	w.open("cac:PartyName")
	w.leaf("cbc:Name", c.Name)
	w.close("cac:PartyName")
	w.open("cac:PostalAddress")
	w.leaf("cbc:StreetName", c.Street)
	w.leaf("cbc:CityName", c.City)
	w.leaf("cbc:PostalZone", c.Postal)
	w.leaf("cbc:CountrySubentity", c.County)
	w.open("cac:Country")
	w.leaf("cbc:IdentificationCode", "RO")
	w.close("cac:Country")
	w.close("cac:PostalAddress")
	if c.VATPayer {
		w.open("cac:PartyTaxScheme")
		w.leaf("cbc:CompanyID", "RO"+c.CIF)
		w.open("cac:TaxScheme")
		w.leaf("cbc:ID", "VAT")
		w.close("cac:TaxScheme")
		w.close("cac:PartyTaxScheme")
	}
	w.open("cac:PartyLegalEntity")
	w.leaf("cbc:RegistrationName", c.Name)
	if c.VATPayer {
		w.leaf("cbc:CompanyID", c.RegNo)
	} else {
		w.leaf("cbc:CompanyID", c.CIF) // BR-RO-065: the CIF when there is no VAT id
	}
	w.close("cac:PartyLegalEntity")
	w.open("cac:Contact")
	w.leaf("cbc:ElectronicMail", "contabilitate@"+strings.ToLower(strings.Fields(c.Name)[0])+".exemplu.ro")
	w.close("cac:Contact")
	w.close("cac:Party")
	w.close(role)
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func escape(s string) string { return escaper.Replace(s) }

// IBAN returns a made-up Romanian IBAN for c with correct ISO 13616 check
// digits: RO, 2 check digits, the 4-letter bank code, 16 characters.
func IBAN(c Company) string {
	acct := "RNCB" + c.CIF // a fixed account per company
	if len(acct) < 16 {
		acct = strings.Repeat("0", 16-len(acct)) + acct
	}
	bban := c.BankCode + acct[len(acct)-16:]
	// Move "RO00" to the end, letters to numbers, check = 98 - mod 97.
	var num strings.Builder
	for _, r := range bban + "RO00" {
		if r >= 'A' && r <= 'Z' {
			fmt.Fprintf(&num, "%d", r-'A'+10)
		} else {
			num.WriteRune(r)
		}
	}
	n, _ := new(big.Int).SetString(num.String(), 10)
	check := 98 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("RO%02d%s", check, bban)
}

// daysBack is how many days before base a document is issued: drawn,
// or for every fourth document with thisMonth, within base's month.
func daysBack(drawn, i int, base time.Time, thisMonth bool) int {
	if thisMonth && i%4 == 0 {
		return drawn % base.Day()
	}
	return drawn
}
