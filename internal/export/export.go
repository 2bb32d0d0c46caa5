// Package export writes a filtered invoice list as CSV or XLSX
// (PRODUCT.md §6.5): one row per invoice, or one per invoice line, with
// headers in the user's language (Romanian or English).
//
// Amounts stay exact: CSV carries the decimal string as the invoice wrote
// it (dot separator, e.g. "1190.00"; the Romanian-Excel CSV "csv-ro" a
// decimal comma); a credit note's amounts are −|x|, any other document's
// as written (docs/exports.md). XLSX carries a numeric cell whose
// number format shows at least two decimals, and as many as were written
// (79.944 → "#,##0.000"). Dates are "YYYY-MM-DD" in CSV and date cells in
// XLSX. A buyer or seller id that is a personal number (CNP) is masked
// with invoice.MaskCNP.
package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// Options choose the shape of an export.
type Options struct {
	// Lines makes one row per invoice line (BG-25) instead of one per
	// invoice. Both shapes read each row's ParsedJSON (store.Invoices does
	// not load it: use LoadDetails); without it the per-invoice columns
	// that come from the document (net amount, VAT by rate, VAT in RON,
	// exchange rate, IBAN) are empty. An invoice without parsed lines
	// (ANAF error messages, unparseable documents) gives one row with the
	// line columns empty.
	Lines bool
	// Lang is the language of the headers: "ro" (the default) or "en".
	Lang string
}

// kind is how a column's values are written.
type kind int

const (
	kindText   kind = iota
	kindInt         // an integer (the local invoice id)
	kindDate        // YYYY-MM-DD
	kindTime        // an instant, written in UTC
	kindAmount      // a decimal amount: at least two decimals shown
	kindNumber      // a decimal quantity or rate: the decimals written
)

// column is one column of an export.
type column struct {
	key    string // stable identifier, also used by tests
	ro, en string // header
	kind   kind
	width  float64 // XLSX column width, in characters
}

func (c column) header(lang string) string {
	if lang == "en" {
		return c.en
	}
	return c.ro
}

var invoiceColumns = []column{
	{"id", "Id", "Id", kindInt, 8},
	{"anaf_id", "Id ANAF", "ANAF id", kindText, 13},
	{"message_type", "Tip mesaj", "Message type", kindText, 17},
	{"document_type", "Tip document", "Document type", kindText, 16},
	{"number", "Număr", "Number", kindText, 16},
	{"issue_date", "Data emiterii", "Issue date", kindDate, 12},
	{"due_date", "Data scadenței", "Due date", kindDate, 12},
	{"seller_name", "Furnizor", "Seller", kindText, 30},
	{"seller_cif", "CIF furnizor", "Seller CIF", kindText, 14},
	{"buyer_name", "Cumpărător", "Buyer", kindText, 30},
	{"buyer_cif", "CIF/CNP cumpărător", "Buyer CIF/CNP", kindText, 15},
	{"currency", "Monedă", "Currency", kindText, 8},
	{"payment_iban", "IBAN plată", "Payment IBAN", kindText, 26},
}

// VATRates are the VAT rates (percent) that get their own taxable-base
// and VAT columns in a per-invoice export: Romania's standard and reduced
// rates since August 2025 (21, 11) and before (19, 9, 5). Rate 0 (and a
// breakdown row without a rate: exempt, reverse charge, outside scope)
// has a base column only; any other rate goes to the "other rates"
// columns. The set is fixed so that the columns do not move from one
// export to the next (an accountant's import template keeps working).
var VATRates = []string{"21", "19", "11", "9", "5"}

