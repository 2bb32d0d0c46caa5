package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/efactura-gateway/efactura/internal/export"
)

// ExportRequest is what to export: the invoices of CompanyID (0: a key's
// own) matching Filter (and Partner, the dashboard's partner search), in
// Format ("csv", "csv-ro" or "xlsx"), one row per invoice or, with Lines, per
// invoice line, with headers in Lang ("ro", "en").
type ExportRequest struct {
	CompanyID int64
	Filter    InvoiceFilter
	Partner   string
	Format    string
	Lines     bool
	Lang      string
	// IncludeDuplicates keeps invoices marked duplicate_of another (ANAF
	// re-published them); by default an export counts an invoice once.
	IncludeDuplicates bool
}

// ExportTooLarge is the Cause of an ErrExportTooLarge copy: how many
// invoices matched and the cap.
type ExportTooLarge struct {
	Total, Limit int
}

func (e *ExportTooLarge) Error() string {
	return fmt.Sprintf("%d invoices match; an export holds at most %d", e.Total, e.Limit)
}

// Refusals of Export.
var (
	ErrExportFormat   = &Error{Kind: KindInvalid, Code: "invalid_format", Field: "format", Msg: "format must be csv, csv-ro or xlsx."}
	ErrExportTooLarge = &Error{Kind: KindInvalid, Code: "export_too_large", Msg: "too many invoices match for one export"}
)

// ExportFormats are the export formats and their media types.
var ExportFormats = export.Formats

// exportCap is Service.ExportCap, else export.MaxRows.
func (s *Service) exportCap() int {
	if s.ExportCap > 0 {
		return s.ExportCap
	}
	return export.MaxRows
}

// ExportCapInForce is the most invoices one export may hold.
func (s *Service) ExportCapInForce() int { return s.exportCap() }

// Export writes the matching invoices of a company the principal may see
// as a CSV or XLSX file named facturi_<CIF>_<date in Bucharest>.<format>
// (a buyer's personal number masked). An unverified company exports the
// header only. Refusals: ErrExportFormat, an ErrExportTooLarge copy (its
// Cause an *ExportTooLarge) above the cap (Service.ExportCap), the tenant
// check's ErrNotFound.
func (s *Service) Export(ctx context.Context, p Principal, req ExportRequest) (*Document, error) {
	contentType, ok := export.Formats[req.Format]
	if !ok {
		return nil, ErrExportFormat
	}
	c, err := s.company(ctx, p, req.CompanyID)
	var rows []Invoice
	switch {
	case errors.Is(err, ErrUnverified): // nothing from ANAF: the header only
	case err != nil:
		return nil, err
	default:
		limit := s.exportCap()
		f := req.Filter
		f.CompanyID, f.Limit, f.Offset = c.ID, limit, 0
		f.ExcludeDuplicates = !req.IncludeDuplicates
		var total int
		if req.Partner != "" {
			rows, total, err = s.Store.InvoicesWithPartner(ctx, f, req.Partner)
		} else {
			rows, total, err = s.Store.Invoices(ctx, f)
		}
		if err != nil {
			return nil, err
		}
		if total > limit {
			e := *ErrExportTooLarge
			e.Msg = fmt.Sprintf("%d invoices match; an export holds at most %d. Narrow the filters (date_from, date_to).", total, limit)
			e.Cause = &ExportTooLarge{Total: total, Limit: limit}
			return nil, &e
		}
		// Both shapes need the parsed invoice: lines, or the net amount,
		// VAT by rate, VAT in RON and IBAN of the per-invoice columns.
		if rows, err = export.LoadDetails(ctx, s.Store, rows); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := export.Write(&buf, req.Format, rows, export.Options{Lines: req.Lines, Lang: req.Lang}); err != nil {
		return nil, err
	}
	return &Document{Body: buf.Bytes(), ContentType: contentType, FileName: exportName(export.Filename(c.CIF, req.Format, s.now()), req.Lines)}, nil
}

// exportName is an export's file name, marked when it has a row per line.
func exportName(name string, lines bool) string {
	if lines {
		return export.LinesName(name)
	}
	return name
}
