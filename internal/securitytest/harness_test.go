package securitytest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/app"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/testbuf"
)

const password = "correct horse battery staple"

// stack is the whole gateway (app.Serve: web, API, middleware, jobs) on a
// loopback port, over its own database.
type stack struct {
	url  string
	st   *store.Store
	env  *app.Env
	logs *testbuf.Buffer
}

// productionPasswordCost, as a key of startStack's extra, makes the stack
// hash passwords at the production cost (auth.DefaultArgon2Params).
const productionPasswordCost = "test:production-password-cost"

// startStack runs app.Serve in-process with the given environment on top
// of a fresh SQLite database (or PostgreSQL when dialect says so).
func startStack(t *testing.T, dialect store.Dialect, extra map[string]string) *stack {
	t.Helper()
	dataDir := t.TempDir()
	vars := map[string]string{
		"EFACTURA_DATA_DIR":               dataDir,
		"EFACTURA_ADDR":                   "127.0.0.1:0",
		"EFACTURA_LOG_LEVEL":              "debug",
		"EFACTURA_LOG_FORMAT":             "json",
		"EFACTURA_RATE_LIMIT_IP_PER_MIN":  "100000",
		"EFACTURA_RATE_LIMIT_KEY_PER_MIN": "100000",
	}
	if dialect == store.Postgres {
		_, dbURL := storetest.Fresh(t, store.Postgres)
		vars["DATABASE_URL"] = dbURL
	} else {
		vars["DATABASE_URL"] = "sqlite:" + dataDir + "/efactura.db"
	}
	// Cheap argon2id unless the test measures the production cost.
	params := auth.TestArgon2Params
	for k, v := range extra {
		if k == productionPasswordCost {
			params = auth.Argon2Params{}
			continue
		}
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	require.NoError(t, err)
	logs := &testbuf.Buffer{}
	logger := app.NewLogger(cfg, logs)
	ctx, cancel := context.WithCancel(context.Background())
	e, err := app.Open(ctx, cfg, logger, app.OpenOptions{Migrate: true, PasswordParams: params})
	require.NoError(t, err)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Serve(ctx, e, app.ServeOptions{Stdout: io.Discard, Ready: func(u string) { ready <- u }})
	}()
	var u string
	select {
	case u = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("serve did not become ready in 60s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30s")
		}
		e.Close()
	})
	if cfg.Production() {
		u = "http://" + cfg.Addr // the public https:// URL is not ours to dial
	}
	return &stack{url: u, st: e.Store, env: e, logs: logs}
}

// world is one set of users, companies and their data; every test (or
// every role of the matrix) gets its own, so state changes do not leak.
type world struct {
	tag                           string
	admin, userA, userB, pending  *store.User
	member                        *store.User // a second member of A's company
	compA, compB                  *store.Company
	invA, invB                    *store.Invoice
	keyA, keyB                    *store.APIKey
	keyARead, keyAWrite, keyBRead string // keys in clear
	revokedKey                    string
	runA, runB                    *store.SyncRun
	// Tenancy: compC is A's second company; member2 a second member of A's
	// company; A invites B to compA (inviteAccept) and to compC
	// (inviteDecline) and someone else to compA (inviteOther); B invites
	// someone to compB (inviteB); joiners ask to join compA (joinAccept,
	// joinDecline) and compB (joinB).
	compC                          *store.Company
	member2                        *store.User
	inviteAccept, inviteDecline    *store.Invitation
	inviteOther, inviteB           *store.Invitation
	joinAccept, joinDecline, joinB *store.JoinRequest
	invoiceDocA                    []byte
	uploadA, uploadB               *store.Upload // one upload of A's and of B's company
	// Webhooks (issue 19): an endpoint of A's company with one delivery.
	webhookA  *store.WebhookEndpoint
	deliveryA *store.WebhookDelivery
}

var cifCounter atomic.Int64

// nextCIF returns a fresh CIF with a valid check digit.
func nextCIF() string {
	for {
		base := fmt.Sprintf("%08d", 50_000_000+cifCounter.Add(1)*10)
		for d := 0; d <= 9; d++ {
			c := base[:7] + fmt.Sprint(d)
			if cif.ValidCheckDigit(c) {
				return c
			}
		}
	}
}

