package api

import (
	"encoding/json"
	"errors"
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
//
// Rendering goes through a render.Guard (PRODUCT.md §9), which takes a
// render slot before the invoice is even loaded: more than
// render.MaxPDFLines lines is a 422 DOCUMENT_TOO_LARGE naming the limit
// (the ZIP and XML stay downloadable); when every render slot stays busy
// for the guard's wait, a 503 SERVICE_UNAVAILABLE with Retry-After.
func (h *handler) invoicePDF(w http.ResponseWriter, r *http.Request) {
	guard := h.pdfGuard()
	var (
		id     int64
		anafID string
	)
	pdf, err := guard.PDF(r.Context(), func() (*invoice.Invoice, *render.ANAFFacts, error) {
		inv, ok := h.loadInvoice(w, r)
		if !ok {
			return nil, nil, errAnswered
		}
		id, anafID = inv.ID, inv.ANAFID
		// ParsedJSON is nil when parsing failed, and ANAF's error list for
		// an ERORI FACTURA message: neither is an invoice to render.
		var doc invoice.Invoice
		if len(inv.ParsedJSON) > 0 {
			if err := json.Unmarshal(inv.ParsedJSON, &doc); err != nil {
				return nil, nil, fmt.Errorf("decode parsed invoice %d: %w", inv.ID, err)
			}
		}
		if doc.DocumentType != invoice.DocInvoice && doc.DocumentType != invoice.DocCreditNote {
			return nil, nil, errNotRenderable
		}
		return &doc, &render.ANAFFacts{MessageID: inv.ANAFID, UploadID: inv.UploadID, MessageType: inv.MessageType, ReceivedAt: inv.ANAFCreatedAt}, nil
	}, render.WithLang(render.Lang(r.URL.Query().Get("lang"))))
	var tooLarge *render.TooLargeError
	switch {
	case errors.Is(err, errAnswered):
		return
	case errors.Is(err, errNotRenderable):
		writeError(w, http.StatusUnprocessableEntity, "INVOICE_NOT_PARSED",
			"The message holds no parsed invoice (unreadable document or ANAF error list), so it cannot be rendered; download the original ZIP instead.")
		return
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusUnprocessableEntity, "DOCUMENT_TOO_LARGE",
			fmt.Sprintf("The invoice has %d lines; PDFs are made for at most %d lines. Download the original ZIP or the XML instead.", tooLarge.Lines, tooLarge.Limit))
		return
	case errors.Is(err, render.ErrBusy):
		w.Header().Set("Retry-After", strconv.Itoa(guard.RetryAfterSeconds()))
		writeError(w, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE",
			"Every PDF renderer is busy; retry after the number of seconds in Retry-After.")
		return
	case err != nil:
		h.internal(w, r, fmt.Errorf("render invoice %d: %w", id, err))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=invoice_%s.pdf", safeName(anafID)))
	w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(pdf)
}

// errAnswered is the loader's answer when loadInvoice already wrote the
// response (404, 500).
var errAnswered = errors.New("answered")

// errNotRenderable is the loader's answer for a message without a parsed
// invoice (INVOICE_NOT_PARSED).
var errNotRenderable = errors.New("no parsed invoice to render")

// pdfGuard is the guard bounding PDF renders: Deps.PDFGuard, else the
// process-wide render.Shared() the web UI uses too.
func (h *handler) pdfGuard() *render.Guard {
	if h.PDFGuard != nil {
		return h.PDFGuard
	}
	return render.Shared()
}
