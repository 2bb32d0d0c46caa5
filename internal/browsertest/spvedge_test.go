package browsertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
)

// TestBrowserSPVEdge: the SPV 60-day edge (issue 20, part 3) on its two
// pages, in Romanian and English, at 1280 and 360 px: the portfolio marks
// a company with a message listed but not archived for over 50 days (its
// count, a link to the explanation) and one never synced successfully for
// over 50 days; the company's dashboard explains both.
func TestBrowserSPVEdge(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	ctx := t.Context()
	st := g.store
	ana := approvedUser(t, st)
	c := verifiedCompany(t, st, companyCIF, "BETA TRADING SRL", ana)
	// A second company makes / the portfolio (one company: its dashboard).
	verifiedCompany(t, st, "12345674", "ALFA SOFT SRL", ana)
	now := time.Now()
	_, err := st.DB().ExecContext(ctx, `UPDATE companies SET created_at = $1 WHERE id = $2`, now.Add(-70*24*time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z"), c.ID)
	require.NoError(t, err)
	old, recent := now.Add(-55*24*time.Hour), now.Add(-10*24*time.Hour)
	require.NoError(t, st.SetMessageState(ctx, &store.MessageState{CompanyID: c.ID, ANAFID: "3900000001", State: store.MessageDeferred, ANAFCreatedAt: &old}))
	require.NoError(t, st.SetMessageState(ctx, &store.MessageState{CompanyID: c.ID, ANAFID: "3900000002", State: store.MessageDeferred, ANAFCreatedAt: &recent}))

	b := newBrowser(t, g.url)
	b.login(userEmail)
	want := map[string][]string{
		"ro": {"fără sincronizare reușită de peste 50 de zile", "Limita de 60 de zile a SPV",
			"1 mesaje listate de ANAF nu sunt încă arhivate și au peste 50 de zile.",
			"Compania nu a avut nicio sincronizare reușită de peste 50 de zile"},
		"en": {"no successful sync for over 50 days", "SPV's 60-day limit",
			"1 messages listed by ANAF are not archived yet and are over 50 days old.",
			"The company has had no successful sync for over 50 days"},
	}
	for _, width := range []int64{1280, 360} {
		b.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 800))
		for _, lang := range []string{"ro", "en"} {
			tag := fmt.Sprintf("%s-%d", lang, width)
			b.open("/?lang=" + lang)
			row := b.eval(`Array.from(document.querySelectorAll("table.portfolio tbody tr")).map(r => r.textContent).find(x => x.includes("BETA")) || ""`)
			require.Contains(t, row, want[lang][0], tag)
			other := b.eval(`Array.from(document.querySelectorAll("table.portfolio tbody tr")).map(r => r.textContent).find(x => x.includes("ALFA")) || ""`)
			require.NotContains(t, other, want[lang][0], "%s: a company added today is not stale", tag)
			links := b.eval(`Array.from(document.querySelectorAll("table.portfolio a[href$='#spv-edge']")).map(a => a.textContent.trim()).join("|")`)
			require.Contains(t, links, "1", "%s: the at-risk count links to the explanation", tag)
			b.shot("spv-edge-portfolio-" + tag)
			if width == 360 {
				require.Equal(t, "360", b.eval(`String(document.documentElement.scrollWidth)`), "%s: nothing wider than the screen", tag)
			}
			b.open(fmt.Sprintf("/?company=%d&lang=%s", c.ID, lang))
			edge := b.text("#spv-edge")
			for _, s := range want[lang][1:] {
				require.Contains(t, edge, s, tag)
			}
			b.shot("spv-edge-dashboard-" + tag)
			if width == 360 {
				require.Equal(t, "360", b.eval(`String(document.documentElement.scrollWidth)`), "%s: nothing wider than the screen", tag)
			}
		}
	}
}
