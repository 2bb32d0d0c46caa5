package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/export"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

var synced = time.Date(2026, 1, 15, 9, 41, 7, 0, time.UTC)

// sample returns four invoices: a RON invoice with lines, VAT at 21% and
// 0% and an IBAN; a person buyer (CNP) whose seller name looks like a
// formula, with a negative total and no parsed document (a reversal); a
// RON credit note (381) written with positive amounts; and a EUR invoice
// with its VAT accounted in RON (BT-111).
func sample(t testing.TB) []store.Invoice {
	t.Helper()
	doc := func(inv invoice.Invoice) []byte {
		b, err := json.Marshal(inv)
		require.NoError(t, err)
		return b
	}
	return []store.Invoice{
		{ID: 1, ANAFID: "3012345671", MessageType: store.TypeReceived, DocumentType: "Invoice", InvoiceNumber: "AS-0042",
			IssueDate: "2026-01-15", DueDate: "2026-02-14", IssuerName: "ALFA SOFT SRL", SupplierCIF: "12345674",
			ReceiverName: "BETA TRADING SRL", CIFBeneficiar: "98765438", Currency: "RON",
			TotalAmount: "1330.00", VATAmount: "210.00", SyncedAt: synced, ParsedJSON: doc(invoice.Invoice{
				DocumentType: invoice.DocInvoice, TypeCode: "380", Currency: "RON",
				Totals: invoice.Totals{TaxExclusive: "1120.00", VAT: "210.00", TaxInclusive: "1330.00", Payable: "1330.00"},
				VATBreakdown: []invoice.VATSubtotal{
					{Category: "S", Rate: "21.00", TaxableAmount: "1000.00", TaxAmount: "210.00"},
					{Category: "E", Rate: "0", TaxableAmount: "120.00", TaxAmount: "0.00"},
				},
				PaymentMeans: []invoice.PaymentMeans{{Code: "30", IBAN: "RO49AAAA1B31007593840000"}},
				Lines: []invoice.Line{
					{ID: "1", Name: "Servicii de programare", Quantity: "12.5", UnitCode: "HUR", Price: "80", NetAmount: "1000.00", VATCategory: "S", VATRate: "21"},
					{ID: "2", Name: "Țiglă", Quantity: "3", UnitCode: "ZZZ", Price: "40", NetAmount: "120", VATCategory: "E", VATRate: "0"},
				},
			})},
		{ID: 2, ANAFID: "3012345672", MessageType: store.TypeSent, DocumentType: "Invoice", InvoiceNumber: "AS-0043",
			IssueDate: "2026-01-16", IssuerName: "=HYPERLINK(\"x\")", SupplierCIF: "12345674",
			ReceiverName: "Ion Popescu", CIFBeneficiar: "1850101123456", Currency: "EUR",
			TotalAmount: "-5.10", VATAmount: "0", SyncedAt: synced},
		{ID: 3, ANAFID: "3012345673", MessageType: store.TypeReceived, DocumentType: "CreditNote", InvoiceNumber: "CN-7",
			IssueDate: "2026-01-20", DueDate: "2026-01-30", IssuerName: "ALFA SOFT SRL", SupplierCIF: "12345674",
			ReceiverName: "BETA TRADING SRL", CIFBeneficiar: "98765438", Currency: "RON",
			TotalAmount: "238.00", VATAmount: "38.00", SyncedAt: synced, ParsedJSON: doc(invoice.Invoice{
				DocumentType: invoice.DocCreditNote, TypeCode: "381", Currency: "RON",
				Totals:       invoice.Totals{TaxExclusive: "200.00", VAT: "38.00", TaxInclusive: "238.00", Payable: "238.00"},
				VATBreakdown: []invoice.VATSubtotal{{Category: "S", Rate: "19", TaxableAmount: "200.00", TaxAmount: "38.00"}},
				Lines:        []invoice.Line{{ID: "1", Name: "Retur", Quantity: "1", UnitCode: "C62", Price: "200", NetAmount: "200.00", VATCategory: "S", VATRate: "19"}},
			})},
		{ID: 4, ANAFID: "3012345674", MessageType: store.TypeReceived, DocumentType: "Invoice", InvoiceNumber: "EU-9",
			IssueDate: "2026-01-21", IssuerName: "GAMMA GMBH", SupplierCIF: "DE123456789",
			ReceiverName: "BETA TRADING SRL", CIFBeneficiar: "98765438", Currency: "EUR",
			TotalAmount: "121.00", VATAmount: "21.00", SyncedAt: synced, ParsedJSON: doc(invoice.Invoice{
				DocumentType: invoice.DocInvoice, TypeCode: "380", Currency: "EUR", TaxCurrency: "RON",
				Totals:       invoice.Totals{TaxExclusive: "100.00", VAT: "21.00", VATTaxCurrency: "106.89", TaxInclusive: "121.00"},
				VATBreakdown: []invoice.VATSubtotal{{Category: "S", Rate: "21", TaxableAmount: "100.00", TaxAmount: "21.00"}},
				PaymentMeans: []invoice.PaymentMeans{{Code: "58", IBAN: "DE89370400440532013000"}},
			})},
	}
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	return recs
}

