package invoice_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/unicode"

	"github.com/efactura-gateway/efactura/internal/invoice"
)

func readInvoiceTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "invoices", name))
	require.NoError(t, err)
	return data
}

func TestParseEURWithTaxCurrencyFirst(t *testing.T) {
	t.Parallel()
	inv, err := invoice.Parse(readInvoiceTestdata(t, "edge-eur-ron-taxtotal-first.xml"))
	require.NoError(t, err)

	require.Equal(t, "EUR", inv.Currency)
	require.Equal(t, "RON", inv.TaxCurrency)
	require.Equal(t, "209.85", inv.Totals.VAT)
	require.Equal(t, "1067.61", inv.Totals.VATTaxCurrency)
	require.Equal(t, "1119.30", inv.Totals.LineExtension, "amounts are trimmed")
	require.Equal(t, "-0.15", inv.Totals.Rounding)
	require.Equal(t, "300.00", inv.Totals.Prepaid)
	require.Equal(t, []string{"Curs BNR 5,0875 lei/EUR la data de 09.01.2026."}, inv.Notes)
	require.Equal(t, "PO-7781", inv.BuyerReference)
	require.Equal(t, "CMD-7781", inv.OrderReference)

	// Seller: RegistrationName wins over the trading name; the VAT scheme
	// is found though a TAX scheme comes first.
	require.Equal(t, "ALFA SOFT SRL", inv.Seller.Name)
	require.Equal(t, "ALFA SOFT", inv.Seller.TradingName)
	require.Equal(t, "RO 12345674", inv.Seller.VATID)
	require.Equal(t, "J40/1234/2015", inv.Seller.LegalID)
	require.Equal(t, &invoice.Address{Street: "Str. Ștefan cel Mare nr. 10", City: "SECTOR2", PostalCode: "020121", Subdivision: "RO-B", Country: "RO"}, inv.Seller.Address)
	require.Equal(t, "12345674", invoice.PartyCIF(inv.Seller))
	require.Equal(t, &invoice.Contact{Name: "Ana Exemplu", Email: "contact1@exemplu.ro"}, inv.Seller.Contact)
	require.Equal(t, &invoice.Party{Name: "FACTORING ÎNCASĂRI SA", TradingName: "FACTORING ÎNCASĂRI SA"}, inv.Payee)
	require.Equal(t, &invoice.Delivery{PartyName: "Depozit Otopeni", Date: "2026-01-08"}, inv.Delivery)
	require.Nil(t, inv.TaxRepresentative)
	require.Equal(t, "Beispiel Handel GmbH", inv.Buyer.Name)
	require.Empty(t, invoice.PartyCIF(inv.Buyer), "a German buyer has no Romanian CIF")

	require.Equal(t, []invoice.VATSubtotal{
		{Category: "S", Rate: "21", TaxableAmount: "999.30", TaxAmount: "209.85"},
		{Category: "E", Rate: "0", TaxableAmount: "120", TaxAmount: "0", ExemptionReason: "Scutit conform art. 292 din Codul fiscal", ExemptionCode: "VATEX-EU-132"},
	}, inv.VATBreakdown)
	require.Equal(t, invoice.Line{
		ID: "1", Name: "Servicii de programare", Description: "Dezvoltare modul de facturare, ianuarie",
		Quantity: "12.5", UnitCode: "HUR", UnitName: "oră", UnitNameEN: "hour", Price: "79.944", NetAmount: "999.30", VATCategory: "S", VATRate: "21",
	}, inv.Lines[0])
	require.Len(t, inv.Lines, 2)
	require.Equal(t, []invoice.PaymentMeans{{Code: "58", PaymentID: "EXP-2026-0042", IBAN: "RO80BTRL0000RNCB12345674", BankName: "ALFA SOFT SRL", BIC: "BTRLRO22"}}, inv.PaymentMeans)
	require.Equal(t, []invoice.Attachment{
		{ID: "ANEXA-1", Description: "Proces-verbal de recepție", FileName: "proces-verbal.txt", MIMEType: "text/plain", Size: len("Proces-verbal de recepție\n"), Embedded: true},
		{ID: "CONTRACT-12", URI: "https://exemplu.ro/contracte/12.pdf"},
	}, inv.Attachments)
}

