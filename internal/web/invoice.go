package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/efactura-gateway/efactura/internal/attach"
	"github.com/efactura-gateway/efactura/internal/gateway"
)

// principal is the request's user as the invoice use cases see them.
func (a *app) principal(r *http.Request) gateway.Principal {
	return gateway.UserPrincipal(a.actor(r))
}

// showInvoicePage shows an invoice as the gateway arranges it
// (gateway.InvoicePage): the same view model the PDF is drawn from, in the
// page's language, with ANAF's facts and the downloads.
func (a *app) showInvoicePage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	p, err := a.gw().InvoicePage(r.Context(), a.principal(r), id, reqCtx(r).lang)
	if err != nil {
		a.documentError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "invoice", "invoices", p)
}

// downloadInvoiceZIP serves the original ANAF ZIP, byte for byte.
func (a *app) downloadInvoiceZIP(w http.ResponseWriter, r *http.Request) {
	a.downloadDocument(w, r, gateway.DocZIP)
}

// downloadInvoiceXML serves the UBL document extracted from the ZIP; an
// unreadable ZIP is a 422 page (the API's 422 ARCHIVE_UNREADABLE).
func (a *app) downloadInvoiceXML(w http.ResponseWriter, r *http.Request) {
	a.downloadDocument(w, r, gateway.DocXML)
}

// downloadInvoicePDF serves GET /invoices/{id}/pdf: the invoice rendered
// locally as an A4 PDF in the user's language, for members of its company
// only (others get a 404, as for the ZIP). A message without a parsed
// invoice gets a 422 page. Rendering goes through the same guard as the
// API (Deps.PDFGuard, else the gateway's): a document of more than the
// guard's line limit gets a 422 page naming it (the ZIP and XML stay
// downloadable), and when every render slot stays busy a 503 page with
// Retry-After. The slot is taken before the invoice is loaded.
func (a *app) downloadInvoicePDF(w http.ResponseWriter, r *http.Request) {
	a.downloadDocument(w, r, gateway.DocPDF)
}

// downloadDocument answers invoice {id} as kind, with the attachment
// headers the API uses too (attach.Write).
func (a *app) downloadDocument(w http.ResponseWriter, r *http.Request, kind gateway.DocKind) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	gw := a.gw()
	if a.PDFGuard != nil && gw.PDFGuard != a.PDFGuard {
		g := *gw
		g.PDFGuard = a.PDFGuard
		gw = &g
	}
	doc, err := gw.InvoiceDocument(r.Context(), a.principal(r), id, kind, reqCtx(r).lang)
	if err != nil {
		a.documentError(w, r, err)
		return
	}
	attach.Write(w, attach.File{Body: doc.Body, ContentType: doc.ContentType, Name: doc.FileName, SHA256: doc.SHA256})
}

// documentError answers a refusal of the invoice use cases: 404 for an
// invoice the user may not see, a 422 page for an unreadable archive, a
// document without a parsed invoice or one too large to render, a 503
// page with Retry-After when every renderer is busy; anything else is a 500.
func (a *app) documentError(w http.ResponseWriter, r *http.Request, err error) {
	var ge *gateway.Error
	if !errors.As(err, &ge) {
		a.serverError(w, r, err)
		return
	}
	var tooLarge *gateway.TooLarge
	switch {
	case ge.Kind == gateway.KindNotFound:
		a.notFound(w, r)
	case errors.Is(ge, gateway.ErrArchiveUnreadable):
		a.Logger.WarnContext(r.Context(), "archive unreadable", "path", r.URL.Path, "error", errors.Unwrap(ge).Error())
		a.render(w, r, ge.HTTPStatus(), "error", "invoices", errorPage{Message: a.t(r, "inv.archive.unreadable")})
	case errors.Is(ge, gateway.ErrNotParsed):
		a.render(w, r, ge.HTTPStatus(), "error", "invoices", errorPage{Message: a.t(r, "inv.pdf.unavailable")})
	case errors.As(ge, &tooLarge):
		a.render(w, r, ge.HTTPStatus(), "error", "invoices", errorPage{Message: a.t(r, "inv.pdf.too.large", tooLarge.Lines, tooLarge.Limit)})
	case ge.Kind == gateway.KindUnavailable && ge.RetryAfter > 0: // every renderer busy
		w.Header().Set("Retry-After", strconv.Itoa(ge.RetryAfter))
		a.render(w, r, ge.HTTPStatus(), "error", "invoices", errorPage{Message: a.t(r, "inv.pdf.busy", ge.RetryAfter)})
	default:
		a.useCaseError(w, r, err, "/")
	}
}
