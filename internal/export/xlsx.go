package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/efactura-gateway/efactura/internal/store"
)

// SheetName returns the name of the single worksheet of an XLSX export:
// "Facturi" / "Invoices", or "Linii" / "Lines" with opts.Lines.
func SheetName(opts Options) string {
	switch {
	case opts.Lines && opts.Lang == "en":
		return "Lines"
	case opts.Lines:
		return "Linii"
	case opts.Lang == "en":
		return "Invoices"
	}
	return "Facturi"
}

// XLSX writes rows as an Excel workbook (Office Open XML) to w, one
// worksheet named SheetName(opts): a bold, frozen header row in opts.Lang,
// then one row per invoice or, with opts.Lines, per
// invoice line. Amounts, quantities and rates are numeric cells (amounts
// formatted "#,##0.00", or with more decimals when the invoice wrote
// more); dates are date cells ("yyyy-mm-dd"), the sync time a date-time
// cell in UTC; a value that is not a plain decimal stays text. Rows are
// streamed, so memory grows with the shared strings, not the cells.
// Errors: a row's ParsedJSON that is not an invoice (with opts.Lines), an
// excelize failure or w's write error.
func XLSX(w io.Writer, rows []store.Invoice, opts Options) error {
	f := excelize.NewFile()
	// Close only removes excelize's temporary files; the workbook is
	// already written to w (or another error is returned) by then.
	defer func() { _ = f.Close() }()
	sheet := SheetName(opts)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	cols := columns(opts)
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return fmt.Errorf("export: xlsx: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	header := make([]any, len(cols))
	for i, h := range Headers(opts) {
		header[i] = excelize.Cell{StyleID: st.header, Value: h}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	n := 1
	vals := make([]any, len(cols))
	for i := range rows {
		recs, err := record(&rows[i], opts)
		if err != nil {
			return err
		}
		for _, r := range recs {
			n++
			for j, c := range cols {
				if vals[j], err = st.value(f, c.kind, r[j]); err != nil {
					return err
				}
			}
			cellName, _ := excelize.CoordinatesToCellName(1, n)
			if err := sw.SetRow(cellName, vals); err != nil {
				return fmt.Errorf("export: xlsx: %w", err)
			}
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	return nil
}

// styles are the cell styles of a workbook; numbers get one per count of
// decimals.
type styles struct {
	header, date, dateTime int
	number                 map[int]int // decimals → style id
}

func newStyles(f *excelize.File) (*styles, error) {
	var (
		st  = &styles{number: map[int]int{}}
		err error
	)
	dateFmt, dateTimeFmt := "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"
	if st.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return nil, fmt.Errorf("export: xlsx: %w", err)
	}
	if st.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return nil, fmt.Errorf("export: xlsx: %w", err)
	}
	if st.dateTime, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateTimeFmt}); err != nil {
		return nil, fmt.Errorf("export: xlsx: %w", err)
	}
	return st, nil
}

// numberStyle returns the style showing d decimals ("#,##0" for none).
func (st *styles) numberStyle(f *excelize.File, d int) (int, error) {
	if id, ok := st.number[d]; ok {
		return id, nil
	}
	format := "#,##0"
	if d > 0 {
		format += "." + strings.Repeat("0", d)
	}
	id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return 0, fmt.Errorf("export: xlsx: %w", err)
	}
	st.number[d] = id
	return id, nil
}

// value returns the stream cell of one value.
func (st *styles) value(f *excelize.File, k kind, c cell) (any, error) {
	if k == kindTime {
		if c.at.IsZero() {
			return nil, nil
		}
		return excelize.Cell{StyleID: st.dateTime, Value: c.at.UTC()}, nil
	}
	s := strings.TrimSpace(c.text)
	if s == "" {
		return nil, nil
	}
	switch k {
	case kindInt:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	case kindDate:
		if d, err := time.Parse(time.DateOnly, s); err == nil {
			return excelize.Cell{StyleID: st.date, Value: d}, nil
		}
	case kindAmount, kindNumber:
		d, ok := decimals(s)
		if !ok {
			break
		}
		// A decimal of at most 15 significant digits survives float64
		// exactly in its shortest form, which excelize writes. One out of
		// float64's range (ParseFloat's ErrRange) stays text.
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			if k == kindAmount {
				d = max(d, 2)
			}
			id, err := st.numberStyle(f, d)
			if err != nil {
				return nil, err
			}
			return excelize.Cell{StyleID: id, Value: v}, nil
		}
	}
	return c.text, nil
}
