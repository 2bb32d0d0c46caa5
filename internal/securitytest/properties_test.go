package securitytest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/store"
)

// leakRE matches what an answer must never carry: stack traces, Go
// source positions, SQL and driver messages. pgx only as its messages and
// import paths write it ("pgx: ", "jackc/pgx/v5"): a random API key
// prefix on a page may hold the letters "pgX".
var leakRE = regexp.MustCompile(`(?i)goroutine \d+|panic:|\.go:\d+|runtime/debug|\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|syntax error|SQLSTATE|sqlite|pgx[:/]|pq: |near ".*": syntax`)

// driverRE matches database driver errors and stack traces (the SQL
// injection test's pages echo the user's own payload, SQL words included).
var driverRE = regexp.MustCompile(`(?i)goroutine \d+|panic:|\.go:\d+|syntax error|SQLSTATE|SQL logic error|no such (column|table)|unrecognized token|sqlite|pgx[:/]|pq: `)

// requireNoLeak fails when a body carries internals.
func requireNoLeak(t *testing.T, what, body string) {
	t.Helper()
	require.False(t, leakRE.MatchString(body), "%s leaks internals: %q", what, leakRE.FindString(body))
}

// apiReq sends an API request with optional key and headers.
func (s *stack) apiReq(t *testing.T, method, path, key string, body io.Reader, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, body)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("X-API-KEY", key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.browser(t).do(req)
}

