package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
)

// invoicePage is the data of invoice.html.
type invoicePage struct {
	Company    *store.Company
	Invoice    *store.Invoice
	Doc        *invoice.Invoice // nil when the document could not be parsed
	ParseError string
}

// findInvoice returns invoice id when it belongs to one of the user's
// companies. found=false otherwise (a non-member sees a 404, never a 403).
func (a *app) findInvoice(r *http.Request, id int64) (*store.Invoice, *store.Company, bool, error) {
	user := reqCtx(r).user
	companies, err := a.Store.CompaniesForUser(r.Context(), user.ID)
	if err != nil {
		return nil, nil, false, err
	}
	for i := range companies {
		if !companies[i].Verified() {
			continue // an unverified company shows nothing from ANAF
		}
		inv, err := a.Store.InvoiceByID(r.Context(), companies[i].ID, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return nil, nil, false, err
		}
		return inv, &companies[i], true, nil
	}
	return nil, nil, false, nil
}

// invoiceFromPath resolves {id}; it answers 404/500 itself when ok=false.
func (a *app) invoiceFromPath(w http.ResponseWriter, r *http.Request) (*store.Invoice, *store.Company, bool) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return nil, nil, false
	}
	inv, company, found, err := a.findInvoice(r, id)
	if err != nil {
		a.serverError(w, r, err)
		return nil, nil, false
	}
	if !found {
		a.notFound(w, r)
		return nil, nil, false
	}
	return inv, company, true
}

func (a *app) showInvoicePage(w http.ResponseWriter, r *http.Request) {
	inv, company, ok := a.invoiceFromPath(w, r)
	if !ok {
		return
	}
	p := invoicePage{Company: company, Invoice: inv, ParseError: inv.ParseError}
	if len(inv.ParsedJSON) > 0 {
		var doc invoice.Invoice
		if err := json.Unmarshal(inv.ParsedJSON, &doc); err != nil {
			a.Logger.WarnContext(r.Context(), "stored parsed invoice unreadable", "invoice_id", inv.ID, "error", err.Error())
			if p.ParseError == "" {
				p.ParseError = err.Error()
			}
		} else {
			p.Doc = &doc
		}
	}
	a.render(w, r, http.StatusOK, "invoice", "invoices", p)
}

// downloadInvoiceZIP serves the original ANAF ZIP, byte for byte.
func (a *app) downloadInvoiceZIP(w http.ResponseWriter, r *http.Request) {
	inv, company, ok := a.invoiceFromPath(w, r)
	if !ok {
		return
	}
	zip, err := a.Store.InvoiceZIP(r.Context(), company.ID, inv.ID)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	sendAttachment(w, "application/zip", "invoice_"+safeFileName(inv.ANAFID)+".zip", zip)
}

// downloadInvoiceXML serves the UBL document extracted from the ZIP.
func (a *app) downloadInvoiceXML(w http.ResponseWriter, r *http.Request) {
	inv, company, ok := a.invoiceFromPath(w, r)
	if !ok {
		return
	}
	zip, err := a.Store.InvoiceZIP(r.Context(), company.ID, inv.ID)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	arc, err := invoice.ReadArchive(zip)
	if err != nil {
		a.serverError(w, r, fmt.Errorf("read archive of invoice %d: %w", inv.ID, err))
		return
	}
	name := safeFileName(arc.DocumentName)
	if name == "" {
		name = "invoice_" + safeFileName(inv.ANAFID) + ".xml"
	}
	sendAttachment(w, "application/xml", name, arc.Document)
}

func sendAttachment(w http.ResponseWriter, contentType, filename string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", "attachment; filename="+strconv.Quote(filename))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(body)
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// safeFileName keeps a file name to characters harmless in a header.
func safeFileName(s string) string {
	return unsafeFileChars.ReplaceAllString(s, "_")
}
