package render_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/render"
	"github.com/efactura-gateway/efactura/internal/locale"
)

// repoRoot is the repository root seen from this package's directory.
const repoRoot = "../../.."

// large999 is the corpus's 999-line invoice (../shared next to the repo).
var large999 = filepath.Join(repoRoot, "..", "shared", "corpus", "ciusro", "derived-large-999-lines.xml")

// diacritics are the Romanian letters the renderings must keep as written.
const (
	commaBelow = "ă â î ș ț Ș Ț"
	cedilla    = "ş ţ Ş Ţ"
)

func parseFile(t testing.TB, path string) *invoice.Invoice {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	inv, err := invoice.Parse(data)
	require.NoError(t, err)
	return inv
}

// typical is a generated invoice of the repository's testdata, made richer:
// diacritics in both forms, every total, a tax currency, notes.
func typical(t testing.TB) *invoice.Invoice {
	t.Helper()
	inv := parseFile(t, filepath.Join(repoRoot, "testdata", "invoices", "gen-03-invoice-eur-GMC-0001.xml"))
	inv.Seller.Name = "ȘTEFĂNESCU ÎNCĂLȚĂMINTE SRL"
	inv.Buyer.Name = "ŢESĂTORIA BRAŞOV SA" // cedilla form, kept as written
	inv.Notes = append(inv.Notes, "Diacritice: "+commaBelow, "Sedilă: "+cedilla)
	inv.Totals.Allowances = "10.00"
	inv.Totals.Charges = "10.00"
	inv.Totals.Prepaid = "100.00"
	inv.Totals.Rounding = "0.01"
	inv.Totals.Payable = "1800.84"
	return inv
}

// withLines returns a copy of inv with n lines cycling over its own.
func withLines(inv *invoice.Invoice, n int) *invoice.Invoice {
	out := *inv
	out.Lines = make([]invoice.Line, n)
	for i := range n {
		l := inv.Lines[i%len(inv.Lines)]
		l.ID = fmt.Sprint(i + 1)
		l.Name = fmt.Sprintf("%s #%d", l.Name, i+1)
		out.Lines[i] = l
	}
	return &out
}

var facts = &render.ANAFFacts{
	MessageID:   "3012345671",
	UploadID:    "5012345678",
	MessageType: "FACTURA PRIMITA",
	ReceivedAt:  time.Date(2026, 1, 15, 9, 41, 7, 0, time.UTC),
}

// pdfText extracts the text of pdf with poppler-utils' pdftotext; pages are
// separated by form feeds. Without pdftotext the test is skipped, unless CI
// is set: then it fails.
func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext (poppler-utils) is required in CI: apt-get install -y poppler-utils")
		}
		t.Skip("pdftotext (poppler-utils) is not installed: PDF text checks skipped (apt-get install -y poppler-utils)")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	require.NoError(t, os.WriteFile(in, pdf, 0o600))
	out, err := exec.Command(bin, "-enc", "UTF-8", in, "-").Output()
	require.NoError(t, err, "pdftotext")
	return string(out)
}

func renderPDF(t testing.TB, inv *invoice.Invoice, f *render.ANAFFacts, opts ...render.Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, render.PDF(&buf, inv, f, opts...))
	require.True(t, bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")), "not a PDF")
	return buf.Bytes()
}

// keep writes a rendering under $RENDER_OUT (for looking at it), if set.
func keep(t testing.TB, name string, data []byte) {
	if dir := os.Getenv("RENDER_OUT"); dir != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
}

func TestPDFText(t *testing.T) {
	t.Parallel()
	inv := typical(t)
	pdf := renderPDF(t, inv, facts)
	keep(t, "typical.pdf", pdf)
	text := pdfText(t, pdf)

	for _, want := range []string{
		"Factură", "GMC-0001", "10.01.2026", "09.02.2026",
		inv.Seller.Name, inv.Buyer.Name, "RO31415920", "RO98765438", "J22/3141/2009", "J12/567/2012",
		"Iași", "Cluj", "România", "Factură comercială", "Cota standard",
		"1.584,08 EUR", "316,75 EUR", "1.611,47 lei", "1.900,83 EUR", "10,00 EUR", "100,00 EUR", "0,01 EUR", "1.800,84 EUR",
		"159,03 EUR", "17,49 EUR", // VAT breakdown
		"Manual de programare", "Transport marfă", "1.425,05",
		"Transfer credit", "RO78INGB0000RNCB31415920",
		"Factură emisă conform contractului nr. 12/2025.",
		commaBelow, cedilla,
		"3012345671", "5012345678", "FACTURA PRIMITA", "15.01.2026 11:41", // Bucharest is UTC+2 in January
	} {
		require.Contains(t, text, want)
	}
	require.Equal(t, 1, strings.Count(text, "\f"), "one page")
}

func TestPDFCreditNoteEnglish(t *testing.T) {
	t.Parallel()
	inv := parseFile(t, filepath.Join(repoRoot, "testdata", "invoices", "gen-05-creditnote-DLG-0001.xml"))
	text := pdfText(t, renderPDF(t, inv, nil))
	require.Contains(t, text, "Notă de credit")
	require.NotContains(t, text, "Factură ")
	require.Contains(t, text, inv.Number)
	require.NotEmpty(t, inv.PrecedingInvoices)
	require.Contains(t, text, "Factura inițială")
	require.Contains(t, text, inv.PrecedingInvoices[0].ID, "the preceding invoice (BG-3) is shown")
	require.NotContains(t, text, "ANAF", "no facts, no ANAF section")

	text = pdfText(t, renderPDF(t, inv, nil, render.WithLang(render.EN)))
	require.Contains(t, text, "Credit note")
	require.Contains(t, text, "Amount due")
	require.Contains(t, text, "5 Jan 2026")
	require.Contains(t, text, "82,655.15 RON")
}