// TestAPIKeyMatrix tries every API route with each kind of key: none, a
// malformed one, an unknown one, a revoked one, A's read and write keys,
// B's key. Another company's invoice is 404, a read key cannot write.
func TestAPIKeyMatrix(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	w := s.seed(t, "apikeys", nil)
	inv := "/api/v1/invoices/" + strconv.FormatInt(w.invA.ID, 10)
	unknown := "efk_" + strings.Repeat("A", 43)
	principals := []struct{ name, key string }{
		{"none", ""}, {"malformed", "efk_x"}, {"unknown", unknown}, {"revoked", w.revokedKey},
		{"A read", w.keyARead}, {"A write", w.keyAWrite}, {"B read", w.keyBRead},
	}
	type row struct {
		method, path string
		want         [7]int
	}
	rows := []row{
		{"GET", "/api/v1/health", [7]int{200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/openapi.json", [7]int{200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/api/docs", [7]int{200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/api/v1/invoices", [7]int{401, 401, 401, 401, 200, 200, 200}},
		{"GET", inv, [7]int{401, 401, 401, 401, 200, 200, 404}},
		{"GET", inv + "/download", [7]int{401, 401, 401, 401, 200, 200, 404}},
		{"GET", inv + "/xml", [7]int{401, 401, 401, 401, 200, 200, 404}},
		{"GET", inv + "/pdf", [7]int{401, 401, 401, 401, 200, 200, 404}},
		{"GET", "/api/v1/invoices/export", [7]int{401, 401, 401, 401, 200, 200, 200}},
		{"GET", "/api/v1/sync", [7]int{401, 401, 401, 401, 200, 200, 200}},
		{"POST", "/api/v1/sync", [7]int{401, 401, 401, 401, 403, 202, 403}},
		// Sending: a read key cannot upload; A's write key reaches the use
		// case (an empty body is refused there); no upload 999999 exists.
		{"POST", "/api/v1/invoices", [7]int{401, 401, 401, 401, 403, 422, 403}},
		{"GET", "/api/v1/uploads", [7]int{401, 401, 401, 401, 200, 200, 200}},
		{"GET", "/api/v1/uploads/999999", [7]int{401, 401, 401, 401, 404, 404, 404}},
		{"GET", "/api/v1/uploads/" + strconv.FormatInt(w.uploadA.ID, 10), [7]int{401, 401, 401, 401, 200, 200, 404}},
		// The archive: each key its own company's chain, heads and pack.
		{"GET", "/api/v1/archive", [7]int{401, 401, 401, 401, 200, 200, 200}},
		{"GET", "/api/v1/archive/heads", [7]int{401, 401, 401, 401, 200, 200, 200}},
		{"GET", "/api/v1/audit-pack?from=2000-01-01&to=2099-12-31", [7]int{401, 401, 401, 401, 200, 200, 200}},
		{"GET", "/api/v1/compliance/deadlines", [7]int{401, 401, 401, 401, 200, 200, 200}},
		{"GET", "/api/v1/compliance/numbering", [7]int{401, 401, 401, 401, 200, 200, 200}},
		{"GET", "/api/v1/compliance/spv", [7]int{401, 401, 401, 401, 200, 200, 200}},
	}
	codes := map[string]string{"none": "MISSING_API_KEY", "malformed": "INVALID_API_KEY_FORMAT", "unknown": "INVALID_API_KEY", "revoked": "INVALID_API_KEY"}
	for _, r := range rows {
		for i, p := range principals {
			got := s.apiReq(t, r.method, r.path, p.key, nil)
			require.Equal(t, r.want[i], got.Status, "%s %s with %s: %s", r.method, r.path, p.name, snippet(got.Body))
			requireNoLeak(t, r.path, got.Body)
			if got.Status == 401 {
				require.Contains(t, got.Body, `"code":"`+codes[p.name]+`"`)
			}
			if got.Status == 404 && strings.HasPrefix(r.path, "/api/v1/uploads/") {
				require.Contains(t, got.Body, `"code":"UPLOAD_NOT_FOUND"`)
			} else if got.Status == 404 {
				require.Contains(t, got.Body, `"code":"INVOICE_NOT_FOUND"`)
				require.NotContains(t, got.Body, w.invA.ANAFID, "never another company's data")
			}
			if got.Status == 403 {
				require.Contains(t, got.Body, `"code":"INSUFFICIENT_SCOPE"`)
			}
		}
	}
	// B's key lists only B's invoices and sync runs.
	list := s.apiReq(t, "GET", "/api/v1/invoices", w.keyBRead, nil)
	require.NotContains(t, list.Body, w.invA.ANAFID)
	require.Contains(t, list.Body, w.invB.ANAFID)
	// B's key lists only B's uploads.
	ups := s.apiReq(t, "GET", "/api/v1/uploads", w.keyBRead, nil)
	require.Contains(t, ups.Body, `"file_name":"`+w.uploadB.FileName+`"`)
	require.NotContains(t, ups.Body, `"id":`+strconv.FormatInt(w.uploadA.ID, 10)+`,`)
	chainB := s.apiReq(t, "GET", "/api/v1/archive", w.keyBRead, nil)
	require.Contains(t, chainB.Body, `"company_cif":"`+w.compB.CIF+`"`)
	packB := s.apiReq(t, "GET", "/api/v1/audit-pack?from=2000-01-01&to=2099-12-31", w.keyBRead, nil)
	require.NotContains(t, packB.Body, w.invA.ANAFID, "B's pack holds nothing of A")
	runs := s.apiReq(t, "GET", "/api/v1/sync", w.keyBRead, nil)
	require.NotContains(t, runs.Body, `"id":`+strconv.FormatInt(w.runA.ID, 10)+`,`)
	t.Logf("API key matrix: %d routes × %d principals", len(rows), len(principals))
}

// TestOtherCompanyIs404 proves that user A reaching B's invoice, company,
// keys, members or sync run on the web gets 404, never 403 and never data.
func TestOtherCompanyIs404(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	w := s.seed(t, "tenancy", nil)
	b := s.loginAs(t, w, userA)
	cb, ib := strconv.FormatInt(w.compB.ID, 10), strconv.FormatInt(w.invB.ID, 10)
	kb := strconv.FormatInt(w.keyB.ID, 10)
	for _, c := range []struct{ method, path string }{
		{"GET", "/invoices/" + ib}, {"GET", "/invoices/" + ib + "/zip"}, {"GET", "/invoices/" + ib + "/xml"},
		{"GET", "/invoices/" + ib + "/pdf"}, {"GET", "/companies/" + cb}, {"GET", "/companies/" + cb + "/keys"},
		{"GET", "/companies/" + cb + "/delete"}, {"GET", "/companies/" + cb + "/sync/status"},
		{"POST", "/companies/" + cb + "/sync"}, {"POST", "/companies/" + cb + "/keys"},
		{"POST", "/companies/" + cb + "/keys/" + kb + "/revoke"}, {"POST", "/companies/" + cb + "/delete"},
		{"POST", "/companies/" + cb + "/members"}, {"GET", "/export?format=csv&company=" + cb},
		// Tenancy: B's company's invitations, join requests, members, consent;
		// an invitation addressed to someone else.
		{"POST", "/companies/" + cb + "/leave"}, {"POST", "/companies/" + cb + "/consent"},
		{"POST", fmt.Sprintf("/companies/%s/members/%d/role", cb, w.userB.ID)},
		{"POST", fmt.Sprintf("/companies/%s/members/%d/handover", cb, w.userB.ID)},
		{"POST", fmt.Sprintf("/companies/%s/members/%d/remove", cb, w.userB.ID)},
		{"POST", fmt.Sprintf("/companies/%s/invitations/%d/revoke", cb, w.inviteB.ID)},
		{"POST", fmt.Sprintf("/companies/%s/join-requests/%d/accept", cb, w.joinB.ID)},
		{"POST", fmt.Sprintf("/companies/%s/join-requests/%d/decline", cb, w.joinB.ID)},
		{"POST", fmt.Sprintf("/invitations/%d/accept", w.inviteB.ID)},
		{"POST", fmt.Sprintf("/invitations/%d/decline", w.inviteB.ID)},
		// A's own company, with another company's invitation and join request ids.
		{"POST", fmt.Sprintf("/companies/%d/invitations/%d/revoke", w.compA.ID, w.inviteB.ID)},
		{"POST", fmt.Sprintf("/companies/%d/join-requests/%d/accept", w.compA.ID, w.joinB.ID)},
	} {
		r := b.request(c.method, c.path, url.Values{"confirm": {w.compB.CIF}, "name": {"x"}, "scope": {"write"}})
		require.Equal(t, http.StatusNotFound, r.Status, "%s %s: %s", c.method, c.path, snippet(r.Body))
		require.NotContains(t, r.Body, w.compB.Name)
		require.NotContains(t, r.Body, w.invB.ANAFID)
	}
	// Nothing changed: B's key still works, B's company still exists, its
	// invitation and join request are still pending, B still owns it.
	invs, err := s.st.PendingInvitationsForCompany(t.Context(), w.compB.ID, time.Now())
	require.NoError(t, err)
	require.Len(t, invs, 1)
	joins, err := s.st.PendingJoinRequestsForCompany(t.Context(), w.compB.ID)
	require.NoError(t, err)
	require.Len(t, joins, 1)
	role, err := s.st.MembershipRole(t.Context(), w.compB.ID, w.userB.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleOwner, role)
	require.Equal(t, http.StatusOK, s.apiReq(t, "GET", "/api/v1/invoices", w.keyBRead, nil).Status)
	_, err = s.st.CompanyByID(t.Context(), w.compB.ID)
	require.NoError(t, err)
}

// stateChanging lists every state-changing web route as a path in w.
func stateChanging(w *world) []string {
	var out []string
	for _, m := range matrix {
		if m.route.method == http.MethodPost && !strings.HasPrefix(m.route.pattern, "/api/") {
			out = append(out, m.route.path(w))
		}
	}
	return out
}

// TestCSRF proves that every state-changing web route refuses a
// cross-origin request (403, nothing done) whether the browser says so with
// Sec-Fetch-Site or only with Origin, and accepts the same request from
// the same origin.
func TestCSRF(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	w := s.seed(t, "csrf", nil)
	b := s.loginAs(t, w, userA)
	for _, p := range stateChanging(w) {
		for _, hdr := range [][]string{
			{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"},
			{"Origin", "http://evil.example", "Sec-Fetch-Site", ""},
			{"Origin", "", "Sec-Fetch-Site", "cross-site"},
			{"Origin", "null", "Sec-Fetch-Site", "same-site"},
		} {
			r := b.post(p, url.Values{"name": {"hijacked"}, "scope": {"write"}, "confirm": {w.compA.CIF}}, hdr...)
			require.Equal(t, http.StatusForbidden, r.Status, "POST %s with %v", p, hdr)
		}
	}
	// Nothing happened: A is still logged in, the company and keys live.
	require.Equal(t, http.StatusOK, b.get("/").Status)
	_, err := s.st.CompanyByID(t.Context(), w.compA.ID)
	require.NoError(t, err)
	keys, err := s.st.APIKeys(t.Context(), w.compA.ID)
	require.NoError(t, err)
	require.Len(t, keys, 3, "no key made or revoked")
	// Same-origin requests pass the check (the answer is the handler's).
	for _, p := range stateChanging(w) {
		if p == "/logout" || strings.HasSuffix(p, "/delete") || strings.HasSuffix(p, "/impersonate") {
			continue
		}
		r := b.post(p, url.Values{})
		require.NotEqual(t, http.StatusForbidden, r.Status, "same-origin POST %s", p)
	}
}

// pages is a sample of every kind of answer: pages, redirects, 404s,
// static files, API JSON, API errors, the docs page.
func pages(w *world) []string {
	return []string{"/login", "/register", "/", "/companies", "/invoices/" + strconv.FormatInt(w.invA.ID, 10),
		"/nope", "/static/app.css", "/static/app.js", "/admin/users", "/api/v1/health", "/api/v1/invoices",
		"/api/v1/nope", "/api/docs", "/api/v1/openapi.json", "/healthz", "/readyz"}
}

// TestSecurityHeaders checks the headers of every kind of answer, logged
// in and not: CSP without unsafe-inline (frame-ancestors 'none'),
// X-Content-Type-Options, X-Frame-Options, Referrer-Policy,
// Permissions-Policy; no Server or X-Powered-By; HSTS only in production.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, s *stack, production bool) {
		w := s.seed(t, "headers", nil)
		for _, b := range []*browser{s.browser(t), s.loginAs(t, w, userA)} {
			for _, p := range pages(w) {
				r := b.get(p)
				h := r.Header
				csp := h.Get("Content-Security-Policy")
				require.Contains(t, csp, "default-src 'self'", p)
				require.Contains(t, csp, "frame-ancestors 'none'", p)
				require.NotContains(t, csp, "unsafe-inline", p)
				require.NotContains(t, csp, "unsafe-eval", p)
				require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), p)
				require.Equal(t, "DENY", h.Get("X-Frame-Options"), p)
				require.NotEmpty(t, h.Get("Referrer-Policy"), p)
				require.NotEmpty(t, h.Get("Permissions-Policy"), p)
				require.Empty(t, h.Get("Server"), p)
				require.Empty(t, h.Get("X-Powered-By"), p)
				if production {
					require.Contains(t, h.Get("Strict-Transport-Security"), "max-age=", p)
				} else {
					require.Empty(t, h.Get("Strict-Transport-Security"), p)
				}
				requireNoLeak(t, p, r.Body)
				if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
					require.NotRegexp(t, `(?i)<script(?:\s[^>]*)?>\s*[^<\s]`, r.Body, "%s: inline script", p)
					require.NotRegexp(t, `(?i)\son[a-z]+\s*=`, r.Body, "%s: inline event handler", p)
					require.NotRegexp(t, `(?i)\sstyle\s*=`, r.Body, "%s: inline style", p)
				}
			}
		}
	}
	t.Run("Development", func(t *testing.T) {
		t.Parallel()
		check(t, startStack(t, testDialect(), nil), false)
	})
	t.Run("Production", func(t *testing.T) {
		t.Parallel()
		check(t, startStack(t, testDialect(), productionEnv(t)), true)
	})
}

