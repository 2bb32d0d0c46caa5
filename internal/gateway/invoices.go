package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/efactura-gateway/efactura/internal/attach"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/render"
	"github.com/efactura-gateway/efactura/internal/invoice/view"
	"github.com/efactura-gateway/efactura/internal/store"
)

// ErrInvoiceNotFound: no invoice of that id the principal may see (another
// company's, an unverified company's, or none at all).
var ErrInvoiceNotFound = &Error{Kind: KindNotFound, Code: "invoice_not_found", Msg: "Invoice not found."}

// InvoiceList is a page of a company's invoices.
type InvoiceList struct {
	Company *Company
	Rows    []Invoice
	Total   int // every match, beyond the page
}

// Invoices lists the invoices of company companyID (0: a key's own) that
// match f, with partner (the dashboard's partner search; "" for none).
// f.CompanyID is set here; f.Limit and f.Offset are the caller's page. An
// unverified company lists nothing (no error: its Company tells why).
func (s *Service) Invoices(ctx context.Context, p Principal, companyID int64, f InvoiceFilter, partner string) (*InvoiceList, error) {
	c, err := s.company(ctx, p, companyID)
	if errors.Is(err, ErrUnverified) {
		return &InvoiceList{Company: c, Rows: []Invoice{}}, nil
	}
	if err != nil {
		return nil, err
	}
	return s.invoicesOf(ctx, c, f, partner)
}

// invoicesOf is Invoices of a company the caller checked and found verified.
func (s *Service) invoicesOf(ctx context.Context, c *Company, f InvoiceFilter, partner string) (*InvoiceList, error) {
	f.CompanyID = c.ID
	var err error
	if f.Offset < 0 || f.Offset > math.MaxInt32 {
		f.Offset = math.MaxInt32 // far past any real page: an empty one
	}
	var rows []Invoice
	var total int
	if partner != "" {
		rows, total, err = s.Store.InvoicesWithPartner(ctx, f, partner)
	} else {
		rows, total, err = s.Store.Invoices(ctx, f)
	}
	if err != nil {
		return nil, err
	}
	return &InvoiceList{Company: c, Rows: rows, Total: total}, nil
}

// Invoice returns invoice id with its company when the principal may see
// it: for a user, in any verified company they belong to; for a key, in
// its verified company. ErrInvoiceNotFound otherwise (never a 403).
func (s *Service) Invoice(ctx context.Context, p Principal, id int64) (*Invoice, *Company, error) {
	if id < 1 {
		return nil, nil, ErrInvoiceNotFound
	}
	var candidates []Company
	switch {
	case p.key != nil:
		c, err := s.company(ctx, p, 0)
		if errors.Is(err, ErrUnverified) || errors.Is(err, ErrNotFound) {
			return nil, nil, ErrInvoiceNotFound
		}
		if err != nil {
			return nil, nil, err
		}
		candidates = []Company{*c}
	case p.actor.UserID != 0:
		cs, err := s.Store.CompaniesForUser(ctx, p.actor.UserID)
		if err != nil {
			return nil, nil, err
		}
		candidates = cs
	}
	for i := range candidates {
		if !candidates[i].Verified() {
			continue // an unverified company shows nothing from ANAF
		}
		inv, err := s.Store.InvoiceByID(ctx, candidates[i].ID, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return nil, nil, err
		}
		return inv, &candidates[i], nil
	}
	return nil, nil, ErrInvoiceNotFound
}

// ParsedDocument decodes the invoice's stored parsed document; nil when it
// has none (parsing failed).
func ParsedDocument(inv *Invoice) (*invoice.Invoice, error) {
	if len(inv.ParsedJSON) == 0 {
		return nil, nil
	}
	var doc invoice.Invoice
	if err := json.Unmarshal(inv.ParsedJSON, &doc); err != nil {
		return nil, fmt.Errorf("decode parsed invoice %d: %w", inv.ID, err)
	}
	return &doc, nil
}

// Renderable reports whether doc is an invoice or a credit note (not an
// ANAF error list, not missing), so that it can be rendered as a PDF.
func Renderable(doc *invoice.Invoice) bool {
	return doc != nil && (doc.DocumentType == invoice.DocInvoice || doc.DocumentType == invoice.DocCreditNote)
}

// ANAFFacts are what ANAF says about inv's message (its id, the upload it
// answers, its type and time), as the invoice page and the PDF show them.
func ANAFFacts(inv *Invoice) *view.Facts {
	return &view.Facts{MessageID: inv.ANAFID, UploadID: inv.UploadID, MessageType: inv.MessageType, ReceivedAt: inv.ANAFCreatedAt}
}

