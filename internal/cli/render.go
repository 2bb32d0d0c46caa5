package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/render"
)

// renderCmd is `efactura render FILE (--html|--pdf) -o OUT` (PRODUCT.md
// §6.4): one UBL Invoice or CreditNote made into a print-friendly HTML
// document or an A4 PDF, locally. Exit 2 unless exactly one of --html and
// --pdf is given; exit 1 with one line on stderr when FILE cannot be read
// (or is larger than ANAF's 10 MB limit: refused before reading it) or
// parsed or OUT cannot be written.
type renderCmd struct {
	File string `arg:"" name:"FILE" help:"UBL Invoice or CreditNote file."`
	HTML bool   `name:"html" help:"Write a standalone HTML document."`
	PDF  bool   `name:"pdf" help:"Write an A4 PDF."`
	Out  string `short:"o" name:"output" required:"" placeholder:"OUT" help:"Output file (- for stdout)."`
	Lang string `name:"lang" default:"ro" enum:"ro,en" help:"Language of the labels (ro, en)."`
}

func (c *renderCmd) Run(g *globals) error {
	if c.HTML == c.PDF {
		return usageErr("render: give exactly one of --html or --pdf")
	}
	data, err := readInvoiceFile(c.File)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	inv, err := invoice.Parse(data)
	if err != nil {
		return fmt.Errorf("render: %s: %w", c.File, err)
	}
	var buf bytes.Buffer
	lang := render.WithLang(render.Lang(c.Lang))
	if c.HTML {
		err = render.HTML(&buf, inv, nil, lang)
	} else {
		err = render.PDF(&buf, inv, nil, lang)
	}
	if err != nil {
		return fmt.Errorf("render: %s: %w", c.File, err)
	}
	if c.Out == "-" {
		_, err = buf.WriteTo(g.stdout)
		return err
	}
	if err := os.WriteFile(c.Out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}

// readInvoiceFile reads one invoice file for parse and render, refusing a
// file larger than invoice.MaxUploadSize (ANAF's 10 MB upload limit)
// without reading it whole: a regular file by its size (stat), anything
// else (a pipe, a device) by reading at most one byte past the limit.
func readInvoiceFile(path string) ([]byte, error) {
	tooLarge := func(size string) error {
		return fmt.Errorf("%s is %s, larger than ANAF's 10 MB limit for an invoice file (%d bytes)", path, size, invoice.MaxUploadSize)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && st.Size() > invoice.MaxUploadSize {
		return nil, tooLarge(fmt.Sprintf("%d bytes", st.Size()))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, invoice.MaxUploadSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > invoice.MaxUploadSize {
		return nil, tooLarge("more than " + fmt.Sprint(invoice.MaxUploadSize) + " bytes")
	}
	return data, nil
}