// productionEnv is the environment of a production start on SQLite.
func productionEnv(t *testing.T) map[string]string {
	return map[string]string{
		"EFACTURA_ENV":            "production",
		"EFACTURA_BASE_URL":       "https://gw.example",
		"EFACTURA_SECRET_KEY":     "pR7xK2mQ9vL4nT8wZ1cF6hJ3bY5gD0sA",
		"EFACTURA_ENCRYPTION_KEY": config.NewEncryptionKey("k1"),
		"DATABASE_URL":            "sqlite:" + t.TempDir() + "/prod.db",
		"EFACTURA_SHUTDOWN_DRAIN": "0s", // the test stops it: no load balancer to drain
	}
}

// TestSessions proves the session properties: a new token on login,
// HttpOnly and SameSite=Lax cookies (Secure in production), a stored
// expiry of the 2 h idle timeout (the 12 h absolute one bounds it), the
// session gone after logout, and every other session of a user ended by a
// password change.
func TestSessions(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	w := s.seed(t, "sessions", nil)

	b := s.browser(t)
	r := b.get("/login")
	before := b.sessionCookie()
	// The login page may or may not start a session; either way the
	// logged-in token is new.
	raw := loginRaw(t, b, w.userA.Email)
	after := b.sessionCookie()
	require.NotEmpty(t, after)
	require.NotEqual(t, before, after, "token renewed on login")
	require.Contains(t, raw, "HttpOnly")
	require.Contains(t, raw, "SameSite=Lax")
	require.NotContains(t, raw, "Secure", "no Secure flag over plain HTTP in development")
	_ = r

	var expiry string
	sum := sha256.Sum256([]byte(after))
	require.NoError(t, s.st.DB().QueryRowContext(t.Context(), `SELECT expiry FROM sessions WHERE token_hash = $1`, sum[:]).Scan(&expiry))
	exp := parseTime(t, expiry)
	require.WithinDuration(t, time.Now().Add(2*time.Hour), exp, 2*time.Minute, "idle expiry 2 h")
	require.True(t, exp.Before(time.Now().Add(12*time.Hour)), "absolute expiry 12 h bounds it")

	// Logout destroys the session: replaying the old cookie is logged out.
	old := after
	require.Equal(t, "/login", b.post("/logout", nil).Location)
	replay := s.browser(t)
	setCookie(t, replay, old)
	require.True(t, strings.HasPrefix(replay.get("/companies").Location, "/login"), "old session is gone")
	require.NoError(t, s.st.DB().QueryRowContext(t.Context(), `SELECT count(*) FROM sessions WHERE token_hash = $1`, sum[:]).Scan(new(int)))

	// A password change ends every other session of the user.
	one, two := s.browser(t), s.browser(t)
	one.login(w.userA.Email, "/")
	two.login(w.userA.Email, "/")
	r = one.post("/account/password", url.Values{"current": {password}, "password": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}})
	require.Equal(t, http.StatusSeeOther, r.Status, snippet(r.Body))
	require.Equal(t, http.StatusOK, one.get("/companies").Status, "this session stays")
	require.True(t, strings.HasPrefix(two.get("/companies").Location, "/login"), "the other session is ended")

	t.Run("SecureInProduction", func(t *testing.T) {
		t.Parallel()
		p := startStack(t, testDialect(), productionEnv(t))
		pw := p.seed(t, "prod-sessions", nil)
		raw := loginRaw(t, p.browser(t), pw.userA.Email)
		require.Contains(t, raw, "Secure")
		require.Contains(t, raw, "HttpOnly")
		require.Contains(t, raw, "SameSite=Lax")
	})
}

