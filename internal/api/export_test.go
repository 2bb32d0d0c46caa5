package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/efactura-gateway/efactura/internal/export"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestExport runs the export endpoint on SQLite and PostgreSQL, each with
// its own seeded store (newFixture) plus one sent invoice to a person
// whose CNP must never be shown.
func TestExport(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		person := &store.Invoice{CompanyID: f.compA.ID, ANAFID: "3088888888", UploadID: "5088888888",
			MessageType: store.TypeSent, CIFEmitent: cifA, CIFBeneficiar: "1850101123456", DocumentType: "Invoice",
			InvoiceNumber: "PF-1", IssueDate: "2026-01-10", IssuerName: "BETA TRADING SRL", ReceiverName: "Ion Popescu",
			SupplierCIF: cifA, Currency: "RON", TotalAmount: "121.00", VATAmount: "21.00", ZIP: []byte("PK")}
		_, err := st.InsertInvoice(context.Background(), person)
		require.NoError(t, err)
		t.Run("CSV", func(t *testing.T) { f.testExportCSV(t, len(f.a)+1) })
		t.Run("CSVExcelRO", f.testExportCSVExcelRO)
		t.Run("Filters", f.testExportFilters)
		t.Run("Lines", f.testExportLines)
		t.Run("XLSX", f.testExportXLSX)
		t.Run("MaskedInList", f.testListMasksCNP)
		t.Run("BadRequests", f.testExportBadRequests)
	})
}

// exportCol is the index of the export column key, per invoice or per
// line.
func exportCol(t *testing.T, lines bool, key string) int {
	t.Helper()
	i := slices.Index(export.Keys(export.Options{Lines: lines}), key)
	require.GreaterOrEqual(t, i, 0, key)
	return i
}

var exportFilenameRE = regexp.MustCompile(`^attachment; filename=facturi_98765438_\d{4}-\d{2}-\d{2}(_linii)?\.(csv|xlsx)$`)

// exportCSV serves an export with A's key, requires a CSV attachment and
// parses it back.
func (f *fixture) exportCSV(t *testing.T, query string) [][]string {
	t.Helper()
	rec := f.get(t, "/api/v1/invoices/export?"+query)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "text/csv; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Regexp(t, exportFilenameRE, rec.Header().Get("Content-Disposition"))
	recs, err := csv.NewReader(bytes.NewReader(rec.Body.Bytes())).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, recs)
	return recs
}

func (f *fixture) testExportCSV(t *testing.T, wantRows int) {
	recs := f.exportCSV(t, "format=csv")
	require.Len(t, recs, wantRows+1, "every invoice of A, none of B, no pagination")
	require.Equal(t, "Id ANAF", recs[0][1])

	// Same rows, same order as the list.
	list := f.list(t, "per_page=100")
	require.Equal(t, wantRows, list.Pagination.Total)
	for i, d := range list.Data {
		require.Equal(t, d.ANAFID, recs[i+1][1])
	}
	// Totals are the decimal strings as stored; the CNP is masked.
	byANAF := map[string][]string{}
	for _, r := range recs[1:] {
		byANAF[r[1]] = r
	}
	total, buyer := exportCol(t, false, "total_amount"), exportCol(t, false, "buyer_cif")
	credit := 0
	for _, s := range f.a {
		want := s.inv.TotalAmount // as stored; a credit note's as −|x|
		if s.inv.DocumentType == "CreditNote" {
			want, credit = "-"+strings.TrimPrefix(want, "-"), credit+1
			require.Equal(t, "Notă de credit", byANAF[s.inv.ANAFID][exportCol(t, false, "document_type")])
		}
		require.Equal(t, want, byANAF[s.inv.ANAFID][total], s.inv.ANAFID)
	}
	require.Positive(t, credit, "the fixture has a credit note")
	require.Equal(t, "1*********456", byANAF["3088888888"][buyer])
	require.Equal(t, "121.00", byANAF["3088888888"][total])
}

