package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"testing"
	"time"

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

// sample returns two invoices: a company buyer with lines, and a person
// buyer (CNP) whose seller name looks like a formula.
func sample(t testing.TB) []store.Invoice {
	t.Helper()
	lines, err := json.Marshal(invoice.Invoice{Lines: []invoice.Line{
		{ID: "1", Name: "Servicii de programare", Quantity: "12.5", UnitCode: "HUR", Price: "79.944", NetAmount: "999.30", VATCategory: "S", VATRate: "21"},
		{ID: "2", Name: "Țiglă", Quantity: "3", UnitCode: "ZZZ", Price: "40", NetAmount: "120", VATCategory: "E", VATRate: "0"},
	}})
	require.NoError(t, err)
	return []store.Invoice{
		{ID: 1, ANAFID: "3012345671", MessageType: store.TypeReceived, DocumentType: "Invoice", InvoiceNumber: "AS-0042",
			IssueDate: "2026-01-15", DueDate: "2026-02-14", IssuerName: "ALFA SOFT SRL", SupplierCIF: "12345674",
			ReceiverName: "BETA TRADING SRL", CIFBeneficiar: "98765438", Currency: "RON",
			TotalAmount: "1190.00", VATAmount: "190.00", SyncedAt: synced, ParsedJSON: lines},
		{ID: 2, ANAFID: "3012345672", MessageType: store.TypeSent, DocumentType: "Invoice", InvoiceNumber: "AS-0043",
			IssueDate: "2026-01-16", IssuerName: "=HYPERLINK(\"x\")", SupplierCIF: "12345674",
			ReceiverName: "Ion Popescu", CIFBeneficiar: "1850101123456", Currency: "EUR",
			TotalAmount: "-5.10", VATAmount: "0", SyncedAt: synced},
	}
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	return recs
}

func TestCSV(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts export.Options
		want [][]string
	}{
		{"InvoicesRO", export.Options{}, [][]string{
			{"Id", "Id ANAF", "Tip mesaj", "Tip document", "Număr", "Data emiterii", "Data scadenței", "Furnizor", "CIF furnizor", "Cumpărător", "CIF/CNP cumpărător", "Monedă", "Total TVA", "Total cu TVA", "Sincronizată la (UTC)"},
			{"1", "3012345671", "FACTURA PRIMITA", "Invoice", "AS-0042", "2026-01-15", "2026-02-14", "ALFA SOFT SRL", "12345674", "BETA TRADING SRL", "98765438", "RON", "190.00", "1190.00", "2026-01-15T09:41:07Z"},
			{"2", "3012345672", "FACTURA TRIMISA", "Invoice", "AS-0043", "2026-01-16", "", `'=HYPERLINK("x")`, "12345674", "Ion Popescu", "1*********456", "EUR", "0", "-5.10", "2026-01-15T09:41:07Z"},
		}},
		{"LinesEN", export.Options{Lines: true, Lang: "en"}, [][]string{
			{"Id", "ANAF id", "Message type", "Document type", "Number", "Issue date", "Due date", "Seller", "Seller CIF", "Buyer", "Buyer CIF/CNP", "Currency", "Line", "Item", "Description", "Item code", "Quantity", "Unit code", "Unit", "Unit price", "Net amount", "VAT category", "VAT rate (%)"},
			{"1", "3012345671", "FACTURA PRIMITA", "Invoice", "AS-0042", "2026-01-15", "2026-02-14", "ALFA SOFT SRL", "12345674", "BETA TRADING SRL", "98765438", "RON", "1", "Servicii de programare", "", "", "12.5", "HUR", "hour", "79.944", "999.30", "S", "21"},
			{"1", "3012345671", "FACTURA PRIMITA", "Invoice", "AS-0042", "2026-01-15", "2026-02-14", "ALFA SOFT SRL", "12345674", "BETA TRADING SRL", "98765438", "RON", "2", "Țiglă", "", "", "3", "ZZZ", "ZZZ", "40", "120", "E", "0"},
			{"2", "3012345672", "FACTURA TRIMISA", "Invoice", "AS-0043", "2026-01-16", "", `'=HYPERLINK("x")`, "12345674", "Ion Popescu", "1*********456", "EUR", "", "", "", "", "", "", "", "", "", "", ""},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			require.NoError(t, export.CSV(&buf, sample(t), tc.opts))
			require.Equal(t, tc.want, readCSV(t, buf.Bytes()))
			require.NotContains(t, buf.String(), "1850101123456", "a CNP never leaves unmasked")
		})
	}
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

