// Package risk computes supplier risk flags on a received invoice (issue
// 20, part 2) from two sources, without touching a database:
//
//   - ANAF's VAT-payer register at the invoice's issue date (VAT): the
//     supplier was an inactive taxpayer, was not registered for VAT while
//     charging VAT, applied VAT on collection (cash VAT) or split VAT, or
//     was not in Registrul RO e-Factura;
//   - the company's own history of the supplier's invoices (History): the
//     payment account (BT-84) differs from the one on earlier invoices, the
//     same number (BT-1) came twice with different totals, a first invoice
//     with a large amount, a buyer CIF that is not the company's, a
//     currency or VAT rate never seen from the supplier before.
//
// A flag is a code and details (strings, stored as JSON); the pages explain
// each code in Romanian and English. Amounts are decimals.
package risk

import (
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// Flag codes (stored; never rename one).
const (
	FlagInactive          = "supplier_inactive"            // inactive taxpayer at the issue date
	FlagNotVATRegistered  = "supplier_not_vat_registered"  // not registered for VAT at the issue date, yet the invoice charges VAT
	FlagCashVAT           = "supplier_cash_vat"            // VAT on collection (TVA la încasare) at the issue date
	FlagSplitVAT          = "supplier_split_vat"           // split VAT payment at the issue date
	FlagNotInRegister     = "supplier_not_in_efactura_reg" // not in Registrul RO e-Factura at the issue date (information)
	FlagIBANChanged       = "iban_changed"                 // BT-84 never seen on the supplier's earlier invoices
	FlagNumberReused      = "number_reused"                // the supplier's BT-1 seen on another invoice with another total
	FlagFirstLarge        = "first_invoice_large"          // first invoice from the supplier, above the threshold
	FlagBuyerNotCompany   = "buyer_not_company"            // the buyer's CIF is not the company's
	FlagUnusualCurrency   = "unusual_currency"             // a currency never seen from the supplier after ≥ MinHistory invoices
	FlagUnusualVATRate    = "unusual_vat_rate"             // a VAT rate never seen from the supplier after ≥ MinHistory invoices
	SeverityHigh          = "high"
	SeverityWarning       = "warning"
	SeverityInfo          = "info"
	DefaultMinHistory     = 3
	defaultLargeRONAmount = 50000
)

// Codes lists every flag code in display order (most serious first).
var Codes = []string{
	FlagInactive, FlagNotVATRegistered, FlagIBANChanged, FlagBuyerNotCompany, FlagNumberReused,
	FlagFirstLarge, FlagCashVAT, FlagSplitVAT, FlagUnusualCurrency, FlagUnusualVATRate, FlagNotInRegister,
}

// Severity returns how serious a flag code is: SeverityHigh (the buyer may
// lose the VAT deduction or pay a fraudster), SeverityWarning, SeverityInfo.
func Severity(code string) string {
	switch code {
	case FlagInactive, FlagNotVATRegistered, FlagIBANChanged, FlagBuyerNotCompany:
		return SeverityHigh
	case FlagNotInRegister, FlagSplitVAT:
		return SeverityInfo
	}
	return SeverityWarning
}

// Known reports whether code is one of Codes.
func Known(code string) bool {
	for _, c := range Codes {
		if c == code {
			return true
		}
	}
	return false
}

// Flag is one finding: its code and what it is based on.
type Flag struct {
	Code    string            `json:"code"`
	Details map[string]string `json:"details,omitempty"`
}

// Invoice is what the rules read of one received invoice.
type Invoice struct {
	ID        int64
	Number    string          // BT-1
	IssueDate string          // BT-2, YYYY-MM-DD
	Currency  string          // BT-5
	Total     decimal.Decimal // BT-112
	VAT       decimal.Decimal // BT-110
	IBANs     []string        // BT-84 of every payment means
	VATRates  []string        // BT-119 of the VAT breakdown (percent, as written)
	BuyerCIF  string          // the buyer's CIF digits ("" when the invoice has none)
	Duplicate bool            // an ANAF re-publication (duplicate_of): left out of every comparison
}

// Config holds the thresholds of the history rules.
type Config struct {
	// LargeFirst is the amount (BT-112) per currency above which a first
	// invoice from a supplier is flagged; a currency without an entry is
	// not judged. Nil: DefaultLargeFirst.
	LargeFirst map[string]decimal.Decimal
	// MinHistory is how many earlier invoices a supplier needs before a
	// new currency or VAT rate is unusual (0: DefaultMinHistory).
	MinHistory int
}

// DefaultLargeFirst is 50,000 RON and its rough equivalent in EUR and USD
// (fixed values, not a daily exchange rate).
func DefaultLargeFirst() map[string]decimal.Decimal {
	return map[string]decimal.Decimal{
		"RON": decimal.NewFromInt(defaultLargeRONAmount),
		"EUR": decimal.NewFromInt(10000),
		"USD": decimal.NewFromInt(11000),
	}
}

func (c Config) withDefaults() Config {
	if c.LargeFirst == nil {
		c.LargeFirst = DefaultLargeFirst()
	}
	if c.MinHistory <= 0 {
		c.MinHistory = DefaultMinHistory
	}
	return c
}

// earlier reports whether h came before inv: an earlier issue date, or
// the same date and a smaller id (archived before).
func earlier(h, inv Invoice) bool {
	if h.IssueDate != inv.IssueDate {
		return h.IssueDate < inv.IssueDate
	}
	return h.ID < inv.ID
}

// NormalizeIBAN upper-cases an IBAN and drops its spaces.
func NormalizeIBAN(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// normRate writes a VAT rate canonically ("19.00" and "19" are one rate);
// a rate that is not a number is kept as written.
func normRate(s string) string {
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil {
		return strings.TrimSpace(s)
	}
	return d.String()
}

// History returns the flags inv gets from the company's history of the
// same supplier (history: the supplier's other invoices of the company,
// in any order, inv itself allowed and ignored). companyCIF is the
// company's CIF digits.
func History(cfg Config, companyCIF string, inv Invoice, history []Invoice) []Flag {
	cfg = cfg.withDefaults()
	if inv.Duplicate {
		return nil // an ANAF re-publication: its original carries the flags
	}
	var flags []Flag
	if inv.BuyerCIF != "" && companyCIF != "" && inv.BuyerCIF != companyCIF {
		flags = append(flags, Flag{Code: FlagBuyerNotCompany, Details: map[string]string{"buyer_cif": inv.BuyerCIF, "company_cif": companyCIF}})
	}
	var before []Invoice
	for _, h := range history {
		if h.ID == inv.ID || h.Duplicate {
			continue
		}
		if h.Number != "" && h.Number == inv.Number && !h.Total.Equal(inv.Total) {
			flags = appendOnce(flags, Flag{Code: FlagNumberReused, Details: map[string]string{
				"number": inv.Number, "other_total": h.Total.String(), "other_issue_date": h.IssueDate, "total": inv.Total.String()}})
		}
		if earlier(h, inv) {
			before = append(before, h)
		}
	}
	if len(before) == 0 {
		if limit, ok := cfg.LargeFirst[strings.ToUpper(inv.Currency)]; ok && inv.Total.Abs().GreaterThan(limit) {
			flags = append(flags, Flag{Code: FlagFirstLarge, Details: map[string]string{
				"total": inv.Total.String(), "currency": inv.Currency, "threshold": limit.String()}})
		}
		return flags
	}
	if f, ok := ibanFlag(inv, before); ok {
		flags = append(flags, f)
	}
	if len(before) >= cfg.MinHistory {
		flags = append(flags, unusual(inv, before)...)
	}
	return flags
}

func appendOnce(flags []Flag, f Flag) []Flag {
	for _, g := range flags {
		if g.Code == f.Code {
			return flags
		}
	}
	return append(flags, f)
}

// ibanFlag: an account on inv never seen on an earlier invoice that had one.
func ibanFlag(inv Invoice, before []Invoice) (Flag, bool) {
	seen := map[string]bool{}
	for _, h := range before {
		for _, a := range h.IBANs {
			if a = NormalizeIBAN(a); a != "" {
				seen[a] = true
			}
		}
	}
	if len(seen) == 0 {
		return Flag{}, false
	}
	var fresh []string
	for _, a := range inv.IBANs {
		if a = NormalizeIBAN(a); a != "" && !seen[a] {
			fresh = append(fresh, a)
		}
	}
	if len(fresh) == 0 {
		return Flag{}, false
	}
	return Flag{Code: FlagIBANChanged, Details: map[string]string{
		"iban": strings.Join(fresh, ", "), "previous": strings.Join(sortedKeys(seen), ", ")}}, true
}

// unusual: a currency or VAT rate on inv that no earlier invoice had.
func unusual(inv Invoice, before []Invoice) []Flag {
	var flags []Flag
	currencies, rates := map[string]bool{}, map[string]bool{}
	for _, h := range before {
		if c := strings.ToUpper(h.Currency); c != "" {
			currencies[c] = true
		}
		for _, r := range h.VATRates {
			rates[normRate(r)] = true
		}
	}
	if c := strings.ToUpper(inv.Currency); c != "" && len(currencies) > 0 && !currencies[c] {
		flags = append(flags, Flag{Code: FlagUnusualCurrency, Details: map[string]string{
			"currency": c, "usual": strings.Join(sortedKeys(currencies), ", "), "invoices": itoa(len(before))}})
	}
	if len(rates) > 0 {
		var fresh []string
		for _, r := range inv.VATRates {
			if n := normRate(r); !rates[n] && !contains(fresh, n) {
				fresh = append(fresh, n)
			}
		}
		if len(fresh) > 0 {
			flags = append(flags, Flag{Code: FlagUnusualVATRate, Details: map[string]string{
				"rate": strings.Join(fresh, ", "), "usual": strings.Join(sortedKeys(rates), ", "), "invoices": itoa(len(before))}})
		}
	}
	return flags
}

// VATStatus is the supplier's entry in ANAF's VAT-payer register at the
// invoice's issue date.
type VATStatus struct {
	Found          bool   // ANAF knows the CUI
	Date           string // the date asked about (YYYY-MM-DD)
	Name           string // denumire
	Inactive       bool   // stare_inactiv.statusInactivi
	InactiveSince  string // dataInactivare
	VATRegistered  bool   // inregistrare_scop_Tva.scpTVA
	CashVAT        bool   // inregistrare_RTVAI.statusTvaIncasare
	CashVATSince   string // dataInceputTvaInc
	SplitVAT       bool   // inregistrare_SplitTVA.statusSplitTVA
	EFacturaKnown  bool   // the answer carried statusRO_e_Factura
	InEFacturaReg  bool   // date_generale.statusRO_e_Factura
	VATPeriodStart string // start of the registration period containing Date, if any
}

// VAT returns the flags inv gets from the supplier's register status at its
// issue date. A CUI ANAF does not know yields no flag (ANAF has answered
// "not found" by mistake; the absence is shown as information elsewhere).
func VAT(inv Invoice, st VATStatus) []Flag {
	if !st.Found {
		return nil
	}
	date := st.Date
	var flags []Flag
	if st.Inactive {
		flags = append(flags, Flag{Code: FlagInactive, Details: map[string]string{"date": date, "since": st.InactiveSince}})
	}
	if !st.VATRegistered && inv.VAT.IsPositive() {
		flags = append(flags, Flag{Code: FlagNotVATRegistered, Details: map[string]string{"date": date, "vat": inv.VAT.String(), "currency": inv.Currency}})
	}
	if st.CashVAT {
		flags = append(flags, Flag{Code: FlagCashVAT, Details: map[string]string{"date": date, "since": st.CashVATSince}})
	}
	if st.SplitVAT {
		flags = append(flags, Flag{Code: FlagSplitVAT, Details: map[string]string{"date": date}})
	}
	if st.EFacturaKnown && !st.InEFacturaReg {
		flags = append(flags, Flag{Code: FlagNotInRegister, Details: map[string]string{"date": date}})
	}
	return flags
}

// Sort orders flags as Codes does.
func Sort(flags []Flag) {
	pos := map[string]int{}
	for i, c := range Codes {
		pos[c] = i
	}
	sort.SliceStable(flags, func(i, j int) bool { return pos[flags[i].Code] < pos[flags[j].Code] })
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func itoa(n int) string { return decimal.NewFromInt(int64(n)).String() }