// loginRaw logs in and returns the raw Set-Cookie of the session.
func loginRaw(t *testing.T, b *browser, email string) string {
	t.Helper()
	r := b.post("/login", url.Values{"email": {email}, "password": {password}})
	require.Equal(t, http.StatusSeeOther, r.Status, snippet(r.Body))
	for _, c := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "efactura_session=") {
			// The jar ignores Secure cookies over http; keep the value anyway.
			setCookie(t, b, strings.TrimPrefix(strings.SplitN(c, ";", 2)[0], "efactura_session="))
			return c
		}
	}
	t.Fatal("no session cookie set on login")
	return ""
}

func setCookie(t *testing.T, b *browser, value string) {
	t.Helper()
	u, err := url.Parse(b.base)
	require.NoError(t, err)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "efactura_session", Value: value, Path: "/"}})
}

func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999"} {
		if v, err := time.Parse(layout, s); err == nil {
			return v
		}
	}
	t.Fatalf("unreadable time %q", s)
	return time.Time{}
}

// TestOpenRedirect proves that next only ever leads inside the site, on
// the login form and on the login page of a logged-in user.
func TestOpenRedirect(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	w := s.seed(t, "redirect", nil)
	evil := []string{"//evil.example", "https://evil.example", "http://evil.example/x", `/\evil.example`, "\\\\evil.example",
		"/%2F%2Fevil.example", "javascript:alert(1)", " //evil.example", "//evil.example@gw", "https:evil.example",
		"/\t/evil.example", "data:text/html,x", "%2F%2Fevil.example", "/.//evil.example"}
	isInside := func(loc string) bool {
		u, err := url.Parse(loc)
		return err == nil && u.Scheme == "" && u.Host == "" && strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") && !strings.HasPrefix(loc, "/\\")
	}
	for _, next := range evil {
		b := s.browser(t)
		r := b.post("/login", url.Values{"email": {w.userA.Email}, "password": {password}, "next": {next}})
		require.Equal(t, http.StatusSeeOther, r.Status)
		require.True(t, isInside(r.Location), "next=%q led to %q", next, r.Location)
		r = b.get("/login?next=" + url.QueryEscape(next))
		require.Equal(t, http.StatusSeeOther, r.Status)
		require.True(t, isInside(r.Location), "logged in, next=%q led to %q", next, r.Location)
	}
	// A local next is honoured.
	b := s.browser(t)
	r := b.post("/login", url.Values{"email": {w.userA.Email}, "password": {password}, "next": {"/companies"}})
	require.Equal(t, "/companies", r.Location)
}