func TestXLSX(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, export.XLSX(&buf, sample(t), export.Options{}))
	f, sheet := openXLSX(t, buf.Bytes())
	require.Equal(t, "Facturi", sheet)
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.Equal(t, export.Headers(export.Options{}), rows[0])

	// Formatted values: amounts with their decimals, dates as written.
	require.Equal(t, "1,190.00", rows[1][13])
	require.Equal(t, "190.00", rows[1][12])
	require.Equal(t, "-5.10", rows[2][13])
	require.Equal(t, "0.00", rows[2][12])
	require.Equal(t, "2026-01-15", rows[1][5])
	require.Equal(t, "2026-01-15 09:41:07", rows[1][14])
	require.Equal(t, "1*********456", rows[2][10])
	require.Equal(t, `=HYPERLINK("x")`, rows[2][7], "text, not a formula")
	formula, err := f.GetCellFormula(sheet, "H3")
	require.NoError(t, err)
	require.Empty(t, formula)

	// Stored values: numbers are numbers, dates are serial numbers.
	for cell, want := range map[string]string{"N2": "1190", "M2": "190", "N3": "-5.1", "A2": "1", "F2": "46037"} {
		typ, v := rawCell(t, f, sheet, cell)
		require.Equal(t, excelize.CellTypeNumber, typ, cell)
		require.Equal(t, want, v, cell)
	}
	typ, _ := rawCell(t, f, sheet, "E2")
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
	require.Len(t, rows, 4)
	require.Equal(t, export.Headers(opts), rows[0])
	require.Equal(t, []string{"12.5", "HUR", "hour", "79.944", "999.30", "S", "21"}, rows[1][16:23])
	require.Equal(t, []string{"3", "ZZZ", "ZZZ", "40.00", "120.00", "E", "0"}, rows[2][16:23])
	typ, v := rawCell(t, f, sheet, "T2")
	require.Equal(t, excelize.CellTypeNumber, typ)
	require.Equal(t, "79.944", v)
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

	// One row per invoice: the totals read back as the numbers stored.
	var buf bytes.Buffer
	require.NoError(t, export.XLSX(&buf, rows, export.Options{}))
	f, sheet := openXLSX(t, buf.Bytes())
	got, err := f.GetRows(sheet)
	require.NoError(t, err)
	require.Len(t, got, len(files)+1)
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(14, i+2)
		typ, v := rawCell(t, f, sheet, cell)
		require.Equal(t, excelize.CellTypeNumber, typ)
		require.Equal(t, r.TotalAmount, decimalText(t, v, r.TotalAmount))
		require.Equal(t, r.InvoiceNumber, got[i+1][4])
	}

	// One row per line, details loaded from the store.
	rows, err = export.LoadDetails(ctx, st, rows)
	require.NoError(t, err)
	buf.Reset()
	require.NoError(t, export.XLSX(&buf, rows, export.Options{Lines: true}))
	f, sheet = openXLSX(t, buf.Bytes())
	got, err = f.GetRows(sheet)
	require.NoError(t, err)
	require.Len(t, got, wantLines+1)
	require.Equal(t, "Linii", sheet)
	for _, r := range got[1:] {
		require.NotEmpty(t, r[13], "every line has a name")
		require.NotEmpty(t, r[18], "every line has a readable unit")
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
	require.ErrorContains(t, export.Write(&bytes.Buffer{}, "pdf", nil, export.Options{}), `unknown format "pdf"`)
}