// totalColumns are the per-invoice amount columns: net (BT-109), the VAT
// breakdown by rate (BG-23), VAT (BT-110), total (BT-112), VAT in RON
// (BT-111) and the derived exchange rate.
var totalColumns = func() []column {
	cols := []column{{"net_amount", "Total fără TVA", "Total excl. VAT", kindAmount, 14}}
	for _, r := range VATRates {
		cols = append(cols,
			column{"base_" + r, "Bază " + r + "%", "Base " + r + "%", kindAmount, 13},
			column{"vat_" + r, "TVA " + r + "%", "VAT " + r + "%", kindAmount, 12})
	}
	return append(cols,
		column{"base_0", "Bază 0% / scutit", "Base 0% / exempt", kindAmount, 14},
		column{"base_other", "Bază alte cote", "Base other rates", kindAmount, 13},
		column{"vat_other", "TVA alte cote", "VAT other rates", kindAmount, 12},
		column{"vat_amount", "Total TVA", "VAT total", kindAmount, 14},
		column{"total_amount", "Total cu TVA", "Total incl. VAT", kindAmount, 16},
		column{"vat_ron", "TVA în lei", "VAT in RON", kindAmount, 13},
		column{"exchange_rate", "Curs valutar", "Exchange rate", kindNumber, 10},
		column{"synced_at", "Sincronizată la (UTC)", "Synced at (UTC)", kindTime, 20},
	)
}()

var lineColumns = []column{
	{"line_id", "Nr. linie", "Line", kindText, 8},
	{"item_name", "Denumire", "Item", kindText, 30},
	{"item_description", "Descriere", "Description", kindText, 30},
	{"seller_item_id", "Cod articol", "Item code", kindText, 14},
	{"quantity", "Cantitate", "Quantity", kindNumber, 10},
	{"unit_code", "Cod UM", "Unit code", kindText, 8},
	{"unit", "UM", "Unit", kindText, 12},
	{"price", "Preț unitar", "Unit price", kindAmount, 12},
	{"net_amount", "Valoare netă", "Net amount", kindAmount, 14},
	{"vat_category", "Categorie TVA", "VAT category", kindText, 8},
	{"vat_rate", "Cota TVA (%)", "VAT rate (%)", kindNumber, 8},
}

// columns returns the columns of an export with opts.
func columns(opts Options) []column {
	cols := append([]column{}, invoiceColumns...)
	if opts.Lines {
		return append(cols, lineColumns...)
	}
	return append(cols, totalColumns...)
}

// Keys returns the stable keys of the columns of an export with opts, in
// order (headers change with the language, keys do not).
func Keys(opts Options) []string {
	cols := columns(opts)
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.key
	}
	return out
}

// Headers returns the header row of an export with opts, in opts.Lang.
func Headers(opts Options) []string {
	cols := columns(opts)
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.header(opts.Lang)
	}
	return out
}

// cell is one value of a row: the text as written ("" when absent), or the
// instant of a kindTime column.
type cell struct {
	text string
	at   time.Time
}

// record builds the rows of one invoice: one, or one per line with
// opts.Lines. The values follow columns(opts). A credit note's amounts
// (totals, VAT breakdown, line net amounts) are written as −|x|; any other
// document's as written.
func record(inv *store.Invoice, opts Options) ([][]cell, error) {
	sellerCIF := inv.SupplierCIF
	if sellerCIF == "" {
		sellerCIF = inv.CIFEmitent
	}
	var doc *invoice.Invoice
	if len(inv.ParsedJSON) > 0 {
		doc = new(invoice.Invoice)
		if err := json.Unmarshal(inv.ParsedJSON, doc); err != nil {
			return nil, fmt.Errorf("export: invoice %d: parsed JSON: %w", inv.ID, err)
		}
	}
	credit := isCreditNote(inv, doc)
	head := []cell{
		{text: fmt.Sprint(inv.ID)},
		{text: inv.ANAFID},
		{text: inv.MessageType},
		{text: documentLabel(inv, doc, credit, opts.Lang)},
		{text: inv.InvoiceNumber},
		{text: inv.IssueDate},
		{text: inv.DueDate},
		{text: inv.IssuerName},
		{text: invoice.MaskCNP(sellerCIF)},
		{text: inv.ReceiverName},
		{text: invoice.MaskCNP(inv.CIFBeneficiar)},
		{text: inv.Currency},
		{text: paymentIBAN(doc)},
	}
	if !opts.Lines {
		return [][]cell{append(head, totalCells(inv, doc, credit)...)}, nil
	}
	var lines []invoice.Line
	if doc != nil {
		lines = doc.Lines
	}
	if len(lines) == 0 {
		return [][]cell{append(head, make([]cell, len(lineColumns))...)}, nil
	}
	out := make([][]cell, 0, len(lines))
	for _, l := range lines {
		unit := invoice.UnitName(l.UnitCode, opts.Lang)
		if unit == "" {
			unit = l.UnitCode
		}
		row := append(append(make([]cell, 0, len(head)+len(lineColumns)), head...),
			cell{text: l.ID}, cell{text: l.Name}, cell{text: l.Description}, cell{text: l.SellerItemID},
			cell{text: l.Quantity}, cell{text: l.UnitCode}, cell{text: unit}, cell{text: l.Price},
			cell{text: signed(l.NetAmount, credit)}, cell{text: l.VATCategory}, cell{text: l.VATRate})
		out = append(out, row)
	}
	return out, nil
}

