package risk

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

const company = "12345674"

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// inv is a made-up received invoice of supplier history.
func inv(id int64, number, date, currency, total string, iban string, rates ...string) Invoice {
	i := Invoice{ID: id, Number: number, IssueDate: date, Currency: currency, Total: d(total), VAT: d("0"), BuyerCIF: company}
	if iban != "" {
		i.IBANs = []string{iban}
	}
	i.VATRates = rates
	return i
}

func codes(flags []Flag) []string {
	out := []string{}
	for _, f := range flags {
		out = append(out, f.Code)
	}
	return out
}

// usual is a supplier's ordinary history: three RON invoices at 21 %,
// paid into one account.
var usual = []Invoice{
	inv(1, "S-1", "2026-01-05", "RON", "1190.00", "RO49AAAA1B31007593840000", "21"),
	inv(2, "S-2", "2026-01-12", "RON", "2380.00", "RO49 AAAA 1B31 0075 9384 0000", "21.00"),
	inv(3, "S-3", "2026-01-19", "RON", "595.00", "RO49AAAA1B31007593840000", "21"),
}

func TestHistoryFlags(t *testing.T) {
	dup := inv(9, "S-2", "2026-01-12", "RON", "9999.00", "", "21")
	dup.Duplicate = true
	otherBuyer := inv(10, "S-4", "2026-01-26", "RON", "100.00", "RO49AAAA1B31007593840000", "21")
	otherBuyer.BuyerCIF = "98765438"
	tests := []struct {
		name    string
		inv     Invoice
		history []Invoice
		want    []string
	}{
		{"ordinary invoice: nothing", inv(10, "S-4", "2026-01-26", "RON", "1190.00", "RO49AAAA1B31007593840000", "21"), usual, []string{}},
		{"iban changed", inv(10, "S-4", "2026-01-26", "RON", "1190.00", "RO09BCYP0000001234567890", "21"), usual, []string{FlagIBANChanged}},
		{"iban same with spaces and lower case: nothing", inv(10, "S-4", "2026-01-26", "RON", "1190.00", "ro49 aaaa 1b31 0075 9384 0000", "21"), usual, []string{}},
		{"iban on the first invoice ever: not a change", inv(10, "S-1", "2026-01-01", "RON", "100.00", "RO09BCYP0000001234567890", "21"), nil, []string{}},
		{"iban without earlier accounts: nothing", inv(10, "S-4", "2026-01-26", "RON", "100.00", "RO09BCYP0000001234567890", "21"),
			[]Invoice{inv(1, "S-1", "2026-01-05", "RON", "100.00", "", "21")}, []string{}},
		{"a later invoice's account does not count", inv(10, "S-0", "2026-01-01", "RON", "100.00", "RO09BCYP0000001234567890", "21"),
			usual, []string{}},
		{"number reused with another total", inv(10, "S-2", "2026-01-26", "RON", "2000.00", "RO49AAAA1B31007593840000", "21"), usual, []string{FlagNumberReused}},
		{"number reused with the same total: nothing", inv(10, "S-2", "2026-01-12", "RON", "2380.00", "RO49AAAA1B31007593840000", "21"), usual, []string{}},
		{"number reused only by a duplicate_of row: nothing", inv(10, "S-9", "2026-01-26", "RON", "1190.00", "RO49AAAA1B31007593840000", "21"),
			append([]Invoice{func() Invoice {
				x := inv(11, "S-9", "2026-01-20", "RON", "5.00", "", "21")
				x.Duplicate = true
				return x
			}()}, usual...), []string{}},
		{"the duplicate row itself gets no flag", dup, usual, []string{}},
		{"first invoice large", inv(10, "N-1", "2026-01-26", "RON", "50000.01", "", "21"), nil, []string{FlagFirstLarge}},
		{"first invoice at the threshold: nothing", inv(10, "N-1", "2026-01-26", "RON", "50000.00", "", "21"), nil, []string{}},
		{"first invoice large in EUR", inv(10, "N-1", "2026-01-26", "EUR", "12000", "", "21"), nil, []string{FlagFirstLarge}},
		{"first invoice in an unjudged currency: nothing", inv(10, "N-1", "2026-01-26", "HUF", "9000000", "", "21"), nil, []string{}},
		{"large but not the first: nothing", inv(10, "S-4", "2026-01-26", "RON", "80000.00", "RO49AAAA1B31007593840000", "21"), usual, []string{}},
		{"buyer is not the company", otherBuyer, usual, []string{FlagBuyerNotCompany}},
		{"unusual currency", inv(10, "S-4", "2026-01-26", "EUR", "100.00", "RO49AAAA1B31007593840000", "21"), usual, []string{FlagUnusualCurrency}},
		{"new currency with too little history: nothing", inv(10, "S-4", "2026-01-26", "EUR", "100.00", "RO49AAAA1B31007593840000", "21"), usual[:2], []string{}},
		{"unusual vat rate", inv(10, "S-4", "2026-01-26", "RON", "100.00", "RO49AAAA1B31007593840000", "9"), usual, []string{FlagUnusualVATRate}},
		{"vat rate written otherwise: nothing", inv(10, "S-4", "2026-01-26", "RON", "100.00", "RO49AAAA1B31007593840000", "21.000"), usual, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := History(Config{}, company, tc.inv, tc.history)
			require.Equal(t, tc.want, codes(got))
		})
	}
}