// readCSVExcelRO checks the BOM and reads a ';'-separated export.
func readCSVExcelRO(t *testing.T, b []byte) [][]string {
	t.Helper()
	require.True(t, bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")), "UTF-8 byte-order mark")
	r := csv.NewReader(bytes.NewReader(b[3:]))
	r.Comma = ';'
	recs, err := r.ReadAll()
	require.NoError(t, err)
	return recs
}

// byKey maps each row of an export after the header by column key.
func byKey(t *testing.T, opts export.Options, recs [][]string) []map[string]string {
	t.Helper()
	keys := export.Keys(opts)
	require.Equal(t, export.Headers(opts), recs[0])
	out := make([]map[string]string, 0, len(recs)-1)
	for _, r := range recs[1:] {
		require.Len(t, r, len(keys))
		m := map[string]string{}
		for i, k := range keys {
			m[k] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// pick returns the values of keys in m.
func pick(m map[string]string, keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// vatKeys are the per-rate VAT columns of a per-invoice export.
func vatKeys() []string {
	out := []string{"vat_other"}
	for _, r := range export.VATRates {
		out = append(out, "vat_"+r)
	}
	return out
}

// dec parses an exported amount, "" as zero; comma is the decimal mark
// of the Romanian-Excel CSV.
func dec(t *testing.T, s string, comma bool) decimal.Decimal {
	t.Helper()
	if s == "" {
		return decimal.Zero
	}
	if comma {
		require.NotContains(t, s, ".", "no thousands separator, no decimal point: %q", s)
		s = strings.Replace(s, ",", ".", 1)
	}
	d, err := decimal.NewFromString(s)
	require.NoError(t, err, s)
	return d
}

func TestCSV(t *testing.T) {
	t.Parallel()
	opts := export.Options{}
	var buf bytes.Buffer
	require.NoError(t, export.CSV(&buf, sample(t), opts))
	require.False(t, bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")), "plain CSV has no BOM")
	rows := byKey(t, opts, readCSV(t, buf.Bytes()))
	require.Len(t, rows, 4)
	require.NotContains(t, buf.String(), "1850101123456", "a CNP never leaves unmasked")

	head := []string{"id", "message_type", "document_type", "number", "issue_date", "due_date", "seller_name", "buyer_cif", "currency", "payment_iban"}
	require.Equal(t, []string{"1", "FACTURA PRIMITA", "Factură", "AS-0042", "2026-01-15", "2026-02-14", "ALFA SOFT SRL", "98765438", "RON", "RO49AAAA1B31007593840000"}, pick(rows[0], head...))
	require.Equal(t, []string{"2", "FACTURA TRIMISA", "Factură storno", "AS-0043", "2026-01-16", "", `'=HYPERLINK("x")`, "1*********456", "EUR", ""}, pick(rows[1], head...))
	require.Equal(t, []string{"3", "FACTURA PRIMITA", "Notă de credit", "CN-7", "2026-01-20", "2026-01-30", "ALFA SOFT SRL", "98765438", "RON", ""}, pick(rows[2], head...))
	require.Equal(t, []string{"4", "FACTURA PRIMITA", "Factură", "EU-9", "2026-01-21", "", "GAMMA GMBH", "98765438", "EUR", "DE89370400440532013000"}, pick(rows[3], head...))

	amounts := []string{"net_amount", "base_21", "vat_21", "base_19", "vat_19", "base_0", "base_other", "vat_other", "vat_amount", "total_amount", "vat_ron", "exchange_rate", "synced_at"}
	require.Equal(t, []string{"1120.00", "1000.00", "210.00", "", "", "120.00", "", "", "210.00", "1330.00", "210.00", "", "2026-01-15T09:41:07Z"}, pick(rows[0], amounts...))
	require.Equal(t, []string{"", "", "", "", "", "", "", "", "0", "-5.10", "", "", "2026-01-15T09:41:07Z"}, pick(rows[1], amounts...),
		"a 380 with a negative total counts as written")
	require.Equal(t, []string{"-200.00", "", "", "-200.00", "-38.00", "", "", "", "-38.00", "-238.00", "-38.00", "", "2026-01-15T09:41:07Z"}, pick(rows[2], amounts...),
		"a credit note counts as −|x|")
	require.Equal(t, []string{"100.00", "100.00", "21.00", "", "", "", "", "", "21.00", "121.00", "106.89", "5.0900", "2026-01-15T09:41:07Z"}, pick(rows[3], amounts...),
		"VAT in RON (BT-111) and the rate BT-111/BT-110")

	// The VAT columns sum to the VAT total of each parsed invoice.
	for _, r := range []map[string]string{rows[0], rows[2], rows[3]} {
		sum := decimal.Zero
		for _, k := range vatKeys() {
			sum = sum.Add(dec(t, r[k], false))
		}
		require.True(t, sum.Equal(dec(t, r["vat_amount"], false)), "invoice %s: %s ≠ %s", r["id"], sum, r["vat_amount"])
	}
}

func TestCSVLines(t *testing.T) {
	t.Parallel()
	opts := export.Options{Lines: true, Lang: "en"}
	var buf bytes.Buffer
	require.NoError(t, export.CSV(&buf, sample(t), opts))
	rows := byKey(t, opts, readCSV(t, buf.Bytes()))
	require.Len(t, rows, 5)
	keys := []string{"id", "document_type", "line_id", "item_name", "quantity", "unit_code", "unit", "price", "net_amount", "vat_category", "vat_rate"}
	require.Equal(t, []string{"1", "Invoice", "1", "Servicii de programare", "12.5", "HUR", "hour", "80", "1000.00", "S", "21"}, pick(rows[0], keys...))
	require.Equal(t, []string{"1", "Invoice", "2", "Țiglă", "3", "ZZZ", "ZZZ", "40", "120", "E", "0"}, pick(rows[1], keys...))
	require.Equal(t, []string{"2", "Reversal invoice", "", "", "", "", "", "", "", "", ""}, pick(rows[2], keys...))
	require.Equal(t, []string{"3", "Credit note", "1", "Retur", "1", "C62", "unit", "200", "-200.00", "S", "19"}, pick(rows[3], keys...),
		"a credit note's line net amount is negative, its price and quantity as written")
	require.Equal(t, []string{"4", "Invoice", "", "", "", "", "", "", "", "", ""}, pick(rows[4], keys...))
}

// TestCSVExcelRO reads back the Romanian-Excel CSV: BOM, ';', decimal
// comma, dd.mm.yyyy, credit notes negative, the same values as the plain
// CSV otherwise.
func TestCSVExcelRO(t *testing.T) {
	t.Parallel()
	for _, opts := range []export.Options{{}, {Lines: true, Lang: "en"}} {
		var plain, ro bytes.Buffer
		require.NoError(t, export.Write(&plain, "csv", sample(t), opts))
		require.NoError(t, export.Write(&ro, "csv-ro", sample(t), opts))
		require.Contains(t, strings.SplitN(ro.String(), "\r\n", 2)[0], ";", "';' separates the header")
		require.NotContains(t, strings.SplitN(ro.String(), "\r\n", 2)[0], ",")
		want := byKey(t, opts, readCSV(t, plain.Bytes()))
		got := byKey(t, opts, readCSVExcelRO(t, ro.Bytes()))
		require.Len(t, got, len(want))
		kinds := columnKinds(opts)
		for i := range want {
			for k, w := range want[i] {
				g := got[i][k]
				switch kinds[k] {
				case "amount":
					require.Equal(t, strings.Replace(w, ".", ",", 1), g, "row %d %s", i, k)
					if w != "" {
						require.True(t, dec(t, g, true).Equal(dec(t, w, false)))
					}
				case "date":
					if w != "" {
						d, err := time.Parse(time.DateOnly, w)
						require.NoError(t, err)
						require.Equal(t, d.Format("02.01.2006"), g, "row %d %s", i, k)
					} else {
						require.Empty(t, g)
					}
				case "time":
					require.Equal(t, "15.01.2026 09:41:07", g)
				default:
					require.Equal(t, w, g, "row %d %s", i, k)
				}
			}
		}
		if !opts.Lines {
			require.Equal(t, []string{"-200,00", "-200,00", "-38,00", "-38,00", "-238,00", "-38,00"},
				pick(got[2], "net_amount", "base_19", "vat_19", "vat_amount", "total_amount", "vat_ron"))
			require.Equal(t, []string{"Notă de credit", "20.01.2026", "30.01.2026"}, pick(got[2], "document_type", "issue_date", "due_date"))
			require.Equal(t, []string{"106,89", "5,0900"}, pick(got[3], "vat_ron", "exchange_rate"))
			// Column totals: the credit note subtracts.
			total, vat := decimal.Zero, decimal.Zero
			for _, r := range got {
				total = total.Add(dec(t, r["total_amount"], true))
				sum := decimal.Zero
				for _, k := range vatKeys() {
					sum = sum.Add(dec(t, r[k], true))
				}
				if r["id"] != "2" { // no parsed document: no breakdown
					require.True(t, sum.Equal(dec(t, r["vat_amount"], true)), "invoice %s", r["id"])
				}
				vat = vat.Add(dec(t, r["vat_amount"], true))
			}
			require.Equal(t, "1207.90", total.StringFixed(2), "1330 − 5.10 − 238 + 121")
			require.Equal(t, "193.00", vat.StringFixed(2), "210 + 0 − 38 + 21")
		}
	}
	require.Equal(t, "facturi_98765438_2026-01-01.csv", export.Filename("98765438", "csv-ro", time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)))
}

// columnKinds names how each column of opts is written, for the tests.
func columnKinds(opts export.Options) map[string]string {
	out := map[string]string{}
	for _, k := range export.Keys(opts) {
		switch {
		case k == "synced_at":
			out[k] = "time"
		case k == "issue_date" || k == "due_date":
			out[k] = "date"
		case k == "net_amount" || k == "vat_amount" || k == "total_amount" || k == "vat_ron" || k == "exchange_rate" ||
			k == "price" || k == "quantity" || k == "vat_rate" ||
			strings.HasPrefix(k, "base_") || strings.HasPrefix(k, "vat_") && k != "vat_category":
			out[k] = "amount"
		}
	}
	return out
}

func TestCSVBadParsedJSON(t *testing.T) {
	t.Parallel()
	rows := sample(t)
	rows[0].ParsedJSON = []byte(`{"lines": 3}`)
	require.ErrorContains(t, export.CSV(&bytes.Buffer{}, rows, export.Options{Lines: true}), "invoice 1: parsed JSON")
}

// openXLSX opens an export and returns the file and its only sheet's name.
func openXLSX(t *testing.T, b []byte) (*excelize.File, string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	sheets := f.GetSheetList()
	require.Len(t, sheets, 1)
	return f, sheets[0]
}

// rawCell returns a cell's type and its stored (unformatted) value. A
// cell without a type attribute is a number (ECMA-376 §18.3.1.4: t
// defaults to "n"), which excelize reports as CellTypeUnset.
func rawCell(t *testing.T, f *excelize.File, sheet, cell string) (excelize.CellType, string) {
	t.Helper()
	typ, err := f.GetCellType(sheet, cell)
	require.NoError(t, err)
	if typ == excelize.CellTypeUnset {
		typ = excelize.CellTypeNumber
	}
	v, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	return typ, v
}

// cellOf returns the cell name of column key in row n (1: the header).
func cellOf(t *testing.T, opts export.Options, key string, n int) string {
	t.Helper()
	i := slices.Index(export.Keys(opts), key)
	require.GreaterOrEqual(t, i, 0, key)
	name, err := excelize.CoordinatesToCellName(i+1, n)
	require.NoError(t, err)
	return name
}

func TestXLSX(t *testing.T) {
	t.Parallel()
	opts := export.Options{}
	var buf bytes.Buffer
	require.NoError(t, export.XLSX(&buf, sample(t), opts))
	f, sheet := openXLSX(t, buf.Bytes())
	require.Equal(t, "Facturi", sheet)
	recs, err := f.GetRows(sheet)
	require.NoError(t, err)
	require.Len(t, recs, 5)
	for i := range recs[1:] { // GetRows drops trailing empty cells
		recs[i+1] = append(recs[i+1], make([]string, len(recs[0])-len(recs[i+1]))...)
	}
	rows := byKey(t, opts, recs)

	// Formatted values: amounts with their decimals, dates as written.
	require.Equal(t, []string{"1,120.00", "1,000.00", "210.00", "120.00", "210.00", "1,330.00", "210.00", "RO49AAAA1B31007593840000"},
		pick(rows[0], "net_amount", "base_21", "vat_21", "base_0", "vat_amount", "total_amount", "vat_ron", "payment_iban"))
	require.Equal(t, []string{"0.00", "-5.10", "Factură storno"}, pick(rows[1], "vat_amount", "total_amount", "document_type"))
	require.Equal(t, []string{"-200.00", "-200.00", "-38.00", "-38.00", "-238.00", "Notă de credit"},
		pick(rows[2], "net_amount", "base_19", "vat_19", "vat_amount", "total_amount", "document_type"))
	require.Equal(t, []string{"106.89", "5.0900"}, pick(rows[3], "vat_ron", "exchange_rate"))
	require.Equal(t, "2026-01-15", rows[0]["issue_date"])
	require.Equal(t, "2026-01-15 09:41:07", rows[0]["synced_at"])
	require.Equal(t, "1*********456", rows[1]["buyer_cif"])
	require.Equal(t, `=HYPERLINK("x")`, rows[1]["seller_name"], "text, not a formula")
	formula, err := f.GetCellFormula(sheet, cellOf(t, opts, "seller_name", 3))
	require.NoError(t, err)
	require.Empty(t, formula)

	// Stored values: numbers are numbers (credit notes negative), dates
	// are serial numbers; the VAT columns sum to the VAT total.
	for _, c := range []struct {
		key  string
		row  int
		want string
	}{{"total_amount", 2, "1330"}, {"vat_amount", 2, "210"}, {"total_amount", 3, "-5.1"}, {"id", 2, "1"}, {"issue_date", 2, "46037"},
		{"total_amount", 4, "-238"}, {"vat_19", 4, "-38"}, {"net_amount", 4, "-200"}, {"vat_ron", 5, "106.89"}} {
		typ, v := rawCell(t, f, sheet, cellOf(t, opts, c.key, c.row))
		require.Equal(t, excelize.CellTypeNumber, typ, c.key)
		require.Equal(t, c.want, v, c.key)
	}
	for _, n := range []int{2, 4, 5} {
		sum := decimal.Zero
		for _, k := range vatKeys() {
			if _, v := rawCell(t, f, sheet, cellOf(t, opts, k, n)); v != "" {
				sum = sum.Add(decimal.RequireFromString(v))
			}
		}
		_, total := rawCell(t, f, sheet, cellOf(t, opts, "vat_amount", n))
		require.True(t, sum.Equal(decimal.RequireFromString(total)), "row %d: %s ≠ %s", n, sum, total)
	}
	typ, _ := rawCell(t, f, sheet, cellOf(t, opts, "number", 2))
	require.NotEqual(t, excelize.CellTypeNumber, typ, "an invoice number stays text")
}

func TestXLSXLines(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	opts := export.Options{Lines: true, Lang: "en"}
	require.NoError(t, export.XLSX(&buf, sample(t), opts))
	f, sheet := openXLSX(t, buf.Bytes())
	require.Equal(t, "Lines", sheet)
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	require.Len(t, rows, 6)
	require.Equal(t, export.Headers(opts), rows[0])
	q := slices.Index(export.Keys(opts), "quantity")
	require.Equal(t, []string{"12.5", "HUR", "hour", "80.00", "1,000.00", "S", "21"}, rows[1][q:q+7])
	require.Equal(t, []string{"3", "ZZZ", "ZZZ", "40.00", "120.00", "E", "0"}, rows[2][q:q+7])
	require.Equal(t, []string{"1", "C62", "unit", "200.00", "-200.00", "S", "19"}, rows[4][q:q+7])
	typ, v := rawCell(t, f, sheet, cellOf(t, opts, "net_amount", 5))
	require.Equal(t, excelize.CellTypeNumber, typ)
	require.Equal(t, "-200", v)
}

// TestDemoDataXLSX exports the demo's generated invoices, archived and
// parsed the way a sync stores them, and reads the workbook back.
func TestDemoDataXLSX(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t)
	company, err := st.CreateCompany(ctx, invoicegen.Companies[0].CIF, invoicegen.Companies[0].Name)
	require.NoError(t, err)

	files := invoicegen.Generate(12, 1)
	wantLines := 0
	for i, file := range files {
		doc, err := invoice.Parse(file.Data)
		require.NoError(t, err)
		wantLines += len(doc.Lines)
		uploadID := fmt.Sprintf("50000000%02d", i)
		zipBytes, err := invoice.BuildArchive(uploadID, file.Data, []byte("<Signature/>"))
		require.NoError(t, err)
		msg := anaf.Message{ID: fmt.Sprintf("30000000%02d", i), UploadID: uploadID, Type: store.TypeReceived, CreatedAt: synced}
		_, err = st.InsertInvoice(ctx, anafsync.BuildInvoice(company.ID, msg, zipBytes))
		require.NoError(t, err)
	}
	rows, total, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: company.ID})
	require.NoError(t, err)
	require.Equal(t, len(files), total)
	rows, err = export.LoadDetails(ctx, st, rows)
	require.NoError(t, err)

	// One row per invoice: the totals read back as the numbers stored,
	// the VAT columns sum to the VAT total, the net amount is there.
	opts := export.Options{}
	var buf bytes.Buffer
	require.NoError(t, export.XLSX(&buf, rows, opts))
	f, sheet := openXLSX(t, buf.Bytes())
	got, err := f.GetRows(sheet)
	require.NoError(t, err)
	require.Len(t, got, len(files)+1)
	for i, r := range rows {
		typ, v := rawCell(t, f, sheet, cellOf(t, opts, "total_amount", i+2))
		require.Equal(t, excelize.CellTypeNumber, typ)
		want := r.TotalAmount
		if r.DocumentType == "CreditNote" {
			want = "-" + strings.TrimPrefix(want, "-")
		}
		require.Equal(t, want, decimalText(t, v, want))
		require.Equal(t, r.InvoiceNumber, got[i+1][slices.Index(export.Keys(opts), "number")])
		typ, _ = rawCell(t, f, sheet, cellOf(t, opts, "net_amount", i+2))
		require.Equal(t, excelize.CellTypeNumber, typ, "invoice %s has a net amount", r.InvoiceNumber)
		sum := decimal.Zero
		for _, k := range vatKeys() {
			if _, v := rawCell(t, f, sheet, cellOf(t, opts, k, i+2)); v != "" {
				sum = sum.Add(decimal.RequireFromString(v))
			}
		}
		_, vat := rawCell(t, f, sheet, cellOf(t, opts, "vat_amount", i+2))
		require.True(t, sum.Equal(decimal.RequireFromString(vat)), "invoice %s: %s ≠ %s", r.InvoiceNumber, sum, vat)
	}

	// One row per line.
	buf.Reset()
	opts = export.Options{Lines: true}
	require.NoError(t, export.XLSX(&buf, rows, opts))
	f, sheet = openXLSX(t, buf.Bytes())
	got, err = f.GetRows(sheet)
	require.NoError(t, err)
	require.Len(t, got, wantLines+1)
	require.Equal(t, "Linii", sheet)
	name, unit := slices.Index(export.Keys(opts), "item_name"), slices.Index(export.Keys(opts), "unit")
	for _, r := range got[1:] {
		require.NotEmpty(t, r[name], "every line has a name")
		require.NotEmpty(t, r[unit], "every line has a readable unit")
	}
}

// decimalText re-writes a stored float v with the decimals of want, so
// "1190" compares with "1190.00".
func decimalText(t *testing.T, v, want string) string {
	t.Helper()
	d := 0
	for i := len(want) - 1; i >= 0 && want[i] != '.'; i-- {
		d++
	}
	if d == len(want) {
		d = 0
	}
	var f float64
	_, err := fmt.Sscan(v, &f)
	require.NoError(t, err)
	return fmt.Sprintf("%.*f", d, f)
}

func TestFilename(t *testing.T) {
	t.Parallel()
	// 22:30 UTC on 31 December is already 1 January in Bucharest.
	at := time.Date(2025, 12, 31, 22, 30, 0, 0, time.UTC)
	require.Equal(t, "facturi_98765438_2026-01-01.csv", export.Filename("98765438", "csv", at))
	require.Equal(t, "facturi_RO_1_2_2026-01-01.xlsx", export.Filename("RO/1\"2", "xlsx", at))
	require.Equal(t, "facturi_98765438_2026-01-01_linii.csv", export.LinesName(export.Filename("98765438", "csv-ro", at)))
	require.ErrorContains(t, export.Write(&bytes.Buffer{}, "pdf", nil, export.Options{}), `unknown format "pdf"`)
}
