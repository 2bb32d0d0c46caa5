package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/render"
)

// invoicePDF serves GET /api/v1/invoices/{id}/pdf: the invoice rendered
// locally as an A4 PDF (never by ANAF), from the stored parsed document and
// ANAF's facts (message id, upload id, type, received at), as
// application/pdf with Content-Disposition attachment;
// filename=invoice_{anaf_id}.pdf. An invoice whose document could not be
// parsed (a broken document) or that is not one (an ERORI FACTURA
// message's error list) is a 422
// INVOICE_NOT_PARSED. ?lang=en gives English labels (Romanian by default).
func (h *handler) invoicePDF(w http.ResponseWriter, r *http.Request) {
	inv, ok := h.loadInvoice(w, r)
	if !ok {
		return
	}
	// ParsedJSON is nil when parsing failed, and ANAF's error list for an
	// ERORI FACTURA message: neither is an invoice to render.
	var doc invoice.Invoice
	if len(inv.ParsedJSON) > 0 {
		if err := json.Unmarshal(inv.ParsedJSON, &doc); err != nil {
			h.internal(w, r, fmt.Errorf("decode parsed invoice %d: %w", inv.ID, err))
			return
		}
	}
	if doc.DocumentType != invoice.DocInvoice && doc.DocumentType != invoice.DocCreditNote {
		writeError(w, http.StatusUnprocessableEntity, "INVOICE_NOT_PARSED",
			"The message holds no parsed invoice (unreadable document or ANAF error list), so it cannot be rendered; download the original ZIP instead.")
		return
	}
	facts := &render.ANAFFacts{MessageID: inv.ANAFID, UploadID: inv.UploadID, MessageType: inv.MessageType, ReceivedAt: inv.ANAFCreatedAt}
	var buf bytes.Buffer
	if err := render.PDF(&buf, &doc, facts, render.WithLang(render.Lang(r.URL.Query().Get("lang")))); err != nil {
		h.internal(w, r, fmt.Errorf("render invoice %d: %w", inv.ID, err))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=invoice_%s.pdf", safeName(inv.ANAFID)))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = buf.WriteTo(w)
}
