package invoicegen_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
)

func TestCompaniesHaveValidCIFs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range invoicegen.Companies {
		require.True(t, cif.ValidCheckDigit(c.CIF), "%s %s", c.CIF, c.Name)
		require.False(t, seen[c.CIF], "duplicate %s", c.CIF)
		seen[c.CIF] = true
		iban := invoicegen.IBAN(c)
		require.Len(t, iban, 24)
		require.True(t, ibanValid(iban), iban)
	}
}

func ibanValid(iban string) bool {
	s := iban[4:] + iban[:4]
	var num strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			num.WriteString(big.NewInt(int64(r - 'A' + 10)).String())
		} else {
			num.WriteRune(r)
		}
	}
	n, _ := new(big.Int).SetString(num.String(), 10)
	return new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	a, b := invoicegen.Generate(12, 42), invoicegen.Generate(12, 42)
	require.Equal(t, a, b)
	c := invoicegen.Generate(12, 43)
	require.NotEqual(t, a, c)
}

func TestGenerateParsesConsistently(t *testing.T) {
	t.Parallel()
	files := invoicegen.Generate(40, 7)
	require.Len(t, files, 40)
	var credit, eur int
	names := map[string]bool{}
	for _, f := range files {
		require.False(t, names[f.Name], "duplicate name %s", f.Name)
		names[f.Name] = true
		inv, err := invoice.Parse(f.Data)
		require.NoError(t, err, f.Name)

		// Parties: valid CIFs, found by PartyCIF, seller != buyer.
		s, b := invoice.PartyCIF(inv.Seller), invoice.PartyCIF(inv.Buyer)
		require.True(t, cif.ValidCheckDigit(s), "%s seller %q", f.Name, s)
		require.True(t, cif.ValidCheckDigit(b), "%s buyer %q", f.Name, b)
		require.NotEqual(t, s, b)
		require.NotEmpty(t, inv.Seller.Address.Subdivision)
		require.True(t, strings.HasPrefix(inv.Seller.Address.Subdivision, "RO-"))
		require.NotEmpty(t, inv.PaymentMeans)
		require.True(t, ibanValid(inv.PaymentMeans[0].IBAN), inv.PaymentMeans[0].IBAN)
		require.NotEmpty(t, inv.DueDate)

		switch inv.DocumentType {
		case invoice.DocCreditNote:
			credit++
			require.Equal(t, "381", inv.TypeCode)
		default:
			require.Equal(t, "380", inv.TypeCode)
		}
		if inv.Currency == "EUR" {
			eur++
			require.Equal(t, "RON", inv.TaxCurrency)
			require.NotEmpty(t, inv.Totals.VATTaxCurrency)
		}
		require.GreaterOrEqual(t, len(inv.Lines), 1)
		require.LessOrEqual(t, len(inv.Lines), 8)

		// BR-CO rules.
		d := func(s string) decimal.Decimal {
			if s == "" {
				return decimal.Zero
			}
			return decimal.RequireFromString(s)
		}
		sum := decimal.Zero
		for _, l := range inv.Lines {
			sum = sum.Add(d(l.NetAmount))
		}
		tot := inv.Totals
		require.True(t, sum.Equal(d(tot.LineExtension)), "BR-CO-10 %s", f.Name)
		require.True(t, d(tot.LineExtension).Sub(d(tot.Allowances)).Add(d(tot.Charges)).Equal(d(tot.TaxExclusive)), "BR-CO-13 %s", f.Name)
		vat, taxable := decimal.Zero, decimal.Zero
		for _, v := range inv.VATBreakdown {
			vat = vat.Add(d(v.TaxAmount))
			taxable = taxable.Add(d(v.TaxableAmount))
			want := d(v.TaxableAmount).Mul(d(v.Rate)).Div(decimal.NewFromInt(100)).Round(2)
			require.True(t, want.Equal(d(v.TaxAmount)), "BR-CO-17 %s", f.Name)
		}
		require.True(t, vat.Equal(d(tot.VAT)), "BR-CO-14 %s", f.Name)
		require.True(t, taxable.Equal(d(tot.TaxExclusive)), "BG-23 taxable %s", f.Name)
		require.True(t, d(tot.TaxExclusive).Add(d(tot.VAT)).Equal(d(tot.TaxInclusive)), "BR-CO-15 %s", f.Name)
		require.True(t, d(tot.TaxInclusive).Sub(d(tot.Prepaid)).Add(d(tot.Rounding)).Equal(d(tot.Payable)), "BR-CO-16 %s", f.Name)
	}
	require.GreaterOrEqual(t, credit, 2)
	require.GreaterOrEqual(t, eur, 1)
}

// TestLarge: Large gives a parsable invoice with exactly the lines asked
// for, padded (line notes) to about the size asked for.
func TestLarge(t *testing.T) {
	t.Parallel()
	f := invoicegen.Large(7, 0, 1)
	inv, err := invoice.Parse(f.Data)
	require.NoError(t, err)
	require.Len(t, inv.Lines, 7)
	require.Empty(t, inv.Lines[0].Note)
	require.Equal(t, f.Data, invoicegen.Large(7, 0, 1).Data, "deterministic")

	f = invoicegen.Large(50, 200_000, 1)
	require.InDelta(t, 200_000, len(f.Data), 10_000)
	inv, err = invoice.Parse(f.Data)
	require.NoError(t, err)
	require.Len(t, inv.Lines, 50)
	require.Contains(t, inv.Lines[49].Note, "Notă de linie")
}
