package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

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
// invoice gets a 422 page.
func (a *app) downloadInvoicePDF(w http.ResponseWriter, r *http.Request) {
	inv, _, ok := a.invoiceFromPath(w, r)
	if !ok {
		return
	}
	var doc invoice.Invoice
	if len(inv.ParsedJSON) > 0 {
		if err := json.Unmarshal(inv.ParsedJSON, &doc); err != nil {
			a.serverError(w, r, fmt.Errorf("decode parsed invoice %d: %w", inv.ID, err))
			return
		}
	}
	if !(invoicePage{Doc: &doc}).Renderable() {
		a.render(w, r, http.StatusUnprocessableEntity, "error", "invoices", errorPage{Message: a.t(r, "inv.pdf.unavailable")})
		return
	}
	facts := &render.ANAFFacts{MessageID: inv.ANAFID, UploadID: inv.UploadID, MessageType: inv.MessageType, ReceivedAt: inv.ANAFCreatedAt}
	var buf bytes.Buffer
	if err := render.PDF(&buf, &doc, facts, render.WithLang(render.Lang(reqCtx(r).lang))); err != nil {
		a.serverError(w, r, fmt.Errorf("render invoice %d: %w", inv.ID, err))
		return
	}
	sendAttachment(w, "application/pdf", "invoice_"+safeFileName(inv.ANAFID)+".pdf", buf.Bytes())
}