// TestLoginThrottling proves the same answer for an unknown e-mail and a
// wrong password, and the throttle with its default limits (PRODUCT.md §9):
// 10 failures per (account, address) make that address wait, even with
// the right password (429 with a Retry-After of at most 15 minutes); the
// owner logging in from their own address is not locked out; a throttled
// answer is the same whether the account exists; 50 failures per address
// over any accounts; 200 per account from any address. Client addresses
// come through X-Forwarded-For from a trusted proxy.
func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), map[string]string{"EFACTURA_TRUSTED_PROXIES": "127.0.0.1/32"})
	w := s.seed(t, "throttle", nil)
	b := s.browser(t)
	login := func(email, pw, from string) response {
		t.Helper()
		return b.post("/login", url.Values{"email": {email}, "password": {pw}}, "X-Forwarded-For", from)
	}
	nobody := "nobody-" + w.tag + "@example.test"
	unknown := login(nobody, "whatever it is", "192.0.2.1")
	wrong := login(w.userB.Email, "whatever it is", "192.0.2.1")
	require.Equal(t, http.StatusUnauthorized, unknown.Status)
	require.Equal(t, unknown.Status, wrong.Status)
	norm := func(body, email string) string { return strings.ReplaceAll(body, email, "EMAIL") }
	require.Equal(t, norm(unknown.Body, nobody), norm(wrong.Body, w.userB.Email),
		"unknown e-mail and wrong password give the same page")

	// A stranger fails 10 times on A's account from their address.
	const stranger = "198.51.100.1"
	for range 10 {
		require.Equal(t, http.StatusUnauthorized, login(w.userA.Email, "nope nope nope", stranger).Status)
	}
	throttled := login(w.userA.Email, password, stranger)
	require.Equal(t, http.StatusTooManyRequests, throttled.Status, "throttled even with the right password")
	retry, err := strconv.Atoi(throttled.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.Positive(t, retry)
	require.LessOrEqual(t, retry, 15*60, "a wait, never a permanent lock")

	// The owner, from their own address, is not locked out.
	owner := s.browser(t)
	r := owner.post("/login", url.Values{"email": {w.userA.Email}, "password": {password}}, "X-Forwarded-For", "203.0.113.5")
	require.Equal(t, http.StatusSeeOther, r.Status, "a stranger cannot lock out the owner's address")

	// The same throttled answer for an account that does not exist.
	for range 10 {
		require.Equal(t, http.StatusUnauthorized, login(nobody, "nope nope nope", "198.51.100.2").Status)
	}
	ghost := login(nobody, password, "198.51.100.2")
	require.Equal(t, http.StatusTooManyRequests, ghost.Status)
	require.NotEmpty(t, ghost.Header.Get("Retry-After"))
	require.Equal(t, norm(throttled.Body, w.userA.Email), norm(ghost.Body, nobody),
		"a throttled login answers the same whether the account exists")

	// 50 failures from one address over any accounts.
	const sprayer = "198.51.100.3"
	for i := range 50 {
		require.Equal(t, http.StatusUnauthorized, login(fmt.Sprintf("spray%d-%s@example.test", i, w.tag), "nope nope nope", sprayer).Status, i)
	}
	require.Equal(t, http.StatusTooManyRequests, login("one-more-"+w.tag+"@example.test", "nope nope nope", sprayer).Status, "per address")
	require.Equal(t, http.StatusTooManyRequests, login(w.userB.Email, password, sprayer).Status, "per address, any account")

	// 200 failures on B's account (the wrong password above and 199 from
	// 20 addresses, 10 each at most): B waits everywhere.
	for i := range 199 {
		require.Equal(t, http.StatusUnauthorized, login(w.userB.Email, "nope nope nope", fmt.Sprintf("198.18.0.%d", i/10+1)).Status, i)
	}
	r = owner.post("/login", url.Values{"email": {w.userB.Email}, "password": {password}}, "X-Forwarded-For", "203.0.113.6")
	require.Equal(t, http.StatusTooManyRequests, r.Status, "per account from any address")
	retry, err = strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.LessOrEqual(t, retry, 15*60)
}

