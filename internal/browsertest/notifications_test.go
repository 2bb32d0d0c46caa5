package browsertest

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestBrowserNotificationSettings: Ana, a member of two companies, opens
// the e-mail notification settings (the daily digest is the default),
// chooses instant mails for one and none for the other, and finds her
// choices kept; the page fits a 360 px phone and the console stays clean.
func TestBrowserNotificationSettings(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	ctx := t.Context()
	hash, err := auth.HashPassword(password)
	require.NoError(t, err)
	ana, err := g.store.CreateUser(ctx, userEmail, hash, false, store.UserApproved)
	require.NoError(t, err)
	beta, err := g.store.CreateCompanyWithOwner(ctx, companyCIF, "BETA TRADING SRL", ana.ID)
	require.NoError(t, err)
	alfa, err := g.store.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SOLUȚII INFORMATICE ȘI CONSULTANȚĂ PENTRU CONTABILITATE SRL", ana.ID)
	require.NoError(t, err)

	b := newBrowser(t, g.url)
	b.login(userEmail)
	b.open("/account/notifications")
	radio := func(c *store.Company, mode string) string {
		return "input[name='mode_" + strconv.FormatInt(c.ID, 10) + "'][value='" + mode + "']"
	}
	checked := func(sel string) string { return b.eval(`String(document.querySelector("` + sel + `").checked)`) }
	require.Equal(t, "true", checked(radio(beta, "digest")), "the default is the daily digest")
	require.Equal(t, "true", checked(radio(alfa, "digest")))
	b.do("viewport 360", chromedp.EmulateViewport(360, 800))
	sw, err := strconv.Atoi(b.eval(`String(document.documentElement.scrollWidth)`))
	require.NoError(t, err)
	require.LessOrEqual(t, sw, 360, "the page fits a phone")
	b.shot("notifications-360")
	b.do("viewport 1280", chromedp.EmulateViewport(1280, 800))

	b.do("choose instant", chromedp.Click(chromedp.CSS(radio(beta, "instant"))))
	b.do("choose none", chromedp.Click(chromedp.CSS(radio(alfa, "none"))))
	b.submit("main form button[type=submit]", ".flash-ok")
	require.Contains(t, b.text(".flash-ok"), "Preferințele de notificare au fost salvate.")
	require.Equal(t, "true", checked(radio(beta, "instant")))
	require.Equal(t, "true", checked(radio(alfa, "none")))
	b.shot("notifications-saved")

	prefs, err := g.store.NotifyPrefs(ctx, ana.ID)
	require.NoError(t, err)
	modes := map[int64]string{}
	for _, p := range prefs {
		modes[p.CompanyID] = p.Mode
	}
	require.Equal(t, map[int64]string{beta.ID: store.NotifyInstant, alfa.ID: store.NotifyNone}, modes)
	require.Empty(t, b.console, "console errors or CSP violations")
}
