package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
)

// brokenInvoice is a testdata invoice with errors inside its lines: the
// first line loses its item name and gets a third decimal, the second an
// element the schema does not allow.
func brokenInvoice(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../testdata/invoices/gen-01-invoice-ALF-0001.xml")
	require.NoError(t, err)
	s := string(data)
	i := strings.Index(s, "<cac:InvoiceLine>")
	require.Positive(t, i)
	head, tail := s[:i], s[i:]
	k := strings.Index(tail, "</cac:InvoiceLine>")
	first, rest := tail[:k], tail[k:]
	first = regexp.MustCompile(`(<cbc:LineExtensionAmount currencyID="[A-Z]+">[0-9]+\.[0-9]+)<`).ReplaceAllString(first, "${1}7<")
	first = regexp.MustCompile(`<cbc:Name>[^<]*</cbc:Name>`).ReplaceAllLiteralString(first, "<cbc:Name></cbc:Name>")
	tail = first + rest
	j := strings.Index(tail, "</cac:InvoiceLine>")
	j += strings.Index(tail[j+1:], "</cac:InvoiceLine>") + 1
	tail = tail[:j] + "<cbc:Foo>1</cbc:Foo>" + tail[j:]
	path := filepath.Join(t.TempDir(), "factura-ALF-0001.xml")
	require.NoError(t, os.WriteFile(path, []byte(head+tail), 0o600))
	return path
}

// TestBrowserValidatePage uploads a broken invoice on the Validare page at
// 1280 and 360 px, in Romanian and English: the verdict and each error
// show, nothing overflows sideways, the console stays clean.
func TestBrowserValidatePage(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	hash, err := auth.HashPassword(password)
	require.NoError(t, err)
	_, err = g.store.CreateUser(t.Context(), userEmail, hash, false, store.UserApproved)
	require.NoError(t, err)
	file := brokenInvoice(t)

	b := newBrowser(t, g.url)
	b.login(userEmail)
	var problems []string
	for _, width := range []int64{1280, 360} {
		b.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 900))
		for _, lang := range []string{"ro", "en"} {
			b.open("/validate?lang=" + lang)
			b.do("choose file", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}))
			b.submit("main form button[type=submit]", ".validate-report")
			b.shot(fmt.Sprintf("validate-%s-%d", lang, width))
			report := b.text(".validate-report")
			for _, want := range []string{"XSD", "BR-25", "BR-DEC-23", "factura-ALF-0001.xml"} {
				if !strings.Contains(report, want) {
					problems = append(problems, fmt.Sprintf("%s at %d px: %q missing from the report", lang, width, want))
				}
			}
			if over := b.eval(`String(document.documentElement.scrollWidth - document.documentElement.clientWidth)`); over != "0" {
				problems = append(problems, fmt.Sprintf("/validate (%s) at %d px overflows the page sideways by %s px", lang, width, over))
			}
		}
	}
	require.Empty(t, problems)
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(t, b.console, "console errors or CSP violations")
}