// InvoicePage is an invoice arranged for the invoice page: the same view
// model (internal/invoice/view) the PDF is drawn from.
type InvoicePage struct {
	Invoice *Invoice
	Company *Company
	// View is the parsed invoice or credit note arranged for display; nil
	// when the message holds none (parsing failed, or ANAF's error list).
	View *view.View
	// Facts are ANAF's facts about the message, labelled in the page's
	// language; there even without a View.
	Facts []view.KV
	// ParseError says why the document could not be read; "" when it could.
	ParseError string
	// Verdict is the native validator's verdict (validation.go).
	Verdict *Verdict
	// Risk are the supplier risk flags (risk.go).
	Risk *RiskReport
}

// InvoicePage returns invoice id, when the principal may see it (as
// Invoice), arranged for display with labels in lang ("en", else
// Romanian). A stored parsed document that cannot be decoded is logged and
// named in ParseError, not an error.
func (s *Service) InvoicePage(ctx context.Context, p Principal, id int64, lang string) (*InvoicePage, error) {
	inv, company, err := s.Invoice(ctx, p, id)
	if err != nil {
		return nil, err
	}
	facts := ANAFFacts(inv)
	page := &InvoicePage{Invoice: inv, Company: company, ParseError: inv.ParseError, Facts: view.FactRows(facts, view.Lang(lang))}
	doc, err := ParsedDocument(inv)
	if err != nil {
		s.logger().WarnContext(ctx, "stored parsed invoice unreadable", "invoice_id", inv.ID, "error", err.Error())
		if page.ParseError == "" {
			page.ParseError = err.Error()
		}
	}
	if Renderable(doc) {
		page.View = view.New(doc, facts, view.Lang(lang))
	}
	if page.Verdict, err = s.verdictOf(ctx, inv); err != nil {
		return nil, err
	}
	if page.Risk, err = s.riskOf(ctx, inv); err != nil {
		return nil, err
	}
	return page, nil
}

// DocKind is a form of an invoice to download.
type DocKind int

// Forms of an invoice.
const (
	// DocZIP is ANAF's original ZIP, byte for byte.
	DocZIP DocKind = iota + 1
	// DocXML is the UBL document inside the ZIP.
	DocXML
	// DocPDF is the invoice rendered locally as an A4 PDF.
	DocPDF
)

// Document is a download: bytes, content type, file name (header-safe)
// and the hex SHA-256 of the bytes.
type Document struct {
	Body        []byte
	ContentType string
	FileName    string
	SHA256      string
}

// Refusals of InvoiceDocument.
var (
	ErrArchiveUnreadable = &Error{Kind: KindInvalid, Code: "archive_unreadable", Msg: "The archived ZIP could not be read."}
	ErrNotParsed         = &Error{Kind: KindInvalid, Code: "invoice_not_parsed",
		Msg: "The message holds no parsed invoice (unreadable document or ANAF error list), so it cannot be rendered; download the original ZIP instead."}
	ErrDocumentTooLarge = &Error{Kind: KindInvalid, Code: "document_too_large", Msg: "document too large"}
	ErrRenderBusy       = &Error{Kind: KindUnavailable, Code: "service_unavailable",
		Msg: "Every PDF renderer is busy; retry after the number of seconds in Retry-After."}
)

// TooLarge is the detail of an ErrDocumentTooLarge copy: the document's
// lines and the limit (errors.As on the Error's Cause).
type TooLarge = render.TooLargeError

// PDFGuard is the guard that bounds PDF renders (render.Guard).
type PDFGuard = render.Guard

// pdfGuard is Service.PDFGuard, else the process-wide render.Shared().
func (s *Service) pdfGuard() *render.Guard {
	if s.PDFGuard != nil {
		return s.PDFGuard
	}
	return render.Shared()
}

