package gateway

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/efactura-gateway/efactura/internal/attach"
	"github.com/efactura-gateway/efactura/internal/export"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/render"
	"github.com/efactura-gateway/efactura/internal/store"
)

// SearchRequest is a list over several companies: the principal's
// companies (CompanyID 0: all a user belongs to that are verified; a key:
// its own), or one of them (CompanyID), filtered like the dashboard's list
// (Filter's type, dates, text, order and page; Partner), and Text, the
// cross-company search: part of an invoice number or a party's name, a
// CIF, or an amount.
type SearchRequest struct {
	CompanyID int64
	Filter    InvoiceFilter
	Partner   string
	Text      string
}

// SearchList is a page of a search, with the companies its rows belong
// to (by id) and how many companies were searched.
type SearchList struct {
	Rows      []Invoice
	Total     int
	Companies map[int64]*Company
	Searched  int
}

// MaxSearchText is the longest search text read (longer is cut).
const MaxSearchText = 200

// scope is the tenant check of a search: the verified companies the
// principal may list. A user: their memberships (CompanyID: that one, a
// member's, else ErrNotFound); a key: its own company. Unverified
// companies are left out (nothing from ANAF).
func (s *Service) scope(ctx context.Context, p Principal, companyID int64) ([]Company, error) {
	if p.key != nil || companyID != 0 {
		c, err := s.company(ctx, p, companyID)
		if errors.Is(err, ErrUnverified) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []Company{*c}, nil
	}
	if p.actor.UserID == 0 {
		return nil, ErrNotFound
	}
	all, err := s.Store.CompaniesForUser(ctx, p.actor.UserID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, c := range all {
		if c.Verified() {
			out = append(out, c)
		}
	}
	return out, nil
}

// search runs req over the companies cs.
func (s *Service) search(ctx context.Context, cs []Company, req SearchRequest) ([]Invoice, int, error) {
	ids := make([]int64, len(cs))
	for i := range cs {
		ids[i] = cs[i].ID
	}
	if r := []rune(req.Text); len(r) > MaxSearchText {
		req.Text = string(r[:MaxSearchText])
	}
	f := req.Filter
	if f.Offset < 0 || f.Offset > math.MaxInt32 {
		f.Offset = math.MaxInt32
	}
	return s.Store.SearchInvoices(ctx, ids, f, req.Partner, req.Text)
}

// SearchInvoices lists a page (Filter.Limit, Offset) of the invoices of
// the principal's companies matching req.
func (s *Service) SearchInvoices(ctx context.Context, p Principal, req SearchRequest) (*SearchList, error) {
	cs, err := s.scope(ctx, p, req.CompanyID)
	if err != nil {
		return nil, err
	}
	out := &SearchList{Companies: map[int64]*Company{}, Searched: len(cs), Rows: []Invoice{}}
	for i := range cs {
		out.Companies[cs[i].ID] = &cs[i]
	}
	if len(cs) == 0 {
		return out, nil
	}
	rows, total, err := s.search(ctx, cs, req)
	if err != nil {
		return nil, err
	}
	if rows != nil {
		out.Rows = rows
	}
	out.Total = total
	return out, nil
}

// capped lists every match of req for an export or a bulk download, at
// most limit; an ErrExportTooLarge copy above it. Duplicates (ANAF's
// re-publications) are left out unless asked for.
func (s *Service) capped(ctx context.Context, cs []Company, req SearchRequest, limit int, includeDuplicates bool, what string) ([]Invoice, error) {
	req.Filter.Limit, req.Filter.Offset = limit, 0
	req.Filter.ExcludeDuplicates = !includeDuplicates
	rows, total, err := s.search(ctx, cs, req)
	if err != nil {
		return nil, err
	}
	if total > limit {
		e := *ErrExportTooLarge
		e.Msg = fmt.Sprintf("%d invoices match; %s holds at most %d. Narrow the filters (date_from, date_to).", total, what, limit)
		e.Cause = &ExportTooLarge{Total: total, Limit: limit}
		return nil, &e
	}
	return rows, nil
}

// scopeName names the companies of a file: the CIF of one, else "toate".
func scopeName(cs []Company) string {
	if len(cs) == 1 {
		return cs[0].CIF
	}
	return "toate"
}

// SearchExport is Export over a search: the matching invoices of the
// principal's companies as CSV or XLSX, under the same cap.
func (s *Service) SearchExport(ctx context.Context, p Principal, req SearchRequest, format string, lines bool, lang string) (*Document, error) {
	contentType, ok := export.Formats[format]
	if !ok {
		return nil, ErrExportFormat
	}
	cs, err := s.scope(ctx, p, req.CompanyID)
	if err != nil {
		return nil, err
	}
	var rows []Invoice
	if len(cs) > 0 {
		if rows, err = s.capped(ctx, cs, req, s.exportCap(), false, "an export"); err != nil {
			return nil, err
		}
		if rows, err = export.LoadDetails(ctx, s.Store, rows); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := export.Write(&buf, format, rows, export.Options{Lines: lines, Lang: lang}); err != nil {
		return nil, err
	}
	return &Document{Body: buf.Bytes(), ContentType: contentType, FileName: exportName(export.Filename(scopeName(cs), format, s.now()), lines)}, nil
}

// BulkMaxInvoices is the most invoices one bulk ZIP holds (Service.BulkCap
// overrides it), BulkMaxPDFs the most when PDFs are asked for too (each is
// rendered under the PDF guard).
const (
	BulkMaxInvoices = 10_000
	BulkMaxPDFs     = 1_000
)

// BulkRequest is a bulk download: the invoices of a search, each as
// ANAF's original ZIP and, with PDF, as a PDF labelled in Lang.
type BulkRequest struct {
	SearchRequest
	PDF  bool
	Lang string
}

// Bulk is a bulk download ready to be written: its file name, how many
// invoices it holds, and WriteTo, Stream, which writes the ZIP.
type Bulk struct {
	FileName string
	Count    int
	write    func(io.Writer) error
}

// Stream writes the ZIP to w as it is made (no temporary file): one
// entry <CIF>/<primite|trimise|erori|alte>/<ANAF id>.zip per invoice, the
// original bytes stored as they are, and <...>/<ANAF id>.pdf when PDFs were
// asked for and the message holds an invoice. An error after the first
// byte leaves a truncated ZIP: the reader's unzip then fails loudly.
func (b *Bulk) Stream(w io.Writer) error { return b.write(w) }

// bulkCap is Service.BulkCap, else BulkMaxInvoices (BulkMaxPDFs with PDFs).
func (s *Service) bulkCap(pdf bool) int {
	if s.BulkCap > 0 {
		return s.BulkCap
	}
	if pdf {
		return BulkMaxPDFs
	}
	return BulkMaxInvoices
}

// bulkDir is the folder of a message type in a bulk ZIP.
func bulkDir(messageType string) string {
	switch messageType {
	case TypeReceived:
		return "primite"
	case TypeSent:
		return "trimise"
	case TypeErrors:
		return "erori"
	}
	return "alte"
}

// BulkDownload prepares the bulk ZIP of the invoices of the principal's
// companies matching req (refusals, such as more invoices than the cap,
// come before anything is written). The file is facturi_<CIF or
// "toate">_<date>.zip.
func (s *Service) BulkDownload(ctx context.Context, p Principal, req BulkRequest) (*Bulk, error) {
	cs, err := s.scope(ctx, p, req.CompanyID)
	if err != nil {
		return nil, err
	}
	var rows []Invoice
	if len(cs) > 0 {
		if rows, err = s.capped(ctx, cs, req.SearchRequest, s.bulkCap(req.PDF), false, "a bulk download"); err != nil {
			return nil, err
		}
	}
	cif := map[int64]string{}
	for _, c := range cs {
		cif[c.ID] = attach.SafeName(c.CIF)
	}
	name := export.Filename(scopeName(cs), "zip", s.now())
	write := func(w io.Writer) error {
		zw := zip.NewWriter(w)
		for i := range rows {
			inv := &rows[i]
			base := cif[inv.CompanyID] + "/" + bulkDir(inv.MessageType) + "/" + attach.SafeName(inv.ANAFID)
			body, err := s.Store.InvoiceZIP(ctx, inv.CompanyID, inv.ID)
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted meanwhile
			}
			if err != nil {
				return err
			}
			if err := bulkEntry(zw, base+".zip", zip.Store, inv.SyncedAt, body); err != nil {
				return err
			}
			if !req.PDF {
				continue
			}
			pdf, err := s.bulkPDF(ctx, inv, req.Lang)
			if err != nil {
				return err
			}
			if pdf != nil {
				if err := bulkEntry(zw, base+".pdf", zip.Deflate, inv.SyncedAt, pdf); err != nil {
					return err
				}
			}
		}
		return zw.Close()
	}
	return &Bulk{FileName: name, Count: len(rows), write: write}, nil
}

func bulkEntry(zw *zip.Writer, name string, method uint16, at time.Time, body []byte) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: at.UTC()})
	if err != nil {
		return err
	}
	_, err = f.Write(body)
	return err
}

// bulkPDF renders inv for a bulk ZIP; nil for a message without an
// invoice (an error list, an unreadable document) or one too large for a
// PDF.
func (s *Service) bulkPDF(ctx context.Context, inv *Invoice, lang string) ([]byte, error) {
	pdf, err := s.pdfGuard().PDF(ctx, func() (*invoice.Invoice, *render.ANAFFacts, error) {
		full, err := s.Store.InvoiceByID(ctx, inv.CompanyID, inv.ID)
		if err != nil {
			return nil, nil, err
		}
		doc, err := ParsedDocument(full)
		if err != nil || !Renderable(doc) {
			return nil, nil, ErrNotParsed
		}
		return doc, ANAFFacts(full), nil
	}, render.WithLang(render.Lang(lang)))
	var tooLarge *render.TooLargeError
	switch {
	case errors.Is(err, ErrNotParsed), errors.As(err, &tooLarge), errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return pdf, nil
}
