package render

import (
	"bufio"
	"embed"
	"fmt"
	"html/template"
	"io"

	"github.com/efactura-gateway/efactura/internal/invoice"
)

//go:embed templates/invoice.html
var templateFS embed.FS

var htmlTemplate = template.Must(template.ParseFS(templateFS, "templates/invoice.html"))

// HTML writes inv as a standalone, print-friendly HTML5 document (UTF-8,
// its only styling an inline <style> block; no scripts, no external
// resources): header with document type, number and dates; seller and
// buyer; lines; VAT breakdown (BG-23); totals BT-106…BT-115; payment
// means; notes; attachments (BG-24); and, when facts is not nil, ANAF's
// message id, upload id, type and time. It is meant to be saved or printed
// (`efactura render --html`), not served under the web pages' CSP.
//
// Errors: ErrNoInvoice for a nil inv, or the writer's error, wrapped.
func HTML(w io.Writer, inv *invoice.Invoice, facts *ANAFFacts, opts ...Option) error {
	if inv == nil {
		return ErrNoInvoice
	}
	v := newView(inv, facts, buildOptions(opts))
	bw := bufio.NewWriterSize(w, 32<<10)
	if err := htmlTemplate.Execute(bw, v); err != nil {
		return fmt.Errorf("render: html: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("render: html: %w", err)
	}
	return nil
}