func TestParseCreditNote(t *testing.T) {
	t.Parallel()
	inv, err := invoice.Parse(readInvoiceTestdata(t, "edge-creditnote.xml"))
	require.NoError(t, err)
	require.Equal(t, invoice.DocCreditNote, inv.DocumentType)
	require.Equal(t, "381", inv.TypeCode)
	require.Equal(t, "2026-02-11", inv.DueDate, "credit note due date comes from PaymentMeans/PaymentDueDate")
	require.Equal(t, "GAMMA CONSTRUCȚII SA", inv.Seller.Name)
	require.Equal(t, "ZETA ATELIER ÂNGER SRL", inv.Buyer.Name, "trading name when there is no RegistrationName")
	require.Empty(t, inv.Buyer.VATID, "a non-VAT tax scheme is not the VAT id")
	require.Equal(t, "44556670", invoice.PartyCIF(inv.Buyer))
	require.Equal(t, "31415920", invoice.PartyCIF(inv.Seller))
	require.Equal(t, []invoice.DocumentReference{{ID: "GMC-0099", IssueDate: "2025-12-20"}}, inv.PrecedingInvoices)
	require.Equal(t, "44556670", inv.Buyer.TaxRegistrationID, "BT-48's non-VAT scheme is BT-32's shape")
	require.Equal(t, &invoice.Contact{Name: "Maria Achiziții"}, inv.Buyer.Contact)
	require.Equal(t, &invoice.Party{Name: "Încasări Terț SRL", TradingName: "Încasări Terț SRL", LegalID: "99999999"}, inv.Payee)
	require.Equal(t, &invoice.Party{Name: "Reprezentant Fiscal SRL", TradingName: "Reprezentant Fiscal SRL", VATID: "RO27182818",
		Address: &invoice.Address{Country: "RO"}}, inv.TaxRepresentative)
	require.Equal(t, []invoice.Line{{ID: "1", Name: "Țiglă ceramică", Quantity: "20", UnitCode: "MTK", UnitName: "metru pătrat", UnitNameEN: "square metre", Price: "15.00", NetAmount: "300.00", VATCategory: "S", VATRate: "21.00"}}, inv.Lines)
}

func TestParseEncodings(t *testing.T) {
	t.Parallel()

	t.Run("ISO88592", func(t *testing.T) {
		t.Parallel()
		inv, err := invoice.Parse(readInvoiceTestdata(t, "edge-iso-8859-2.xml"))
		require.NoError(t, err)
		require.Equal(t, "EPSILON ÎNVĂŢARE SRL", inv.Seller.Name)
		require.Equal(t, "GAMMA CONSTRUCŢII ŞI ÎNTREŢINERE SA", inv.Buyer.Name)
		require.Equal(t, "Braşov", inv.Seller.Address.City)
		require.Equal(t, "Ediţia a doua, îmbunătăţită", inv.Lines[0].Description)
	})
	t.Run("UTF8BOM", func(t *testing.T) {
		t.Parallel()
		data := readInvoiceTestdata(t, "edge-bom.xml")
		require.True(t, bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")))
		inv, err := invoice.Parse(data)
		require.NoError(t, err)
		require.Equal(t, "BOM-0001", inv.Number)
	})
	t.Run("UTF16BOM", func(t *testing.T) {
		t.Parallel()
		src := strings.Replace(string(readInvoiceTestdata(t, "gen-01-invoice-ALF-0001.xml")), `encoding="UTF-8"`, `encoding="UTF-16"`, 1)
		data, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(src))
		require.NoError(t, err)
		inv, err := invoice.Parse(data)
		require.NoError(t, err)
		require.Equal(t, "ALFA SOFT SRL", inv.Seller.Name)
	})
}

func TestParsePrefixedNamespaces(t *testing.T) {
	t.Parallel()
	inv, err := invoice.Parse(readInvoiceTestdata(t, "edge-prefixed-ns.xml"))
	require.NoError(t, err)
	require.Equal(t, "PFX-0001", inv.Number)
	require.Equal(t, "2026-01-05", inv.IssueDate)
	require.Equal(t, "BETA TRADING SRL", inv.Seller.Name)
	require.Equal(t, "RO98765438", inv.Seller.VATID)
	require.Equal(t, "121.00", inv.Totals.Payable)
	require.Len(t, inv.Lines, 1)
}

