package invoice_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice"
)

func TestParseFullTerms(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "full-terms.xml"))
	require.NoError(t, err)
	inv, err := invoice.Parse(data)
	require.NoError(t, err)

	// References and periods.
	require.Equal(t, "2026-01-19", inv.TaxPointDate)
	require.Equal(t, "CC-100", inv.AccountingCost)
	require.Equal(t, "REF-CUMP", inv.BuyerReference)
	require.Equal(t, "CMD-1", inv.OrderReference)
	require.Equal(t, "VZ-9", inv.SalesOrderReference)
	require.Equal(t, "CTR-2025-14", inv.ContractReference)
	require.Equal(t, "PRJ-ALFA", inv.ProjectReference)
	require.Equal(t, "AVZ-77", inv.DespatchAdviceReference)
	require.Equal(t, "NIR-12", inv.ReceivingAdviceReference)
	require.Equal(t, "LICIT-3", inv.TenderReference)
	require.Equal(t, "CONTOR-555", inv.InvoicedObjectID)
	require.Empty(t, inv.Attachments, "a BT-18 reference is not an attachment")
	require.Equal(t, []invoice.DocumentReference{{ID: "FULL-0000", IssueDate: "2025-12-20"}}, inv.PrecedingInvoices)
	require.Equal(t, &invoice.Period{Start: "2026-01-01", End: "2026-01-31", DescriptionCode: "35"}, inv.Period)
	require.Equal(t, "Plata în 30 de zile.", inv.PaymentTerms)

	// Parties.
	require.Equal(t, invoice.Party{
		Name: "ALFA SOFT SRL", TradingName: "ALFA SOFT", VATID: "RO12345674", LegalID: "J40/1234/2015",
		LegalForm: "Capital social 200 RON", IDs: []invoice.PartyID{{ID: "J40/1234/2015"}},
		EndpointID: "facturi@alfa.exemplu.ro", EndpointScheme: "EM",
		Address: &invoice.Address{Street: "Str. Ștefan cel Mare nr. 10", AdditionalStreet: "Bloc A, ap. 3", AddressLine: "Intrarea B",
			City: "SECTOR2", PostalCode: "020121", Subdivision: "RO-B", Country: "RO"},
		Contact: &invoice.Contact{Name: "Ana Exemplu", Phone: "0700000001", Email: "contact1@exemplu.ro"},
	}, inv.Seller)
	require.Equal(t, "1850101123456", inv.Buyer.LegalID)
	require.True(t, invoice.IsCNP(inv.Buyer.LegalID))
	require.Empty(t, invoice.PartyCIF(inv.Buyer), "a CNP is not a CIF")
	require.Equal(t, "RO-CJ", inv.Buyer.Address.Subdivision)
	require.Equal(t, &invoice.Party{Name: "FACTORING ÎNCASĂRI SA", TradingName: "FACTORING ÎNCASĂRI SA", LegalID: "18547290",
		IDs: []invoice.PartyID{{ID: "RO98ZZZ12345674", Scheme: "SEPA"}}}, inv.Payee)
	require.Equal(t, "RO27182818", inv.TaxRepresentative.VATID)
	require.Equal(t, &invoice.Address{City: "Iași", Subdivision: "RO-IS", Country: "RO"}, inv.TaxRepresentative.Address)
	require.Equal(t, &invoice.Delivery{PartyName: "Locuința clientului", LocationID: "5940000000001", LocationScheme: "0088",
		Date: "2026-01-18", Address: &invoice.Address{Street: "Calea Turzii 100", City: "Cluj-Napoca", Subdivision: "RO-CJ", Country: "RO"}}, inv.Delivery)

	// Document-level allowances and charges.
	require.Equal(t, []invoice.AllowanceCharge{
		{Charge: false, Amount: "20.00", BaseAmount: "200.00", Percentage: "10", Reason: "Discount", ReasonCode: "95", VATCategory: "S", VATRate: "21"},
		{Charge: true, Amount: "10.00", Reason: "Transport", ReasonCode: "FC", VATCategory: "S", VATRate: "21"},
	}, inv.AllowanceCharges)
	require.Equal(t, "20.00", inv.Totals.Allowances)
	require.Equal(t, "10.00", inv.Totals.Charges)

	// Payment means.
	require.Equal(t, []invoice.PaymentMeans{{Code: "30", Text: "Transfer credit", PaymentID: "FULL-0001",
		IBAN: "RO49AAAA1B31007593840001", BankName: "ALFA SOFT SRL"}}, inv.PaymentMeans)

	// The line.
	require.Equal(t, []invoice.Line{{
		ID: "1", Note: "Livrat la domiciliu", ObjectID: "OBJ-1", OrderLineReference: "3", AccountingCost: "CC-101",
		Name: "Scaun", Description: "Scaun ergonomic, negru", SellerItemID: "S-SC-01", BuyerItemID: "B-77",
		StandardItemID: "5940000000018", StandardItemScheme: "0160",
		Classifications: []invoice.Classification{{Code: "39112000-0", ListID: "STI"}, {Code: "94013000", ListID: "TSP", ListVersion: "2026"}},
		OriginCountry:   "RO", Attributes: []invoice.ItemAttribute{{Name: "Culoare", Value: "negru"}},
		Quantity: "4", UnitCode: "H87", UnitName: "bucată", UnitNameEN: "piece",
		Price: "52.00", PriceDiscount: "3.00", GrossPrice: "55.00", BaseQuantity: "1", BaseQuantityUnit: "H87",
		AllowanceCharges: []invoice.AllowanceCharge{{Amount: "8.00", Reason: "Reducere volum", ReasonCode: "95"}},
		NetAmount:        "200.00", VATCategory: "S", VATRate: "21",
		Period: &invoice.Period{Start: "2026-01-05", End: "2026-01-10"},
	}}, inv.Lines)
}

func TestUnitName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ code, lang, want string }{
		{"H87", "ro", "bucată"},
		{"H87", "en", "piece"},
		{"C62", "ro", "unitate"},
		{"KGM", "ro", "kilogram"},
		{"MTR", "ro", "metru"},
		{"LTR", "ro", "litru"},
		{"HUR", "ro", "oră"},
		{"DAY", "ro", "zi"},
		{"MON", "ro", "lună"},
		{"KWH", "ro", "kWh"},
		{"SET", "ro", "set"},
		{"XPP", "ro", "pachet"},
		{" kgm ", "en", "kilogram"},
		{"H87", "", "bucată"},
		{"NOPE", "ro", ""},
		{"", "ro", ""},
	} {
		t.Run(tc.code+"_"+tc.lang, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, invoice.UnitName(tc.code, tc.lang))
		})
	}
	require.GreaterOrEqual(t, invoice.UnitCodes(), 60)
}

func TestCNP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in     string
		is     bool
		masked string
	}{
		{"1850101123456", true, "1*********456"},
		{" 2991231400015 ", true, "2*********015"},
		{"0000000000000", true, "0*********000"},
		{"12345674", false, "12345674"},
		{"RO12345674", false, "RO12345674"},
		{"185010112345", false, "185010112345"},
		{"18501011234567", false, "18501011234567"},
		{"185010112345a", false, "185010112345a"},
		{"", false, ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.is, invoice.IsCNP(tc.in))
			require.Equal(t, tc.masked, invoice.MaskCNP(tc.in))
		})
	}
	require.Empty(t, invoice.PartyCIF(invoice.Party{LegalID: "0000000000000"}), "the placeholder never names a partner")
}
