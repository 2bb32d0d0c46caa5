package browsertest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/app"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/store"
)

// chromiumPath is Debian's Chromium, installed by .ci/run when missing.
const chromiumPath = "/usr/bin/chromium"

const (
	adminEmail = "admin@example.ro"
	userEmail  = "ana@example.ro"
	password   = "o parolă destul de lungă"
	companyCIF = "98765438" // BETA TRADING SRL, the buyer of most testdata invoices
)

// gateway is a running gateway with its simulator.
type gateway struct {
	url   string
	store *store.Store
}

// startGateway runs app.Serve on 127.0.0.1:0 with a fresh SQLite data dir
// and an auto-approving simulator loaded with testdata/invoices.
func startGateway(t *testing.T) *gateway {
	t.Helper()
	return startGatewayWith(t, nil)
}

// startGatewayWith is startGateway with the simulator's options tuned
// (e.g. RightsCIFs) by tune, when not nil.
func startGatewayWith(t *testing.T, tune func(*anafsim.Options)) *gateway {
	t.Helper()
	simOpts := anafsim.Options{ClientID: "browser-client", ClientSecret: "browser-secret", AutoApprove: true, NoQuotas: true,
		Logger: slog.New(slog.DiscardHandler)}
	if tune != nil {
		tune(&simOpts)
	}
	sim, err := anafsim.New(simOpts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	invoices, err := filepath.Abs("../../testdata/invoices")
	require.NoError(t, err)
	n, err := sim.LoadDir(invoices) // the refused-*.xml files are skipped with an error
	require.Positive(t, n, "loading %s: %v", invoices, err)
	simSrv := httptest.NewServer(sim.Handler())
	t.Cleanup(simSrv.Close)

	dataDir := t.TempDir()
	env := map[string]string{
		"EFACTURA_DATA_DIR":           dataDir,
		"EFACTURA_ADDR":               "127.0.0.1:0",
		"EFACTURA_ANAF_BASE_URL":      simSrv.URL,
		"EFACTURA_ANAF_OAUTH_URL":     simSrv.URL,
		"EFACTURA_ANAF_CLIENT_ID":     "browser-client",
		"EFACTURA_ANAF_CLIENT_SECRET": "browser-secret",
		"EFACTURA_ANAF_ENV":           "test",
		"EFACTURA_LOG_LEVEL":          "warn",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	e, err := app.Open(ctx, cfg, logger, app.OpenOptions{Migrate: true})
	require.NoError(t, err)
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- app.Serve(ctx, e, app.ServeOptions{Stdout: io.Discard, Ready: func(u string) { ready <- u },
			SyncStep: 5 * time.Second, ScheduleEvery: time.Hour})
	}()
	g := &gateway{store: e.Store}
	select {
	case g.url = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("gateway not ready in 30s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("gateway did not stop in 30s")
		}
		e.Close()
	})
	hash, err := auth.HashPassword(password)
	require.NoError(t, err)
	_, err = e.Store.CreateUser(t.Context(), adminEmail, hash, true, store.UserApproved)
	require.NoError(t, err)
	return g
}

// browser is one headless Chromium tab with its console log.
type browser struct {
	t         *testing.T
	ctx       context.Context
	base      string
	artifacts string
	shots     int

	mu      sync.Mutex
	console []string // errors, exceptions and CSP reports
}

// needChromium skips the test, saying so, when Chromium is missing, and
// fails it when CI is set (.ci/run installs it): a browser test never
// passes by skipping in CI.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing but CI is set: .ci/run installs Debian's chromium", chromiumPath)
		}
		t.Skipf("browser tests need Chromium at %s (apt-get install chromium); skipped", chromiumPath)
	}
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	needChromium(t)
	artifacts := os.Getenv("EFACTURA_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	artifacts = filepath.Join(artifacts, "browser")
	require.NoError(t, os.MkdirAll(artifacts, 0o755))
	t.Logf("screenshots in %s", artifacts)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "ro-RO"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 240*time.Second)
	t.Cleanup(cancelTimeout)
	b := &browser{t: t, ctx: ctx, base: base, artifacts: artifacts}
	// Start the browser, then collect the console: calls, exceptions and
	// log entries (CSP violations arrive as "security" log errors).
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			text := m.String()
			if m.IsException() || m.Type == "error" || m.Type == "assert" ||
				strings.Contains(text, "Content Security Policy") || strings.Contains(text, "Content-Security-Policy") {
				b.mu.Lock()
				b.console = append(b.console, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, text))
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// do runs actions, failing the test with what step means on error.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.shot("failed-" + step)
		b.t.Fatalf("%s: %v", step, err)
	}
}