func TestHistoryDetails(t *testing.T) {
	got := History(Config{}, company, inv(10, "S-4", "2026-01-26", "RON", "1190.00", "RO09 BCYP 0000 0012 3456 7890", "21"), usual)
	require.Equal(t, []Flag{{Code: FlagIBANChanged, Details: map[string]string{
		"iban": "RO09BCYP0000001234567890", "previous": "RO49AAAA1B31007593840000"}}}, got)
	got = History(Config{LargeFirst: map[string]decimal.Decimal{"RON": d("1000")}}, company, inv(10, "N-1", "2026-01-26", "RON", "1000.50", "", "21"), nil)
	require.Equal(t, []string{FlagFirstLarge}, codes(got))
	require.Equal(t, "1000", got[0].Details["threshold"])
}

func TestVATFlags(t *testing.T) {
	charging := inv(1, "S-1", "2026-03-16", "RON", "1210.00", "", "21")
	charging.VAT = d("210.00")
	noVAT := inv(2, "S-2", "2026-03-16", "RON", "1000.00", "", "0")
	ok := VATStatus{Found: true, Date: "2026-03-16", VATRegistered: true, EFacturaKnown: true, InEFacturaReg: true}
	with := func(f func(*VATStatus)) VATStatus { s := ok; f(&s); return s }
	tests := []struct {
		name string
		inv  Invoice
		st   VATStatus
		want []string
	}{
		{"registered, active: nothing", charging, ok, []string{}},
		{"not found: nothing", charging, VATStatus{}, []string{}},
		{"inactive", charging, with(func(s *VATStatus) { s.Inactive = true; s.InactiveSince = "2025-10-06" }), []string{FlagInactive}},
		{"not vat registered and charging vat", charging, with(func(s *VATStatus) { s.VATRegistered = false }), []string{FlagNotVATRegistered}},
		{"not vat registered without vat: nothing", noVAT, with(func(s *VATStatus) { s.VATRegistered = false }), []string{}},
		{"cash vat", charging, with(func(s *VATStatus) { s.CashVAT = true }), []string{FlagCashVAT}},
		{"split vat", charging, with(func(s *VATStatus) { s.SplitVAT = true }), []string{FlagSplitVAT}},
		{"not in the e-Factura register", charging, with(func(s *VATStatus) { s.InEFacturaReg = false }), []string{FlagNotInRegister}},
		{"register flag absent from the answer: nothing", charging, with(func(s *VATStatus) { s.EFacturaKnown = false; s.InEFacturaReg = false }), []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := codes(VAT(tc.inv, tc.st))
			require.Equal(t, tc.want, got)
		})
	}
}

func TestSortAndSeverity(t *testing.T) {
	f := []Flag{{Code: FlagNotInRegister}, {Code: FlagCashVAT}, {Code: FlagInactive}}
	Sort(f)
	require.Equal(t, []string{FlagInactive, FlagCashVAT, FlagNotInRegister}, codes(f))
	require.Equal(t, SeverityHigh, Severity(FlagInactive))
	require.Equal(t, SeverityInfo, Severity(FlagNotInRegister))
	require.True(t, Known(FlagIBANChanged))
	require.False(t, Known("nope"))
}