// seed creates a world; doc, when given, is A's invoice document (else a
// generated one).
func (s *stack) seed(t *testing.T, tag string, doc []byte) *world {
	t.Helper()
	ctx := context.Background()
	hash, err := auth.TestArgon2Params.Hash(password)
	require.NoError(t, err)
	w := &world{tag: tag}
	mk := func(name string, admin bool, status string) *store.User {
		u, err := s.st.CreateUser(ctx, name+"-"+tag+"@example.test", hash, admin, status)
		require.NoError(t, err)
		return u
	}
	w.admin = mk("admin", true, store.UserApproved)
	w.userA = mk("a", false, store.UserApproved)
	w.userB = mk("b", false, store.UserApproved)
	w.pending = mk("pending", false, store.UserPending)
	w.member = mk("member", false, store.UserApproved)
	w.compA, err = s.st.CreateCompany(ctx, nextCIF(), "A COMPANY "+tag+" SRL")
	require.NoError(t, err)
	w.compB, err = s.st.CreateCompany(ctx, nextCIF(), "B COMPANY "+tag+" SRL")
	require.NoError(t, err)
	require.NoError(t, s.st.AddMembership(ctx, w.compA.ID, w.userA.ID, store.RoleOwner))
	require.NoError(t, s.st.AddMembership(ctx, w.compA.ID, w.member.ID, store.RoleMember))
	require.NoError(t, s.st.AddMembership(ctx, w.compB.ID, w.userB.ID, store.RoleOwner))
	w.member2 = mk("member2", false, store.UserApproved)
	require.NoError(t, s.st.AddMembership(ctx, w.compA.ID, w.member2.ID, store.RoleMember))
	w.compC, err = s.st.CreateCompanyWithOwner(ctx, nextCIF(), "C COMPANY "+tag+" SRL", w.userA.ID)
	require.NoError(t, err)
	invite := func(c *store.Company, by *store.User, email string) *store.Invitation {
		inv := &store.Invitation{CompanyID: c.ID, Email: email, Role: store.RoleMember, InvitedBy: by.ID, ExpiresAt: time.Now().Add(time.Hour)}
		require.NoError(t, s.st.CreateInvitation(ctx, inv))
		return inv
	}
	w.inviteAccept = invite(w.compA, w.userA, w.userB.Email)
	w.inviteDecline = invite(w.compC, w.userA, w.userB.Email)
	w.inviteOther = invite(w.compA, w.userA, "other-"+tag+"@example.test")
	w.inviteB = invite(w.compB, w.userB, "friend-"+tag+"@example.test")
	join := func(c *store.Company, name string) *store.JoinRequest {
		j, err := s.st.CreateJoinRequest(ctx, c.ID, mk(name, false, store.UserApproved).ID)
		require.NoError(t, err)
		return j
	}
	w.joinAccept, w.joinDecline, w.joinB = join(w.compA, "joiner1"), join(w.compA, "joiner2"), join(w.compB, "joiner3")
	for _, c := range []*store.Company{w.compA, w.compB, w.compC} { // ANAF confirmed these CIFs
		_, err = s.st.SetCompanyVerified(ctx, c.ID, 0)
		require.NoError(t, err)
		c.Status = store.CompanyVerified
	}

	if doc == nil {
		doc = invoicegen.Generate(1, 7)[0].Data
	}
	w.invoiceDocA = doc
	w.invA = s.invoice(t, w.compA, "3"+fmt.Sprintf("%09d", cifCounter.Add(1)), doc, "")
	w.invB = s.invoice(t, w.compB, "4"+fmt.Sprintf("%09d", cifCounter.Add(1)), invoicegen.Generate(1, 8)[0].Data, "")

	w.keyARead, w.keyA = s.key(t, w.compA, w.userA, store.ScopeRead)
	w.keyAWrite, _ = s.key(t, w.compA, w.userA, store.ScopeWrite)
	w.keyBRead, w.keyB = s.key(t, w.compB, w.userB, store.ScopeRead)
	var revoked *store.APIKey
	w.revokedKey, revoked = s.key(t, w.compA, w.userA, store.ScopeWrite)
	require.NoError(t, s.st.RevokeAPIKey(ctx, w.compA.ID, revoked.ID))

	for _, c := range []struct {
		comp *store.Company
		run  **store.SyncRun
	}{{w.compA, &w.runA}, {w.compB, &w.runB}} {
		run, err := s.st.StartSyncRun(ctx, c.comp.ID)
		require.NoError(t, err)
		run.Status = store.SyncOK
		require.NoError(t, s.st.FinishSyncRun(ctx, run))
		*c.run = run
	}
	// An upload (issue 14) of each of A's and B's companies, refused locally.
	for _, c := range []struct {
		comp *store.Company
		up   **store.Upload
	}{{w.compA, &w.uploadA}, {w.compB, &w.uploadB}} {
		u := &store.Upload{CompanyID: c.comp.ID, FileName: "upload-" + c.comp.CIF + ".xml", State: store.UploadInvalid,
			SellerCIF: c.comp.CIF, InvoiceNumber: "UP-" + tag, IssueDate: "2026-01-15", Document: []byte("<Invoice/>"),
			DocSHA256: []byte("0123456789abcdef0123456789abcdef"), Errors: []store.UploadError{{ID: "BR-01", Message: "x"}}}
		require.NoError(t, s.st.CreateUpload(ctx, u))
		*c.up = u
	}
	w.webhookA, w.deliveryA = s.webhook(t, w.compA)
	return w
}