// testExportCSVExcelRO: format=csv-ro is the plain CSV for Romanian
// Excel: a .csv attachment with a BOM, ';', decimal commas, dd.mm.yyyy.
func (f *fixture) testExportCSVExcelRO(t *testing.T) {
	plain := f.exportCSV(t, "format=csv")
	rec := f.get(t, "/api/v1/invoices/export?format=csv-ro")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "text/csv; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Regexp(t, exportFilenameRE, rec.Header().Get("Content-Disposition"))
	body := rec.Body.Bytes()
	require.True(t, bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")), "UTF-8 BOM")
	r := csv.NewReader(bytes.NewReader(body[3:]))
	r.Comma = ';'
	recs, err := r.ReadAll()
	require.NoError(t, err)
	require.Equal(t, plain[0], recs[0])
	require.Len(t, recs, len(plain))
	total, issued := exportCol(t, false, "total_amount"), exportCol(t, false, "issue_date")
	for i := range plain[1:] {
		require.Equal(t, strings.Replace(plain[i+1][total], ".", ",", 1), recs[i+1][total])
		if d, err := time.Parse(time.DateOnly, plain[i+1][issued]); err == nil {
			require.Equal(t, d.Format("02.01.2006"), recs[i+1][issued])
		} else {
			require.Equal(t, plain[i+1][issued], recs[i+1][issued], "not a date: as written")
		}
	}
}

func (f *fixture) testExportFilters(t *testing.T) {
	for _, q := range []string{"type=sent", "type=received&sort_by=total_amount&sort_order=asc",
		"date_from=2026-01-01&date_to=2026-01-10", "supplier_cif=RO12345674", "q=gamma"} {
		recs := f.exportCSV(t, "format=csv&lang=en&"+q)
		require.Equal(t, "ANAF id", recs[0][1])
		list := f.list(t, "per_page=100&"+q)
		require.Len(t, recs, list.Pagination.Total+1, q)
		for i, d := range list.Data {
			require.Equal(t, d.ANAFID, recs[i+1][1], q)
		}
	}
}

func (f *fixture) testExportLines(t *testing.T) {
	recs := f.exportCSV(t, "format=csv&lines=1")
	require.Regexp(t, `_linii\.csv$`, f.get(t, "/api/v1/invoices/export?format=csv&lines=1").Header().Get("Content-Disposition"), "a row-per-line export is named apart")
	want := 1 // the person's invoice has no parsed details: one empty line row
	for _, s := range f.a {
		if s.doc != nil && len(s.doc.Lines) > 0 {
			want += len(s.doc.Lines)
		} else {
			want++
		}
	}
	require.Len(t, recs, want+1)
	require.Equal(t, "Cantitate", recs[0][exportCol(t, true, "quantity")])
	s := f.a[0]
	require.NotNil(t, s.doc, "the first seeded message of A is an invoice")
	var got [][]string
	for _, r := range recs[1:] {
		if r[1] == s.inv.ANAFID {
			got = append(got, r)
		}
	}
	require.Len(t, got, len(s.doc.Lines))
	for i, l := range s.doc.Lines {
		var row []string
		for _, k := range []string{"line_id", "item_name", "quantity", "unit_code", "price", "net_amount"} {
			row = append(row, got[i][exportCol(t, true, k)])
		}
		require.Equal(t, []string{l.ID, l.Name, l.Quantity, l.UnitCode, l.Price, l.NetAmount}, row)
	}
}

func (f *fixture) testExportXLSX(t *testing.T) {
	rec := f.get(t, "/api/v1/invoices/export?format=xlsx&lang=en&type=sent")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", rec.Header().Get("Content-Type"))
	require.Regexp(t, exportFilenameRE, rec.Header().Get("Content-Disposition"))
	x, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	require.NoError(t, err)
	defer x.Close()
	rows, err := x.GetRows("Invoices")
	require.NoError(t, err)
	list := f.list(t, "per_page=100&type=sent")
	require.Len(t, rows, list.Pagination.Total+1)
	total := exportCol(t, false, "total_amount")
	require.Equal(t, "Total incl. VAT", rows[0][total])
	for i := range list.Data {
		cell, _ := excelize.CoordinatesToCellName(total+1, i+2)
		typ, err := x.GetCellType("Invoices", cell)
		require.NoError(t, err)
		require.Contains(t, []excelize.CellType{excelize.CellTypeUnset, excelize.CellTypeNumber}, typ, "a numeric cell")
		raw, err := x.GetCellValue("Invoices", cell, excelize.Options{RawCellValue: true})
		require.NoError(t, err)
		require.Regexp(t, `^-?\d+(\.\d+)?$`, raw)
	}
}

func (f *fixture) testListMasksCNP(t *testing.T) {
	rec := f.get(t, "/api/v1/invoices?q=popescu")
	require.Equal(t, http.StatusOK, rec.Code)
	var out struct {
		Data []map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
	require.Len(t, out.Data, 1)
	require.Equal(t, "1*********456", out.Data[0]["cif_beneficiar"])
	require.NotContains(t, rec.Body.String(), "1850101123456")
}

func (f *fixture) testExportBadRequests(t *testing.T) {
	for _, tc := range []struct{ query, code string }{
		{"format=pdf", "INVALID_FORMAT"},
		{"format=csv&lines=maybe", "INVALID_PARAMETER"},
		{"format=csv&lang=de", "INVALID_PARAMETER"},
		{"format=xlsx&date_from=15.01.2026", "INVALID_DATE_FORMAT"},
		{"format=csv&type=draft", "INVALID_TYPE"},
		{"format=csv&sort_by=evil", "INVALID_SORT"},
	} {
		requireError(t, f.get(t, "/api/v1/invoices/export?"+tc.query), http.StatusBadRequest, tc.code)
	}
	requireError(t, f.get(t, "/api/v1/invoices/export?format=csv", "X-API-KEY", ""), http.StatusUnauthorized, "MISSING_API_KEY")
}

// TestExportTooLarge lowers the cap, a field of the use-case layer (no
// global: it runs in parallel with the other export tests).
func TestExportTooLarge(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	f.h = New(Deps{Gateway: &gateway.Service{Store: f.st, ExportCap: 2}, BaseURL: testBaseURL})
	requireError(t, f.get(t, "/api/v1/invoices/export?format=csv"), http.StatusRequestEntityTooLarge, "EXPORT_TOO_LARGE")
	rec := f.get(t, "/api/v1/invoices/export?format=csv&q=AS-no-such-number")
	require.Equal(t, http.StatusOK, rec.Code, "under the cap")
}
