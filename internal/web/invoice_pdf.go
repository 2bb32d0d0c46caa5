package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/render"
)

// Renderable reports whether the page's document is an invoice or credit
// note that can be rendered as a PDF (not an ANAF error list, not an
// unparsed document).
func (p invoicePage) Renderable() bool {
	return p.Doc != nil && (p.Doc.DocumentType == invoice.DocInvoice || p.Doc.DocumentType == invoice.DocCreditNote)
}

// downloadInvoicePDF serves GET /invoices/{id}/pdf: the invoice rendered
// locally as an A4 PDF in the user's language, for members of its company
// only (others get a 404, as for the ZIP). A message without a parsed
// invoice gets a 422 page. Rendering goes through the same render.Guard
// as the API (render.Shared()): a document of more than the guard's line
// limit gets a 422 page naming it (the ZIP and XML stay downloadable), and
// when every render slot stays busy a 503 page with Retry-After. The slot
// is taken before the invoice is loaded.
func (a *app) downloadInvoicePDF(w http.ResponseWriter, r *http.Request) {
	guard := a.PDFGuard
	if guard == nil {
		guard = render.Shared()
	}
	var (
		id     int64
		anafID string
	)
	pdf, err := guard.PDF(r.Context(), func() (*invoice.Invoice, *render.ANAFFacts, error) {
		inv, _, ok := a.invoiceFromPath(w, r)
		if !ok {
			return nil, nil, errAnswered
		}
		id, anafID = inv.ID, inv.ANAFID
		var doc invoice.Invoice
		if len(inv.ParsedJSON) > 0 {
			if err := json.Unmarshal(inv.ParsedJSON, &doc); err != nil {
				return nil, nil, fmt.Errorf("decode parsed invoice %d: %w", inv.ID, err)
			}
		}
		if !(invoicePage{Doc: &doc}).Renderable() {
			return nil, nil, errNotRenderable
		}
		return &doc, &render.ANAFFacts{MessageID: inv.ANAFID, UploadID: inv.UploadID, MessageType: inv.MessageType, ReceivedAt: inv.ANAFCreatedAt}, nil
	}, render.WithLang(render.Lang(reqCtx(r).lang)))
	var tooLarge *render.TooLargeError
	switch {
	case errors.Is(err, errAnswered):
		return
	case errors.Is(err, errNotRenderable):
		a.render(w, r, http.StatusUnprocessableEntity, "error", "invoices", errorPage{Message: a.t(r, "inv.pdf.unavailable")})
		return
	case errors.As(err, &tooLarge):
		a.render(w, r, http.StatusUnprocessableEntity, "error", "invoices", errorPage{Message: a.t(r, "inv.pdf.too.large", tooLarge.Lines, tooLarge.Limit)})
		return
	case errors.Is(err, render.ErrBusy):
		w.Header().Set("Retry-After", strconv.Itoa(guard.RetryAfterSeconds()))
		a.render(w, r, http.StatusServiceUnavailable, "error", "invoices", errorPage{Message: a.t(r, "inv.pdf.busy", guard.RetryAfterSeconds())})
		return
	case err != nil:
		a.serverError(w, r, fmt.Errorf("render invoice %d: %w", id, err))
		return
	}
	sendAttachment(w, "application/pdf", "invoice_"+safeFileName(anafID)+".pdf", pdf)
}

// errAnswered is the loader's answer when invoiceFromPath already wrote
// the response (404, 500).
var errAnswered = errors.New("answered")

// errNotRenderable is the loader's answer for a message without a parsed
// invoice (the 422 page).
var errNotRenderable = errors.New("no parsed invoice to render")