// invoice stores a received invoice message of the company with that ANAF
// id; details is ANAF's message text (default: a plain one).
func (s *stack) invoice(t *testing.T, c *store.Company, anafID string, doc []byte, details string) *store.Invoice {
	t.Helper()
	z, err := invoice.BuildArchive("5"+anafID[1:], doc, []byte(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/>`))
	require.NoError(t, err)
	if details == "" {
		details = "Factura cu id_incarcare=5" + anafID[1:] + " emisa de cif_emitent=12345674 pentru cif_beneficiar=" + c.CIF
	}
	inv := anafsync.BuildInvoice(c.ID, anaf.Message{ID: anafID, UploadID: "5" + anafID[1:], CIF: c.CIF, Type: store.TypeReceived,
		Details: details, CreatedAt: invoicegen.BaseDate, CIFEmitent: "12345674", CIFBeneficiar: c.CIF}, z)
	ok, err := s.st.InsertInvoice(context.Background(), inv)
	require.NoError(t, err)
	require.True(t, ok)
	return inv
}

// key creates an API key of the company and returns it in clear.
func (s *stack) key(t *testing.T, c *store.Company, u *store.User, scope string) (string, *store.APIKey) {
	t.Helper()
	clear, prefix, hash, err := auth.NewAPIKey()
	require.NoError(t, err)
	k := &store.APIKey{CompanyID: c.ID, UserID: u.ID, Name: "key " + scope, Prefix: prefix, Hash: hash, Scope: scope}
	require.NoError(t, s.st.CreateAPIKey(context.Background(), k))
	return clear, k
}

// browser is a cookie-keeping client that does not follow redirects and
// sends same-origin requests the way a browser would.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func (s *stack) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, base: s.url, c: &http.Client{
		Jar:           jar,
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is a fetched answer with its body read.
type response struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return response{Status: resp.StatusCode, Body: string(body), Location: resp.Header.Get("Location"), Header: resp.Header}
}

// request sends method path with a form body for POST, as a same-origin
// browser request, plus extra headers (pairs).
func (b *browser) request(method, path string, form url.Values, headers ...string) response {
	b.t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	require.NoError(b.t, err)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

func (b *browser) get(path string, headers ...string) response {
	b.t.Helper()
	return b.request(http.MethodGet, path, nil, headers...)
}

func (b *browser) post(path string, form url.Values, headers ...string) response {
	b.t.Helper()
	return b.request(http.MethodPost, path, form, headers...)
}

// login logs in with the test password and requires the expected redirect.
func (b *browser) login(email, wantLocation string) {
	b.t.Helper()
	r := b.post("/login", url.Values{"email": {email}, "password": {password}})
	require.Equal(b.t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(b.t, wantLocation, r.Location)
}

// sessionCookie returns the session cookie the browser holds, or "".
func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "efactura_session" {
			return c.Value
		}
	}
	return ""
}

// discard is a logger for helpers that need one.
var discard = slog.New(slog.DiscardHandler)

// testDialect is the database the property tests run on: SQLite, or
// PostgreSQL when EFACTURA_TEST_STORE=postgres (.ci/run runs the package a
// second time that way; the access matrix always runs on both).
func testDialect() store.Dialect {
	if os.Getenv(storetest.EnvBackend) == "postgres" {
		return store.Postgres
	}
	return store.SQLite
}
