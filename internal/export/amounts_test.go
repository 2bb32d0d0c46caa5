package export

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
)

func TestSigned(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"238.00": "-238.00", "-238.00": "-238.00", "+5": "-5", "0.00": "0.00", "-0.00": "0.00", "": "", "12,5": "12,5", "=1+1": "=1+1",
	} {
		require.Equal(t, want, signed(in, true), in)
		require.Equal(t, in, signed(in, false), "not a credit note: as written")
	}
}

func TestRateKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"21": "21", "21.00": "21", "19": "19", "9.0": "9", "11": "11", "5": "5", "0": "0", "0.00": "0", "": "0", "24": "other", "x": "other",
	} {
		require.Equal(t, want, rateKey(in), in)
	}
}

func TestRONVAT(t *testing.T) {
	t.Parallel()
	inv := &store.Invoice{Currency: "EUR", VATAmount: "21.00"}
	for _, tc := range []struct {
		doc       invoice.Invoice
		vat, rate string
		comment   string
	}{
		{invoice.Invoice{Currency: "RON", Totals: invoice.Totals{VAT: "19.00"}}, "19.00", "", "RON: BT-110, no rate"},
		{invoice.Invoice{Currency: "EUR", TaxCurrency: "RON", Totals: invoice.Totals{VAT: "21.00", VATTaxCurrency: "106.89"}}, "106.89", "5.0900", "BT-111 and its rate"},
		{invoice.Invoice{Currency: "EUR", TaxCurrency: "RON", Totals: invoice.Totals{VAT: "0.00", VATTaxCurrency: "0.00"}}, "0.00", "", "zero VAT: no rate"},
		{invoice.Invoice{Currency: "EUR", Totals: invoice.Totals{VAT: "21.00"}}, "", "", "no BT-6: nothing in RON"},
		{invoice.Invoice{Currency: "USD", TaxCurrency: "RON", Totals: invoice.Totals{VATTaxCurrency: "95.31"}}, "95.31", "4.5386", "BT-110 missing: the stored VAT"},
	} {
		vat, rate := ronVAT(inv, &tc.doc)
		require.Equal(t, []string{tc.vat, tc.rate}, []string{vat, rate}, tc.comment)
	}
}