// decimals returns the digits after the decimal point of a decimal string
// and whether s is a plain decimal (optional sign, digits, optional
// fraction; no exponent or grouping).
func decimals(s string) (int, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" || s == "." {
		return 0, false
	}
	dot := strings.IndexByte(s, '.')
	for i := 0; i < len(s); i++ {
		if i != dot && (s[i] < '0' || s[i] > '9') {
			return 0, false
		}
	}
	if dot < 0 {
		return 0, true
	}
	return len(s) - dot - 1, true
}

// LoadDetails fills each row's ParsedJSON from st.InvoiceByID (one query
// per invoice: store.Invoices does not load it), as both export shapes
// need.
// Rows keep their order; rows are modified in place and returned.
// Errors: the store's, wrapped (an invoice deleted meanwhile is
// store.ErrNotFound).
func LoadDetails(ctx context.Context, st *store.Store, rows []store.Invoice) ([]store.Invoice, error) {
	for i := range rows {
		if len(rows[i].ParsedJSON) > 0 {
			continue
		}
		full, err := st.InvoiceByID(ctx, rows[i].CompanyID, rows[i].ID)
		if err != nil {
			return nil, fmt.Errorf("export: load invoice %d: %w", rows[i].ID, err)
		}
		rows[i].ParsedJSON = full.ParsedJSON
	}
	return rows, nil
}

// Formats are the export formats and their media types.
var Formats = map[string]string{
	"csv":    "text/csv; charset=utf-8",
	"csv-ro": "text/csv; charset=utf-8",
	"xlsx":   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// MaxRows is the most invoices one export may hold; the API answers 413
// EXPORT_TOO_LARGE and the dashboard a message above it. Per-line exports
// load each invoice's details with one query, so the cap bounds that too.
const MaxRows = 100_000

// bucharest is the calendar of an export's date.
var bucharest = tz.Bucharest()

// Filename returns the attachment name of an export made at now:
// "facturi_<cif>_<YYYY-MM-DD in Bucharest>.<format>" (".csv" for
// "csv-ro" too), the CIF reduced to letters, digits, '-' and '_'.
func Filename(cif, format string, now time.Time) string {
	if format == "csv-ro" {
		format = "csv"
	}
	safe := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, cif)
	return fmt.Sprintf("facturi_%s_%s.%s", safe, now.In(bucharest).Format(time.DateOnly), format)
}

// LinesName is the file name of an export with one row per invoice line:
// name (Filename's) with "_linii" before its extension, so that the two
// exports of one list made the same day do not overwrite each other.
func LinesName(name string) string {
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + "_linii" + ext
}

// Write writes rows in format ("csv", "csv-ro" or "xlsx", see Formats)
// with CSV, CSVExcelRO or XLSX. Errors: an unknown format, or the
// writer's.
func Write(w io.Writer, format string, rows []store.Invoice, opts Options) error {
	switch format {
	case "csv":
		return CSV(w, rows, opts)
	case "csv-ro":
		return CSVExcelRO(w, rows, opts)
	case "xlsx":
		return XLSX(w, rows, opts)
	}
	return fmt.Errorf("export: unknown format %q", format)
}