// open navigates to a path and waits for the page's main landmark.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("main")))
}

// submit clicks a button and waits for a selector of the next page.
func (b *browser) submit(button string, waitFor string) {
	b.t.Helper()
	// Mark the current document so the wait below sees the answer's page,
	// not a flash message still showing on the page the form was on.
	b.eval(`(window.__efOld = "1")`)
	b.do("click "+button, chromedp.Click(chromedp.CSS(button)))
	deadline := time.Now().Add(20 * time.Second)
	for {
		// Errors are expected while the page is being replaced: try again.
		state, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`String(window.__efOld || "") + "|" + document.readyState`))
		if err == nil && state == "|complete" {
			break
		}
		if time.Now().After(deadline) {
			b.shot("failed-submit")
			b.t.Fatalf("click %s: no new page within 20s", button)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.do("wait "+waitFor, chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

// fill types values into inputs by CSS selector.
func (b *browser) fill(pairs ...string) {
	b.t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		b.do("fill "+pairs[i], chromedp.SetValue(chromedp.CSS(pairs[i]), pairs[i+1]))
	}
}

// text returns the text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.shot("failed-text")
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// eval runs JavaScript and returns its string result (promises awaited).
func (b *browser) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	require.NoError(b.t, err, js)
	return s
}

// shot saves a full-page PNG named NN-name.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.shots++
	path := filepath.Join(b.artifacts, fmt.Sprintf("%02d-%s.png", b.shots, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

func (b *browser) login(email string) {
	b.t.Helper()
	b.open("/login")
	b.fill("#email", email, "#password", password)
	b.submit("main form button[type=submit]", "header .email")
}

func (b *browser) logout() {
	b.t.Helper()
	b.submit("form[action='/logout'] button", "form[action='/login']")
}

// TestBrowserJourney walks register → pending → admin approves → login → connect
// ANAF → sync with progress → invoice → PDF → API key → language switch →
// impersonation with banner → logout in headless Chromium.
func TestBrowserJourney(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	b := newBrowser(t, g.url)

	// Register: the account waits for approval.
	b.open("/register")
	require.Equal(t, "ro", b.eval(`document.documentElement.lang`))
	b.fill("#email", userEmail, "#password", password, "#confirm", password)
	b.shot("register")
	b.submit("main form button[type=submit]", "main .card p")
	require.Contains(t, b.eval(`location.pathname`), "/register/done")
	b.shot("register-done")
	// Logging in, the account sees it waits for approval.
	b.open("/login")
	b.fill("#email", userEmail, "#password", password)
	b.submit("main form button[type=submit]", "form[action='/logout']")
	require.Contains(t, b.eval(`location.pathname`), "/pending")
	b.shot("pending")

	// The admin approves.
	b.login(adminEmail)
	b.open("/admin/users")
	b.shot("admin-users-pending")
	b.submit("form[action$='/approve'] button", ".flash-ok")
	require.Contains(t, b.text(".flash-ok"), userEmail)
	b.open("/admin/anaf")
	b.shot("admin-anaf-app")
	b.logout()

	// The user logs in, adds a company and connects ANAF.
	b.login(userEmail)
	b.shot("dashboard-empty")
	b.open("/companies")
	b.fill("#cif", "RO"+companyCIF, "#name", "BETA TRADING SRL")
	b.submit("form[action='/companies'] button", ".flash-ok")
	b.shot("companies")
	b.open("/anaf")
	b.do("connect", chromedp.Click(chromedp.CSS("a[href='/anaf/connect']")), chromedp.WaitVisible(chromedp.CSS(".status-ok")))
	b.submit("form[action='/anaf/test'] button", ".flash")
	require.Contains(t, b.eval(`document.querySelector('.flash').className`), "flash-ok", b.text(".flash"))
	b.shot("anaf-connected")

	// Sync now: the dashboard follows the run (JS polling, or the refresh
	// fallback) until invoices are listed.
	b.open("/")
	b.submit("form[action$='/sync'] button", ".flash")
	b.shot("sync-started")
	// No navigation here: app.js polls the run's status and reloads the
	// page when it is over (a navigation of ours would race that reload).
	deadline := time.Now().Add(120 * time.Second)
	for {
		rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`String(document.querySelectorAll('table.invoices tbody tr').length)`))
		if err == nil && rows != "0" {
			break
		}
		if time.Now().After(deadline) {
			b.shot("failed-sync")
			t.Fatalf("no invoice listed 120s after Sync now (live progress did not reload the page)")
		}
		time.Sleep(500 * time.Millisecond)
	}
	b.do("chart", chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	b.shot("dashboard")

	// Open an invoice and download its PDF (fetched by the page, with the
	// session cookie).
	b.submit("table.invoices tbody tr a", "a[href$='/pdf']")
	b.shot("invoice")
	pdf := b.eval(`fetch(document.querySelector("a[href$='/pdf']").href).then(async r => r.status + " " + r.headers.get("content-type") + " " + (await r.text()).slice(0, 5))`)
	require.Equal(t, "200 application/pdf %PDF-", pdf)

	// Create an API key: shown once.
	companyID := b.eval(`new URLSearchParams(document.querySelector("a[href^='/?company=']")?.search || "").get("company") || ""`)
	if companyID == "" {
		companies, err := g.store.Companies(t.Context())
		require.NoError(t, err)
		require.NotEmpty(t, companies)
		companyID = fmt.Sprint(companies[0].ID)
	}
	b.open("/companies/" + companyID + "/keys")
	b.fill("#key-name", "ERP contabilitate")
	b.do("scope write", chromedp.Click(chromedp.CSS("input[name=scope][value=write]")))
	b.submit("form[action$='/keys'] button[type=submit]", "#new-key")
	key := b.eval(`document.querySelector('#new-key').value`)
	require.True(t, strings.HasPrefix(key, "efk_"), key)
	b.shot("api-key-created")

	// Language switch: English, remembered.
	b.do("english", chromedp.Click(chromedp.CSS("a[hreflang=en]")), chromedp.WaitVisible(chromedp.CSS("html[lang=en] main")))
	require.Contains(t, b.text("h1"), "API keys")
	b.open("/")
	require.Equal(t, "en", b.eval(`document.documentElement.lang`))
	require.Contains(t, b.text(".figures"), "RON")
	b.shot("dashboard-en")
	b.logout()

	// The admin impersonates the user: a banner on every page, then stops.
	b.login(adminEmail)
	b.open("/admin/users")
	b.submit("form[action$='/impersonate'] button", ".impersonation")
	require.Contains(t, b.text(".impersonation"), userEmail)
	b.shot("impersonating")
	b.open("/anaf")
	require.Contains(t, b.text(".impersonation"), adminEmail)
	b.submit(".impersonation button", "form[action$='/impersonate']")
	require.Equal(t, "0", b.eval(`String(document.querySelectorAll('.impersonation').length)`))
	b.open("/admin/audit?action=impersonate")
	audit := b.text("main table")
	require.Contains(t, audit, "impersonation started") // actions by name, the key in the title
	require.Contains(t, audit, "impersonation stopped")
	require.Contains(t, b.eval(`Array.from(document.querySelectorAll("main table td[title]")).map(td => td.title).join(" ")`), "impersonate.start")
	b.open("/admin/audit?action=impersonate&lang=ro")
	require.Contains(t, b.text("main table"), "impersonare începută")
	b.shot("admin-audit-ro")
	b.open("/admin/audit?action=impersonate&lang=en")
	b.shot("admin-audit")
	b.open("/admin/system")
	b.shot("admin-system")
	b.logout()
	b.shot("logged-out")

	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(t, b.console, "console errors or CSP violations")
}

// approvedUser creates the approved user userEmail with password.
func approvedUser(t *testing.T, st *store.Store) *store.User {
	t.Helper()
	hash, err := auth.HashPassword(password)
	require.NoError(t, err)
	u, err := st.CreateUser(t.Context(), userEmail, hash, false, store.UserApproved)
	require.NoError(t, err)
	return u
}

// verifiedCompany creates company cif owned by owner, verified by owner.
func verifiedCompany(t *testing.T, st *store.Store, cif, name string, owner *store.User) *store.Company {
	t.Helper()
	c, err := st.CreateCompanyWithOwner(t.Context(), cif, name, owner.ID)
	require.NoError(t, err)
	_, err = st.SetCompanyVerified(t.Context(), c.ID, owner.ID)
	require.NoError(t, err)
	return c
}
