package codes_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/codes"
)

func TestNames(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ got, want string }{
		{codes.DocumentType("380", "ro"), "Factură comercială"},
		{codes.DocumentType("381", "en"), "Credit note"},
		{codes.PaymentMeans("30", "ro"), "Transfer credit"},
		{codes.PaymentMeans("ZZZ", "en"), "Mutually defined"},
		{codes.VATCategory("s", "ro"), "Cota standard"},
		{codes.VATCategory("AE", "en"), "VAT reverse charge"},
		{codes.VATEX("VATEX-EU-O", "ro"), "În afara sferei TVA"},
		{codes.VATEX("vatex-eu-132-1g", "ro"), "Scutit conform art. 132 alin. (1) lit. g) din Directiva 2006/112/CE"},
		{codes.VATEX("VATEX-EU-132-1G", "en"), "Exempt based on article 132, section 1 (g) of Council Directive 2006/112/EC"},
		{codes.VATEX("VATEX-EU-79-C", "en"), "Exempt based on article 79 (c) of Council Directive 2006/112/EC"},
		{codes.VATEX("VATEX-EU-132", "ro"), "Scutit conform art. 132 din Directiva 2006/112/CE"},
		{codes.VATEX("VATEX-EU-X-1", "ro"), ""},
		{codes.VATEX("VATEX-XX-1", "ro"), ""},
		{codes.Unit("H87", "ro"), "buc"},
		{codes.Unit("HUR", "en"), "hour"},
		{codes.Unit("KWT", "ro"), "kilowatt"},
		{codes.Unit("QQQ", "ro"), ""},
		{codes.Country("RO", "ro"), "România"},
		{codes.Country("de", "en"), "Germany"},
		{codes.Country("ZZ", "ro"), ""},
		{codes.Country("ROU", "ro"), ""},
		{codes.County("RO-CJ"), "Cluj"},
		{codes.County("RO-B"), "București"},
		{codes.County("Sector 5"), ""},
		{codes.AllowanceReason("95", "ro"), "Reducere"},
		{codes.ChargeReason("FC", "en"), "Freight service"},
		{codes.TaxPointDate("35", "ro"), "Data livrării efective"},
	} {
		require.Equal(t, c.want, c.got)
	}
}