const ublHead = `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">`

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"DoctypeWithoutEntities", `<?xml version="1.0"?><!DOCTYPE Invoice>` + ublHead + `</Invoice>`, "DOCTYPE"},
		{"EntityOnly", `<!ENTITY x "y">` + ublHead + `</Invoice>`, "DOCTYPE"},
		{"UndefinedEntity", ublHead + `<cbc:ID>&x;</cbc:ID></Invoice>`, "not well-formed"},
		{"UnboundPrefix", `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><cbc:ID>1</cbc:ID></Invoice>`, `unbound prefix "cbc"`},
		{"MismatchedEnd", ublHead + `<cbc:ID>1</cbc:Id></Invoice>`, "not well-formed"},
		{"Unclosed", ublHead + `<cbc:ID>1</cbc:ID>`, "not well-formed"},
		{"TwoRoots", ublHead + `</Invoice>` + ublHead + `</Invoice>`, "not well-formed"},
		{"TextAfterRoot", ublHead + `</Invoice>junk`, "not well-formed"},
		{"NoNamespace", `<Invoice><ID>1</ID></Invoice>`, "root Invoice is not a UBL 2.1 Invoice or CreditNote"},
		{"InvoiceInCreditNoteNS", `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"/>`, "is not a UBL 2.1 Invoice or CreditNote"},
		{"ANAFErrorMessage", `<header xmlns="mfp:anaf:dgti:efactura:mesajEroriFactuta:v1"/>`, "root {mfp:anaf:dgti:efactura:mesajEroriFactuta:v1}header is not a UBL 2.1 Invoice or CreditNote"},
		{"Whitespace", "  \n ", "empty document"},
		{"UnknownEncoding", `<?xml version="1.0" encoding="x-klingon"?>` + ublHead + `</Invoice>`, "x-klingon"},
		{"InvalidUTF8InComment", ublHead + "<!-- \xff --></Invoice>", "UTF-8"},
		{"TooDeep", ublHead + strings.Repeat("<a>", invoice.MaxDepth) + strings.Repeat("</a>", invoice.MaxDepth) + `</Invoice>`, "deeper than 64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := invoice.Parse([]byte(tc.doc))
			var pe *invoice.ParseError
			require.True(t, errors.As(err, &pe), "want *ParseError, got %v", err)
			require.Contains(t, err.Error(), tc.want)
		})
	}

	t.Run("DepthLimitIsInclusive", func(t *testing.T) {
		t.Parallel()
		n := invoice.MaxDepth - 1 // plus the root = MaxDepth levels
		_, err := invoice.Parse([]byte(ublHead + strings.Repeat("<a>", n) + strings.Repeat("</a>", n) + `</Invoice>`))
		require.NoError(t, err)
	})
	t.Run("TooLarge", func(t *testing.T) {
		t.Parallel()
		data := make([]byte, invoice.MaxDocumentSize+1)
		_, err := invoice.Parse(data)
		require.ErrorContains(t, err, "larger than the 50 MB limit")
	})
}

func TestInvoiceJSONContract(t *testing.T) {
	t.Parallel()
	inv, err := invoice.Parse(readInvoiceTestdata(t, "gen-03-invoice-eur-GMC-0001.xml"))
	require.NoError(t, err)
	raw, err := json.Marshal(inv)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	for _, k := range []string{"document_type", "number", "issue_date", "due_date", "type_code", "currency", "tax_currency", "seller", "buyer", "totals", "vat_breakdown", "lines", "payment_means"} {
		require.Contains(t, m, k)
	}
	require.Equal(t, "GAMMA CONSTRUCȚII SA", m["seller"].(map[string]any)["name"])
	require.Contains(t, m["totals"], "vat_tax_currency")
}

func TestPartyCIF(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		p    invoice.Party
		want string
	}{
		{"VATWithRO", invoice.Party{VATID: "RO12345674", LegalID: "J40/1/2020"}, "12345674"},
		{"VATWithSpaces", invoice.Party{VATID: " ro 123 456 74 "}, "12345674"},
		{"VATWithoutROFallsBackToLegal", invoice.Party{VATID: "12345674", LegalID: "98765438"}, "98765438"},
		{"ForeignVAT", invoice.Party{VATID: "DE123456789", LegalID: "HRB 1"}, ""},
		{"LegalDigits", invoice.Party{LegalID: " 44556670 "}, "44556670"},
		{"LegalNotDigits", invoice.Party{LegalID: "J40/1234/2015"}, ""},
		{"LegalWithRO", invoice.Party{LegalID: "RO8486152"}, ""},
		{"ROButTooLong", invoice.Party{VATID: "RO1111111111118", LegalID: "5402697509"}, "5402697509"},
		{"Empty", invoice.Party{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, invoice.PartyCIF(tc.p))
		})
	}
}

