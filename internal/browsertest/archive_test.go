package browsertest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestBrowserArchivePage shows the tamper-evident archive page of a
// company with a chain (its first entries backfilled at the migration)
// and daily heads, in Romanian and English at 1280 and 360 px: the
// chain's facts, the backfill notice, the heads and the audit pack form
// (a period the wrong way round is refused on the page); nothing
// overflows sideways and the console stays clean.
func TestBrowserArchivePage(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	ctx := t.Context()
	st := g.store
	ana := approvedUser(t, st)
	beta := verifiedCompany(t, st, companyCIF, "BETA TRADING SRL", ana)
	for i, f := range []string{"gen-01-invoice-ALF-0001.xml", "gen-02-invoice-EPS-0001.xml", "gen-04-invoice-BTR-0001.xml"} {
		insertInvoice(t, g, beta, "34000000"+strconv.Itoa(10+i), "../../testdata/invoices/"+f)
	}
	// As if the first two had been chained by the migration.
	_, err := st.DB().ExecContext(ctx, `UPDATE archive_chain_heads SET backfill_seq = 2, backfill_at = $1 WHERE company_id = $2`,
		time.Now().Add(-72*time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z"), beta.ID)
	require.NoError(t, err)
	for d := 2; d >= 0; d-- {
		at := time.Now().UTC().Add(-time.Duration(d) * 24 * time.Hour)
		_, err = st.TakeChainDigests(ctx, at.Format(time.DateOnly), at)
		require.NoError(t, err)
	}

	b := newBrowser(t, g.url)
	b.login(userEmail)
	page := "/companies/" + strconv.FormatInt(beta.ID, 10) + "/archive"
	var problems []string
	for _, width := range []int64{1280, 360} {
		b.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 900))
		for _, lang := range []string{"ro", "en"} {
			b.open(page + "?lang=" + lang)
			b.shot(fmt.Sprintf("archive-%s-%d", lang, width))
			body := b.text("main")
			want := map[string][]string{
				"ro": {"Arhivă atestată", "3 intrări", "Intrările 1–2", "Capete zilnice", "Pachet de audit", "Descarcă capetele (CSV)"},
				"en": {"Tamper-evident archive", "3 entries", "Entries 1–2", "Daily heads", "Audit pack", "Download the heads (CSV)"},
			}[lang]
			for _, w := range want {
				if !strings.Contains(body, w) {
					problems = append(problems, fmt.Sprintf("%s at %d px: %q missing", lang, width, w))
				}
			}
			if over := b.eval(`String(document.documentElement.scrollWidth - document.documentElement.clientWidth)`); over != "0" {
				problems = append(problems, fmt.Sprintf("%s (%s) at %d px overflows the page sideways by %s px", page, lang, width, over))
			}
		}
	}
	// The two downloads, as the page's links and form ask for them.
	for path, want := range map[string]string{
		page + "/heads": "200 text/csv; charset=utf-8",
		page + "/pack?from=01.01.2000&to=31.12.2099": "200 application/zip",
	} {
		got := b.eval(`fetch(` + strconv.Quote(path) + `).then(r => r.arrayBuffer().then(b => r.status + " " + r.headers.get("content-type") + " " + (b.byteLength > 0)))`)
		if got != want+" true" {
			problems = append(problems, fmt.Sprintf("GET %s: %s, want %s", path, got, want))
		}
	}
	// A period the wrong way round: the page says so.
	b.open(page + "/pack?from=01.02.2026&to=01.01.2026&lang=en")
	b.shot("archive-pack-refused-en-360")
	if msg := b.text("#pack-error"); !strings.Contains(msg, "the first not after the second") {
		problems = append(problems, "the refused period is not explained: "+msg)
	}
	require.Empty(t, problems)
	b.mu.Lock()
	defer b.mu.Unlock()
	var console []string
	for _, c := range b.console { // the refused period's own 422 is expected
		if !strings.Contains(c, "/archive/pack?") || !strings.Contains(c, "422") {
			console = append(console, c)
		}
	}
	require.Empty(t, console, "console errors or CSP violations")
}
