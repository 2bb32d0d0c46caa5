package xsd

import (
	"errors"
	"strings"
	"testing"
)

// minimal is a small schema-valid invoice; the cases below edit it.
const minimal = `<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
 xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>INV-1</cbc:ID>
  <cbc:IssueDate>2026-01-15</cbc:IssueDate>
  <cbc:Note>one</cbc:Note>
  <cbc:Note>two</cbc:Note>
  <cac:AccountingSupplierParty><cac:Party><cac:PartyName><cbc:Name>A</cbc:Name></cac:PartyName></cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>B</cbc:Name></cac:PartyName></cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="RON">10.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="H87">1</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="RON">10.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>X</cbc:Name></cac:Item>
  </cac:InvoiceLine>
</Invoice>`

func TestCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		old, new    string // replace old by new in minimal
		id          string // expected first issue id, "" for none
		location    string // expected location of the first issue
		messagePart string
	}{
		{name: "Valid"},
		{name: "ElementOrder", old: "<cbc:ID>INV-1</cbc:ID>\n  <cbc:IssueDate>2026-01-15</cbc:IssueDate>", new: "<cbc:IssueDate>2026-01-15</cbc:IssueDate>\n  <cbc:ID>INV-1</cbc:ID>",
			id: IDSchema, location: "/Invoice[1]/cbc:IssueDate[1]", messagePart: "not expected"},
		{name: "UnknownElement", old: "<cbc:Note>one</cbc:Note>", new: "<cbc:Nota>one</cbc:Nota>",
			id: IDSchema, location: "/Invoice[1]/cbc:Nota[1]", messagePart: "not expected"},
		{name: "PrefixAsWritten", old: "<cbc:Note>one</cbc:Note>", new: `<b:Note xmlns:b="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">one</b:Note><cbc:Nota/>`,
			id: IDSchema, location: "/Invoice[1]/cbc:Nota[1]"},
		{name: "PositionAcrossPrefixes", old: "<cbc:Note>two</cbc:Note>", new: `<b:Note xmlns:b="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" foo="1">two</b:Note>`,
			id: IDSchema, location: "/Invoice[1]/b:Note[2]"},
		{name: "ForeignNamespace", old: "<cbc:Note>one</cbc:Note>", new: `<x:Note xmlns:x="urn:x">one</x:Note>`,
			id: IDSchema, location: "/Invoice[1]/x:Note[1]"},
		{name: "TooMany", old: "<cbc:ID>INV-1</cbc:ID>", new: "<cbc:ID>INV-1</cbc:ID><cbc:ID>INV-2</cbc:ID>",
			id: IDSchema, location: "/Invoice[1]/cbc:ID[2]"},
		{name: "MissingRequired", old: "<cbc:IssueDate>2026-01-15</cbc:IssueDate>", new: "",
			id: IDSchema, location: "/Invoice[1]/cbc:Note[1]", messagePart: "cbc:IssueDate"},
		{name: "MissingAtEnd", old: "<cac:Item><cbc:Name>X</cbc:Name></cac:Item>", new: "",
			id: IDSchema, location: "/Invoice[1]/cac:InvoiceLine[1]", messagePart: "incomplete"},
		{name: "BadDate", old: "2026-01-15", new: "2026-02-30", id: IDSchema, location: "/Invoice[1]/cbc:IssueDate[1]", messagePart: "xsd:date"},
		{name: "DateWithZone", old: "2026-01-15", new: "2026-01-15+02:00"},
		{name: "DateWithSpaces", old: "2026-01-15", new: " 2026-01-15\n"},
		{name: "BadDecimal", old: `"RON">10.00</cbc:PayableAmount>`, new: `"RON">10,00</cbc:PayableAmount>`,
			id: IDSchema, location: "/Invoice[1]/cac:LegalMonetaryTotal[1]/cbc:PayableAmount[1]", messagePart: "xsd:decimal"},
		{name: "EmptyDecimal", old: `"RON">10.00</cbc:PayableAmount>`, new: `"RON"></cbc:PayableAmount>`, id: IDSchema},
		{name: "MissingCurrency", old: `<cbc:PayableAmount currencyID="RON">`, new: `<cbc:PayableAmount>`,
			id: IDSchema, messagePart: "currencyID is required"},
		{name: "UnknownAttribute", old: `<cbc:ID>INV-1</cbc:ID>`, new: `<cbc:ID foo="1">INV-1</cbc:ID>`, id: IDSchema, messagePart: "foo"},
		{name: "AttributeOnAggregate", old: `<cac:InvoiceLine>`, new: `<cac:InvoiceLine id="1">`, id: IDSchema},
		{name: "XsiAllowed", old: `<cac:InvoiceLine>`, new: `<cac:InvoiceLine xsi:schemaLocation="a b">`},
		{name: "XsiNil", old: `<cbc:Note>one</cbc:Note>`, new: `<cbc:Note xsi:nil="true"/>`, id: IDSchema, messagePart: "nillable"},
		{name: "XMLDeclNotFirst", old: `<?xml version="1.0" encoding="UTF-8"?>`, new: ` <?xml version="1.0" encoding="UTF-8"?>`, id: IDXML},
		{name: "XML11", old: `version="1.0"`, new: `version="1.1"`},
		{name: "XML12", old: `version="1.0"`, new: `version="1.2"`, id: IDXML},
		{name: "ISO88592", old: `encoding="UTF-8"`, new: `encoding="ISO-8859-2"`},
		{name: "UnknownEncoding", old: `encoding="UTF-8"`, new: `encoding="no-such"`, id: IDXML},
		{name: "TextInAggregate", old: `<cac:InvoiceLine>`, new: `<cac:InvoiceLine>text`, id: IDSchema, messagePart: "element-only"},
		{name: "ChildInLeaf", old: `<cbc:ID>INV-1</cbc:ID>`, new: `<cbc:ID>INV-1<cbc:Name>x</cbc:Name></cbc:ID>`, id: IDSchema},
		{name: "CommentsAndCDATA", old: `<cbc:ID>INV-1</cbc:ID>`, new: `<cbc:ID><!-- c -->INV<![CDATA[-1]]></cbc:ID>`},
		{name: "BadLanguage", old: `<cbc:Note>one</cbc:Note>`, new: `<cbc:Note languageID="not a language">one</cbc:Note>`, id: IDSchema},
		{name: "ExtensionLax", old: `<cbc:CustomizationID>`, new: `<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><x:Any xmlns:x="urn:x"><x:Free/></x:Any></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions><cbc:CustomizationID>`},
		{name: "ExtensionKnownElementChecked", old: `<cbc:CustomizationID>`, new: `<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><cbc:IssueDate>soon</cbc:IssueDate></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions><cbc:CustomizationID>`,
			id: IDSchema, messagePart: "xsd:date"},
		{name: "ExtensionContentMissing", old: `<cbc:CustomizationID>`, new: `<ext:UBLExtensions><ext:UBLExtension></ext:UBLExtension></ext:UBLExtensions><cbc:CustomizationID>`, id: IDSchema},
		{name: "WrongRoot", old: `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"`, new: `<Invoice xmlns="urn:x"`, id: IDSchema, location: "/Invoice[1]"},
		{name: "NotWellFormed", old: `</cbc:ID>`, new: `</cbc:Id>`, id: IDXML},
		{name: "UndeclaredPrefix", old: `<cbc:Note>one</cbc:Note>`, new: `<q:Note>one</q:Note>`, id: IDXML},
		{name: "TwoRoots", old: `</Invoice>`, new: `</Invoice><Invoice/>`, id: IDXML},
		{name: "Doctype", old: `<?xml version="1.0" encoding="UTF-8"?>`, new: `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE Invoice [<!ENTITY a "b">]>`, id: IDDoctype},
		{name: "SurrogateReference", old: `<cbc:Note>one</cbc:Note>`, new: `<cbc:Note>&#xD800;</cbc:Note>`, id: IDXML},
		{name: "SurrogateReferenceInComment", old: `<cbc:Note>one</cbc:Note>`, new: `<cbc:Note>one<!-- &#xD800; --></cbc:Note>`},
		{name: "DoctypeBeforeBadReference", old: `<?xml version="1.0" encoding="UTF-8"?>`, new: `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE Invoice [<!ENTITY a "&#xD800;">]>`, id: IDDoctype},
		{name: "Empty", old: minimal, new: "", id: IDXML},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := minimal
			if tc.old != "" {
				if !strings.Contains(doc, tc.old) {
					t.Fatalf("%q not in the document", tc.old)
				}
				doc = strings.Replace(doc, tc.old, tc.new, 1)
			}
			issues, err := Check([]byte(doc))
			if got := outcome(issues); got != tc.id {
				t.Fatalf("outcome %q, want %q; issues %v", got, tc.id, issues)
			}
			if (tc.id == IDXML || tc.id == IDDoctype) != errors.Is(err, ErrNotXML) {
				t.Errorf("error %v for outcome %q", err, tc.id)
			}
			if tc.id == "" {
				return
			}
			if tc.location != "" && issues[0].Location != tc.location {
				t.Errorf("location %q, want %q", issues[0].Location, tc.location)
			}
			if !strings.Contains(issues[0].Message, tc.messagePart) {
				t.Errorf("message %q does not mention %q", issues[0].Message, tc.messagePart)
			}
			if issues[0].Line < 1 {
				t.Errorf("line %d", issues[0].Line)
			}
		})
	}
}