func TestParseANAFErrors(t *testing.T) {
	t.Parallel()

	t.Run("Sample", func(t *testing.T) {
		t.Parallel()
		data, err := os.ReadFile(filepath.Join("testdata", "zip_erori_5012345690.xml"))
		require.NoError(t, err)
		e, err := invoice.ParseANAFErrors(data)
		require.NoError(t, err)
		require.Equal(t, "5012345690", e.UploadID)
		require.Equal(t, "12345674", e.CIFEmitent)
		require.Len(t, e.Messages, 2)
		require.True(t, strings.HasPrefix(e.Messages[0], "E: validari globale  SCHEMATRON   eroare: [BR-RO-110]-Daca Codul ţării"))
		require.Equal(t, "[BR-RO-065]-Identificatorul de înregistrare fiscala a Vanzatorului (BT-32) trebuie sa fie înscris.\n\t\t#The Seller tax registration identifier (BT-32) shall be present.", e.Messages[1])
	})
	t.Run("Duplicate", func(t *testing.T) {
		t.Parallel()
		data, err := os.ReadFile(filepath.Join("testdata", "zip_erori_duplicate_5012345691.xml"))
		require.NoError(t, err)
		e, err := invoice.ParseANAFErrors(data)
		require.NoError(t, err)
		require.Equal(t, &invoice.ANAFErrors{UploadID: "5012345691", CIFEmitent: "12345674", Messages: []string{"Factura a mai fost transmisa anterior cu index=5012345678 si data incarcare=2026-01-15"}}, e)
	})
	t.Run("NotAnErrorMessage", func(t *testing.T) {
		t.Parallel()
		_, err := invoice.ParseANAFErrors(readInvoiceTestdata(t, "gen-01-invoice-ALF-0001.xml"))
		var pe *invoice.ParseError
		require.ErrorAs(t, err, &pe)
		require.ErrorContains(t, err, "not an ANAF error message")
	})
	t.Run("Doctype", func(t *testing.T) {
		t.Parallel()
		_, err := invoice.ParseANAFErrors([]byte(`<!DOCTYPE header><header xmlns="mfp:anaf:dgti:efactura:mesajEroriFactuta:v1"/>`))
		require.ErrorContains(t, err, "DOCTYPE")
	})
}

func FuzzParse(f *testing.F) {
	for _, dir := range []string{filepath.Join("..", "..", "testdata", "invoices"), "testdata"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(ublHead + `</Invoice>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := invoice.Parse(data)
		if err != nil {
			var pe *invoice.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a *ParseError: %T %v", err, err)
			}
			return
		}
		if inv.DocumentType != invoice.DocInvoice && inv.DocumentType != invoice.DocCreditNote {
			t.Fatalf("document type %q", inv.DocumentType)
		}
		_ = invoice.PartyCIF(inv.Seller)
		if _, err := json.Marshal(inv); err != nil {
			t.Fatal(err)
		}
	})
}

// largeInvoice returns a generated invoice with its first line repeated
// to n lines.
func largeInvoice(b testing.TB, n int) []byte {
	src := string(readInvoiceTestdata(b, "gen-01-invoice-ALF-0001.xml"))
	start := strings.Index(src, "  <cac:InvoiceLine>")
	end := strings.Index(src, "</cac:InvoiceLine>") + len("</cac:InvoiceLine>\n")
	line := src[start:end]
	var sb strings.Builder
	sb.WriteString(src[:start])
	for range n {
		sb.WriteString(line)
	}
	sb.WriteString(src[strings.LastIndex(src, "</Invoice>"):])
	return []byte(sb.String())
}

func BenchmarkParseLarge(b *testing.B) {
	data := largeInvoice(b, 2000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		inv, err := invoice.Parse(data)
		if err != nil || len(inv.Lines) != 2000 {
			b.Fatal(err)
		}
	}
}