// TestSQLInjection sends hostile values in every filter and sort parameter
// of the dashboard and the web export: never an error or a leak, never
// another company's rows, and the data is unchanged afterwards.
func TestSQLInjection(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	w := s.seed(t, "sqli", nil)
	b := s.loginAs(t, w, userA)
	payloads := []string{`' OR '1'='1`, `1; DROP TABLE invoices; --`, `" OR ""="`, `%' OR company_id <> 0 OR '%'='`,
		`' UNION SELECT token_hash, data, expiry FROM sessions --`, `issue_date; DELETE FROM users`, `(SELECT 1)`, `\`, `'`,
		"\x00", "\xff", `1) OR (1=1`, `asc, (SELECT 1)`, strings.Repeat("'", 300)}
	params := []string{"q", "partner", "from", "to", "sort", "order", "tab", "page", "type", "company"}
	for _, path := range []string{"/", "/export"} {
		for _, p := range params {
			for _, v := range payloads {
				q := url.Values{p: {v}}
				if path == "/export" {
					q.Set("format", "csv")
				}
				r := b.get(path + "?" + q.Encode())
				require.Less(t, r.Status, 500, "%s %s=%q", path, p, v)
				require.False(t, driverRE.MatchString(r.Body), "%s %s=%q: %q", path, p, v, driverRE.FindString(r.Body))
				require.NotContains(t, r.Body, w.invB.ANAFID, "another company's rows")
				require.NotContains(t, r.Body, w.compB.Name)
			}
		}
	}
	var users, invoices int
	require.NoError(t, s.st.DB().QueryRowContext(t.Context(), `SELECT count(*) FROM users`).Scan(&users))
	require.NoError(t, s.st.DB().QueryRowContext(t.Context(), `SELECT count(*) FROM invoices`).Scan(&invoices))
	require.Equal(t, 9, users) // the world's users (seed), none added
	require.Equal(t, 2, invoices)
}