// checkPages verifies a many-line PDF: every page repeats the table caption
// and header and carries its page number; every line is there once.
func checkPages(t *testing.T, inv *invoice.Invoice, text string, minPages int) {
	t.Helper()
	pages := strings.Split(strings.TrimSuffix(text, "\f"), "\f")
	require.GreaterOrEqual(t, len(pages), minPages)
	for i, p := range pages {
		require.Contains(t, p, fmt.Sprintf("pagina %d din %d", i+1, len(pages)), "page %d", i+1)
		if i < len(pages)-1 || strings.Contains(p, locale.Money("ro", inv.Lines[len(inv.Lines)-1].NetAmount, inv.Currency)) {
			require.Contains(t, p, "PRODUSE ȘI SERVICII", "caption repeated on page %d", i+1)
			require.Contains(t, p, "Denumire", "header repeated on page %d", i+1)
			require.Contains(t, p, "Preț unitar", "header repeated on page %d", i+1)
		}
	}
	require.Contains(t, text, inv.Lines[0].Name)
	require.Contains(t, text, inv.Lines[len(inv.Lines)-1].Name)
	payable := locale.Money("ro", inv.Totals.Payable, inv.Currency)
	require.Greater(t, strings.LastIndex(text, payable), strings.LastIndex(text, inv.Lines[len(inv.Lines)-1].Name),
		"the amount due %s comes after the last line", payable)
}

func TestPDFManyLines(t *testing.T) {
	t.Parallel()
	inv := withLines(typical(t), 200)
	pdf := renderPDF(t, inv, facts)
	keep(t, "lines200.pdf", pdf)
	text := pdfText(t, pdf)
	checkPages(t, inv, text, 5)
	for _, l := range []int{1, 57, 128, 200} {
		require.Contains(t, text, fmt.Sprintf(" #%d", l))
	}
}

func TestPDFCorpus999Lines(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(large999); err != nil {
		t.Skip("../shared/corpus is absent (it exists only on the project's machines): 999-line PDF check skipped")
	}
	inv := parseFile(t, large999)
	require.Len(t, inv.Lines, 999)
	pdf := renderPDF(t, inv, facts)
	keep(t, "lines999.pdf", pdf)
	text := pdfText(t, pdf)
	checkPages(t, inv, text, 20)
	require.Contains(t, text, inv.Number)
	require.Contains(t, text, inv.Seller.Name)
	require.Contains(t, text, inv.Buyer.Name)
}

func TestPDFMinimal(t *testing.T) {
	t.Parallel()
	for name, inv := range map[string]*invoice.Invoice{
		"empty":    {},
		"no lines": {DocumentType: invoice.DocInvoice, Number: "X-1", Totals: invoice.Totals{Payable: "0.00"}},
		"long name": {Number: "X-2", Lines: []invoice.Line{{ID: "1",
			Name: strings.Repeat("Denumire foarte lungă ", 400), NetAmount: "1.00"}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			renderPDF(t, inv, &render.ANAFFacts{})
		})
	}
	require.ErrorIs(t, render.PDF(&bytes.Buffer{}, nil, nil), render.ErrNoInvoice)
	require.ErrorIs(t, render.HTML(&bytes.Buffer{}, nil, nil), render.ErrNoInvoice)
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	inv := typical(t)
	require.ErrorIs(t, render.PDF(failWriter{}, inv, nil), os.ErrClosed)
	require.ErrorIs(t, render.HTML(failWriter{}, inv, nil), os.ErrClosed)
}

func TestHTML(t *testing.T) {
	t.Parallel()
	inv := typical(t)
	inv.Notes = append(inv.Notes, `<script>alert("x")</script>`)
	var buf bytes.Buffer
	require.NoError(t, render.HTML(&buf, inv, facts))
	keep(t, "typical.html", buf.Bytes())
	html := buf.String()
	require.True(t, strings.HasPrefix(html, "<!DOCTYPE html>"))
	for _, want := range []string{
		`<html lang="ro">`, "<style>", "Factură", "GMC-0001", inv.Seller.Name, inv.Buyer.Name,
		"1.584,08 EUR", "316,75 EUR", "1.611,47 lei", "1.900,83 EUR", "1.800,84 EUR",
		"RO78INGB0000RNCB31415920", commaBelow, cedilla, "3012345671", "5012345678", `title="RO-IS">Iași<`,
		"&lt;script&gt;",
	} {
		require.Contains(t, html, want)
	}
	require.NotContains(t, html, "<script>")
	require.NotContains(t, html, "http://")
	require.NotContains(t, html, "https://")

	buf.Reset()
	require.NoError(t, render.HTML(&buf, inv, nil, render.WithLang(render.EN)))
	require.Contains(t, buf.String(), `<html lang="en">`)
	require.Contains(t, buf.String(), "Amount due")
	require.Contains(t, buf.String(), "1,800.84 EUR")
	require.Contains(t, buf.String(), "10 Jan 2026")
	require.NotContains(t, buf.String(), "Message id")
}
