// Package render turns a parsed invoice (invoice.Invoice) into documents for
// people: a standalone, print-friendly HTML page and an A4 PDF (PRODUCT.md
// §6.4). Both are made locally, never by ANAF.
//
// Both are drawn from the view model of internal/invoice/view, which the
// web invoice page shares. Text is shown as written in the XML: amounts keep the document's decimals
// and are followed by the currency code, Romanian letters keep the form they
// were written in (comma-below ș ț or cedilla ş ţ). Labels are Romanian by
// default, English with WithLang(EN).
package render

import (
	"errors"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/view"
)

// ANAFFacts are what ANAF says about the message that carried the invoice
// (the listaMesajeFactura / listaMesajePaginatieFactura entry). Every field
// is optional; a nil *ANAFFacts shows no ANAF section.
type ANAFFacts = view.Facts

// Lang selects the language of labels.
type Lang = view.Lang

// Languages of labels.
const (
	RO = view.RO // Romanian (default)
	EN = view.EN // English
)

// Option changes how a document is rendered.
type Option func(*options)

type options struct {
	lang Lang
}

// WithLang sets the language of labels; anything but EN is Romanian.
func WithLang(l Lang) Option {
	return func(o *options) {
		if l == EN {
			o.lang = EN
		} else {
			o.lang = RO
		}
	}
}

// ErrNoInvoice is returned when the invoice to render is nil.
var ErrNoInvoice = errors.New("render: no invoice")

func buildOptions(opts []Option) options {
	o := options{lang: RO}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// newView is inv arranged for display by internal/invoice/view.
func newView(inv *invoice.Invoice, facts *ANAFFacts, o options) *view.View {
	return view.New(inv, facts, o.lang)
}