// TestBodies proves 413 for an oversize body and 415 for a wrong content
// type on the web and the API, and field-level 400 messages in the API.
func TestBodies(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	w := s.seed(t, "bodies", nil)
	b := s.loginAs(t, w, userA)
	big := bytes.Repeat([]byte("a"), 12<<20)

	req := func(path, ctype string, body []byte) *http.Request {
		r, err := http.NewRequest(http.MethodPost, s.url+path, bytes.NewReader(body))
		require.NoError(t, err)
		r.Header.Set("Content-Type", ctype)
		r.Header.Set("Origin", s.url)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		return r
	}
	r := b.do(req("/companies", "application/x-www-form-urlencoded", append([]byte("name="), big...)))
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	r = b.do(req("/companies", "application/json", []byte(`{"cif":"x"}`)))
	require.Equal(t, http.StatusUnsupportedMediaType, r.Status)
	r = b.do(req("/companies", "text/plain", []byte(`cif=x`)))
	require.Equal(t, http.StatusUnsupportedMediaType, r.Status)

	r = s.apiReq(t, "POST", "/api/v1/sync", w.keyAWrite, bytes.NewReader(big), "Content-Type", "application/json")
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	require.Contains(t, r.Body, "PAYLOAD_TOO_LARGE")
	r = s.apiReq(t, "POST", "/api/v1/sync", w.keyAWrite, strings.NewReader("<x/>"), "Content-Type", "application/xml")
	require.Equal(t, http.StatusUnsupportedMediaType, r.Status)
	require.Contains(t, r.Body, "UNSUPPORTED_MEDIA_TYPE")

	for param, field := range map[string]string{"page=0": "page", "per_page=x": "per_page", "date_from=2026-02-30": "date_from",
		"type=all": "type", "sort_by=id": "sort_by", "sort_order=up": "sort_order", "q=" + url.QueryEscape("a\x01"): "q"} {
		r := s.apiReq(t, "GET", "/api/v1/invoices?"+param, w.keyARead, nil)
		require.Equal(t, http.StatusBadRequest, r.Status, param)
		require.Contains(t, r.Body, field, "%s: the message names the field", param)
	}
}

