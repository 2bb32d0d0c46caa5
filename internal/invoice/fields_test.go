package invoice_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice"
)

// fieldsRow is one row of a FIELDS.tsv-shaped table: column name -> value.
type fieldsRow map[string]string

// readFields reads a FIELDS.tsv-shaped file (header line, tab-separated).
func readFields(t *testing.T, path string) []fieldsRow {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var header []string
	var rows []fieldsRow
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if header == nil {
			header = cols
			continue
		}
		// Every row must carry every column, so that none goes unchecked.
		require.Len(t, cols, len(header), "%s: row %q has %d columns, the header %d", path, cols[0], len(cols), len(header))
		row := fieldsRow{}
		for i, h := range header {
			row[h] = cols[i]
		}
		rows = append(rows, row)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, rows, "no rows in %s", path)
	return rows
}

// invoiceColumns returns the FIELDS.tsv columns of a parsed invoice.
func invoiceColumns(inv *invoice.Invoice) fieldsRow {
	embedded := 0
	for _, a := range inv.Attachments {
		if a.Embedded {
			embedded++
		}
	}
	return fieldsRow{
		"document_type":         string(inv.DocumentType),
		"number":                inv.Number,
		"issue_date":            inv.IssueDate,
		"due_date":              inv.DueDate,
		"type_code":             inv.TypeCode,
		"currency":              inv.Currency,
		"tax_currency":          inv.TaxCurrency,
		"seller.name":           inv.Seller.Name,
		"seller.vat_id":         inv.Seller.VATID,
		"seller.legal_id":       inv.Seller.LegalID,
		"buyer.name":            inv.Buyer.Name,
		"buyer.vat_id":          inv.Buyer.VATID,
		"buyer.legal_id":        inv.Buyer.LegalID,
		"totals.line_extension": inv.Totals.LineExtension,
		"totals.tax_exclusive":  inv.Totals.TaxExclusive,
		"totals.tax_inclusive":  inv.Totals.TaxInclusive,
		"totals.allowances":     inv.Totals.Allowances,
		"totals.charges":        inv.Totals.Charges,
		"totals.prepaid":        inv.Totals.Prepaid,
		"totals.rounding":       inv.Totals.Rounding,
		"totals.payable":        inv.Totals.Payable,
		"totals.vat":            inv.Totals.VAT,
		"lines":                 strconv.Itoa(len(inv.Lines)),
		"vat_breakdown":         strconv.Itoa(len(inv.VATBreakdown)),
		"attachments":           strconv.Itoa(embedded),
	}
}

// sameValue compares one column: amounts as decimals, dates by date part.
// A TSV cannot hold a newline or tab: the reference writes them as spaces.
func sameValue(col, want, got string) bool {
	got = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(got)
	if want == got {
		return true
	}
	switch {
	case strings.HasPrefix(col, "totals."):
		w, err1 := decimal.NewFromString(want)
		g, err2 := decimal.NewFromString(got)
		return err1 == nil && err2 == nil && w.Equal(g)
	case strings.HasSuffix(col, "_date"):
		return len(want) >= 10 && len(got) >= 10 && want[:10] == got[:10]
	}
	return false
}

// checkFields parses every file named in rows (relative to dir) and
// compares every column. With checkMsg, an ERROR row's number column is a
// fragment the error message must contain.
//
// Every column of the table is compared: the table's columns must be
// exactly "file" plus the columns invoiceColumns produces (a column the
// parser does not produce fails, and so does one the table lacks), and
// readFields refuses a row shorter than the header.
func checkFields(t *testing.T, dir string, rows []fieldsRow, checkMsg bool) {
	t.Helper()
	known := invoiceColumns(&invoice.Invoice{})
	for _, row := range rows {
		require.Len(t, row, len(known)+1, "the table must have exactly the columns file + %d parsed ones", len(known))
		for col := range known {
			require.Contains(t, row, col, "column %q missing from the table", col)
		}
	}
	t.Logf("comparing all %d columns of %d rows", len(known), len(rows))
	for _, row := range rows {
		file := row["file"]
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, file)
			for _, sub := range []string{"ciusro", "en16931", "invalid"} {
				if p := filepath.Join(dir, sub, file); fileExists(p) {
					path = p
				}
			}
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			inv, err := invoice.Parse(data)
			if row["document_type"] == "ERROR" {
				var pe *invoice.ParseError
				require.True(t, errors.As(err, &pe), "want *ParseError, got %v", err)
				if checkMsg {
					require.Contains(t, err.Error(), row["number"])
				}
				return
			}
			require.NoError(t, err)
			got := invoiceColumns(inv)
			for col, want := range row {
				if col == "file" {
					continue
				}
				g, ok := got[col]
				require.True(t, ok, "unknown column %q", col)
				require.True(t, sameValue(col, want, g), "%s: want %q, got %q", col, want, g)
			}
		})
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestParseCorpusFields checks that Parse agrees with EVERY column of
// ../shared/corpus/FIELDS.tsv for every file of the corpus, including the
// counts of lines, vat_breakdown (BG-23) and attachments (embedded BG-24).
func TestParseCorpusFields(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "..", "shared", "corpus")
	if !fileExists(filepath.Join(dir, "FIELDS.tsv")) {
		t.Skipf("shared corpus not found at %s: skipping the corpus comparison", dir)
	}
	rows := readFields(t, filepath.Join(dir, "FIELDS.tsv"))
	listed := map[string]bool{}
	for _, r := range rows {
		listed[r["file"]] = true
	}
	for _, sub := range []string{"ciusro", "en16931", "invalid"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		require.NoError(t, err)
		for _, e := range entries {
			require.True(t, listed[e.Name()], "corpus file %s/%s has no FIELDS.tsv row", sub, e.Name())
		}
	}
	checkFields(t, dir, rows, false)
}

func TestParseTestdataExpected(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "testdata", "invoices")
	checkFields(t, dir, readFields(t, filepath.Join(dir, "expected.tsv")), true)
}
