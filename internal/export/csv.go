package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/store"
)

// CSV writes rows as RFC 4180 CSV (comma-separated, UTF-8, no BOM, CRLF
// line ends) to w: a header row in opts.Lang, then one row per invoice or,
// with opts.Lines, per invoice line. Amounts, quantities and rates are the
// decimal strings as written (dot separator); dates YYYY-MM-DD; the sync
// time RFC 3339 in UTC. A value starting with = + - @, a tab or a carriage
// return (text, and a date or amount that is not one) gets a
// leading apostrophe so that a spreadsheet never runs it as a formula (the
// names come from other companies' invoices). Errors: a row's ParsedJSON
// that is not an invoice (with opts.Lines), or w's write error.
func CSV(w io.Writer, rows []store.Invoice, opts Options) error {
	return writeCSV(w, rows, opts, false)
}

// CSVExcelRO writes rows as CSV for Excel with Romanian regional settings
// (format "csv-ro"): the columns and formula protection of CSV, but UTF-8
// with a byte-order mark (so Excel reads the diacritics), ';' as the
// separator, a decimal comma without thousands grouping ("1190,00",
// "-5,10"), dates dd.mm.yyyy and the sync time "dd.mm.yyyy hh:mm:ss" in
// UTC. Errors: as CSV.
func CSVExcelRO(w io.Writer, rows []store.Invoice, opts Options) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	return writeCSV(w, rows, opts, true)
}

// writeCSV is CSV, or CSVExcelRO after the BOM with excelRO.
func writeCSV(w io.Writer, rows []store.Invoice, opts Options, excelRO bool) error {
	cols := columns(opts)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if excelRO {
		cw.Comma = ';'
	}
	if err := cw.Write(Headers(opts)); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	rec := make([]string, len(cols))
	for i := range rows {
		recs, err := record(&rows[i], opts)
		if err != nil {
			return err
		}
		for _, r := range recs {
			for j, c := range cols {
				rec[j] = csvValue(c.kind, r[j], excelRO)
			}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("export: csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	return nil
}

// Layouts of the Romanian-Excel CSV.
const (
	dayRO      = "02.01.2006"
	dateTimeRO = "02.01.2006 15:04:05"
)

func csvValue(k kind, c cell, excelRO bool) string {
	switch k {
	case kindTime:
		if c.at.IsZero() {
			return ""
		}
		if excelRO {
			return c.at.UTC().Format(dateTimeRO)
		}
		return c.at.UTC().Format(time.RFC3339)
	case kindAmount, kindNumber:
		v := strings.TrimSpace(c.text)
		if _, ok := decimals(v); ok {
			if excelRO {
				return strings.Replace(v, ".", ",", 1)
			}
			return v
		}
		return defuse(v)
	case kindDate:
		if excelRO {
			if d, err := time.Parse(time.DateOnly, strings.TrimSpace(c.text)); err == nil {
				return d.Format(dayRO)
			}
		}
	}
	// Text, and dates or ids as the document wrote them: a parsed invoice
	// keeps an ill-formed date as it is, so it is defused like any text.
	return defuse(c.text)
}

// defuse prefixes a text that a spreadsheet would read as a formula
// (OWASP "CSV injection") with an apostrophe.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