// InvoiceDocument returns invoice id as kind for the principal; lang
// ("ro", "en") labels a PDF. The file names are invoice_<ANAF id>.zip,
// .xml and .pdf, whichever door asks. Refusals: ErrInvoiceNotFound; for
// XML an ErrArchiveUnreadable copy (KindInvalid, the cause kept) when the
// stored ZIP cannot be read; for PDF ErrNotParsed, an ErrDocumentTooLarge
// copy whose Cause is a *TooLarge naming the limit, and an ErrRenderBusy
// copy with RetryAfter when every render slot stays busy (the slot is
// taken before the invoice is loaded).
func (s *Service) InvoiceDocument(ctx context.Context, p Principal, id int64, kind DocKind, lang string) (*Document, error) {
	switch kind {
	case DocZIP, DocXML:
		inv, c, err := s.Invoice(ctx, p, id)
		if err != nil {
			return nil, err
		}
		zip, err := s.Store.InvoiceZIP(ctx, c.ID, inv.ID)
		if err != nil {
			return nil, err
		}
		if kind == DocZIP {
			return &Document{Body: zip, ContentType: "application/zip", FileName: fileName(inv, ".zip"), SHA256: fmt.Sprintf("%x", inv.ZIPSHA256)}, nil
		}
		arc, err := invoice.ReadArchive(zip)
		if err != nil {
			e := *ErrArchiveUnreadable
			e.Msg = "The archived ZIP could not be read; download the original ZIP to inspect it."
			e.Cause = fmt.Errorf("read archive of invoice %d: %w", inv.ID, err)
			return nil, &e
		}
		return &Document{Body: arc.Document, ContentType: "application/xml", FileName: fileName(inv, ".xml"), SHA256: attach.SHA256(arc.Document)}, nil
	case DocPDF:
		return s.invoicePDF(ctx, p, id, lang)
	}
	return nil, fmt.Errorf("gateway: unknown document kind %d", kind)
}

func (s *Service) invoicePDF(ctx context.Context, p Principal, id int64, lang string) (*Document, error) {
	guard := s.pdfGuard()
	var inv *Invoice
	pdf, err := guard.PDF(ctx, func() (*invoice.Invoice, *render.ANAFFacts, error) {
		var err error
		if inv, _, err = s.Invoice(ctx, p, id); err != nil {
			return nil, nil, err
		}
		// ParsedJSON is nil when parsing failed, and ANAF's error list for
		// an ERORI FACTURA message: neither is an invoice to render.
		doc, err := ParsedDocument(inv)
		if err != nil {
			return nil, nil, err
		}
		if !Renderable(doc) {
			return nil, nil, ErrNotParsed
		}
		return doc, ANAFFacts(inv), nil
	}, render.WithLang(render.Lang(lang)))
	var tooLarge *render.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		e := *ErrDocumentTooLarge
		e.Msg = fmt.Sprintf("The invoice has %d lines; PDFs are made for at most %d lines. Download the original ZIP or the XML instead.", tooLarge.Lines, tooLarge.Limit)
		e.Cause = tooLarge
		return nil, &e
	case errors.Is(err, render.ErrBusy):
		e := *ErrRenderBusy
		e.RetryAfter = guard.RetryAfterSeconds()
		e.Cause = err
		return nil, &e
	case err != nil:
		var ge *Error
		if errors.As(err, &ge) {
			return nil, err
		}
		return nil, fmt.Errorf("render invoice %d: %w", id, err)
	}
	return &Document{Body: pdf, ContentType: "application/pdf", FileName: fileName(inv, ".pdf"), SHA256: attach.SHA256(pdf)}, nil
}

// fileName is invoice_<ANAF id><ext>, header-safe.
func fileName(inv *Invoice, ext string) string {
	return attach.SafeName("invoice_"+inv.ANAFID) + ext
}

// InvoiceAmount is one invoice's date, type, currency and total, for the
// dashboard's figures.
type InvoiceAmount = store.InvoiceAmount

// InvoiceMonthTotal is the dashboard's total of one month, type and currency.
type InvoiceMonthTotal = store.InvoiceMonthTotal

// InvoiceFigures are a company's archive size and its invoices' amounts
// since a date, for the dashboard.
type InvoiceFigures struct {
	Archived int
	Months   []InvoiceMonthTotal // summed by month, type and currency
}

// Figures returns the figures of a company the principal may see, the
// totals of invoices issued from since (YYYY-MM-DD) on. An unverified
// company has none (ErrUnverified).
func (s *Service) Figures(ctx context.Context, p Principal, companyID int64, since string) (*InvoiceFigures, error) {
	c, err := s.company(ctx, p, companyID)
	if err != nil {
		return nil, err
	}
	return s.figuresOf(ctx, c, since)
}

// figuresOf is Figures of a company the caller checked and found verified.
func (s *Service) figuresOf(ctx context.Context, c *Company, since string) (*InvoiceFigures, error) {
	out := &InvoiceFigures{}
	var err error
	if out.Archived, err = s.Store.CountInvoices(ctx, c.ID); err != nil {
		return nil, err
	}
	if out.Months, err = s.Store.InvoiceMonthTotals(ctx, c.ID, since); err != nil {
		return nil, err
	}
	return out, nil
}