// TestNoSecretsInLogs runs a flow through every surface (register, login
// failures and success, password change, API calls with keys in both
// headers, an OAuth callback with a code and state) and greps every log
// line for the passwords, keys, codes and tokens used.
func TestNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	w := s.seed(t, "logs", nil)
	const newPassword = "Another-Secret-Passphrase-42"
	const oauthCode = "OAUTHCODE-9f8e7d6c5b4a"
	const oauthState = "OAUTHSTATE-1a2b3c4d5e6f"
	b := s.browser(t)
	b.post("/register", url.Values{"email": {"new-" + w.tag + "@example.test"}, "password": {newPassword}, "confirm": {newPassword}})
	b.post("/login", url.Values{"email": {w.userA.Email}, "password": {"Wrong-Secret-Guess-77"}})
	b.login(w.userA.Email, "/")
	b.post("/account/password", url.Values{"current": {password}, "password": {newPassword}, "confirm": {newPassword}})
	b.get("/anaf/callback?code=" + oauthCode + "&state=" + oauthState)
	b.post("/companies/"+strconv.FormatInt(w.compA.ID, 10)+"/keys", url.Values{"name": {"erp"}, "scope": {"read"}})
	s.apiReq(t, "GET", "/api/v1/invoices", w.keyARead, nil)
	s.apiReq(t, "GET", "/api/v1/invoices?q="+w.keyAWrite, "", nil, "Authorization", "Bearer "+w.keyAWrite)
	s.apiReq(t, "GET", "/api/v1/invoices", w.revokedKey, nil)
	s.apiReq(t, "GET", "/api/v1/health", "efk_"+strings.Repeat("Z", 43), nil)

	logs := s.logs.String()
	require.NotEmpty(t, logs)
	lines := strings.Count(logs, "\n")
	require.Greater(t, lines, 10, "the flow was logged")
	for _, secret := range []string{password, newPassword, "Wrong-Secret-Guess-77", oauthCode, oauthState,
		w.keyARead, w.keyAWrite, w.revokedKey, w.keyBRead, "efk_" + strings.Repeat("Z", 43),
		w.keyARead[12:], w.keyAWrite[12:]} {
		require.NotContains(t, logs, secret, "a secret reached the log")
	}
	// Session tokens neither.
	require.NotContains(t, logs, b.sessionCookie())
	t.Logf("%d log lines checked", lines)
	_ = fmt.Sprint
}