func TestLexical(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind  valueKind
		value string
		ok    bool
	}{
		{vDecimal, "10", true}, {vDecimal, "-1.5", true}, {vDecimal, "+.5", true}, {vDecimal, "1.", true},
		{vDecimal, "", false}, {vDecimal, ".", false}, {vDecimal, "1e3", false}, {vDecimal, "1 000", false}, {vDecimal, " 7.0 ", true},
		{vDate, "2024-02-29", true}, {vDate, "2023-02-29", false}, {vDate, "2026-13-01", false}, {vDate, "26-01-01", false},
		{vDate, "2026-01-01Z", true}, {vDate, "2026-01-01+14:00", true}, {vDate, "2026-01-01+14:01", false}, {vDate, "2026-1-01", false},
		{vDate, "0000-01-01", false}, {vDate, "12026-01-01", true}, {vDate, "02026-01-01", false},
		{vTime, "12:30:00", true}, {vTime, "12:30:00.123Z", true}, {vTime, "24:00:00", true}, {vTime, "24:00:01", false},
		{vTime, "12:60:00", false}, {vTime, "12:30", false}, {vTime, "12:30:00.", false},
		{vDateTime, "2026-01-01T12:00:00", true}, {vDateTime, "2026-01-01 12:00:00", false},
		{vBoolean, "true", true}, {vBoolean, "0", true}, {vBoolean, "TRUE", false}, {vBoolean, "yes", false},
		{vBase64, "QUJD", true}, {vBase64, "QUI=", true}, {vBase64, "QQ==", true}, {vBase64, "QR==", false},
		{vBase64, "QUJ", false}, {vBase64, "QU JD\n", true}, {vBase64, "Q===", false}, {vBase64, "", true},
		{vLanguage, "ro", true}, {vLanguage, "en-GB", true}, {vLanguage, "x-1", true}, {vLanguage, "1a", false}, {vLanguage, "", false},
		{vString, "", true}, {vURI, "not a uri", true},
	}
	for _, tc := range cases {
		if got := validValue(tc.kind, tc.value); got != tc.ok {
			t.Errorf("%s %q: %t, want %t", kindNames[tc.kind], tc.value, got, tc.ok)
		}
	}
}

// TestEncodings: a UTF-16 document (with its byte order mark) and a UTF-8
// one with a BOM read as the same invoice.
func TestEncodings(t *testing.T) {
	t.Parallel()
	utf16 := strings.Replace(minimal, `encoding="UTF-8"`, `encoding="UTF-16"`, 1)
	le := []byte{0xFF, 0xFE}
	for _, r := range utf16 {
		le = append(le, byte(r), byte(r>>8)) // the invoice is ASCII
	}
	for name, doc := range map[string][]byte{
		"UTF16LE": le,
		"UTF8BOM": append([]byte("\xef\xbb\xbf"), minimal...),
	} {
		if issues, err := Check(doc); err != nil || len(issues) > 0 {
			t.Errorf("%s: issues %v, error %v", name, issues, err)
		}
	}
}

func TestNamespaceIndexes(t *testing.T) {
	t.Parallel()
	for name, i := range map[string]int{"Invoice": nsInvoice, "CreditNote": nsCreditNote, "ext": nsExt} {
		if i < 0 {
			t.Errorf("namespace %s is not in the generated tables", name)
		}
	}
}
