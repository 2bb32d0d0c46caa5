package anafsync_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
)

const (
	testClientID     = "anafsync-test-client"
	testClientSecret = "anafsync-test-secret"
	testRedirect     = "http://127.0.0.1:9/anaf/callback"
	testSeed         = 20260115
)

// fastRetry keeps transient-fault tests in milliseconds.
var fastRetry = anaf.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, Jitter: -1}

// clock is a settable clock shared by the simulator, the client and the engine.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// options shape one test bundle.
type options struct {
	invoices int                             // invoicegen documents loaded into the simulator
	sim      func(*anafsim.Options)          // adjusts the simulator
	wrap     func(http.Handler) http.Handler // wraps the simulator's handler (test-only faults)
	engine   func(*anafsync.Engine)          // adjusts the engine
	noLogin  bool                            // do not connect the user to ANAF
	logger   func(testing.TB) *slog.Logger   // default: discard
	files    func(n int) []invoicegen.File   // default: invoicegen.Generate(n, testSeed)
	clock    func() time.Time                // start time; default 2026-01-15 10:00 UTC
	noQuotas bool                            // no quotas in the simulator nor in the client's accounting (benchmarks)
}

type testBundle struct {
	st     *store.Store
	sim    *anafsim.Server
	srv    *httptest.Server
	client *anaf.Client
	keys   *secretbox.Keyring
	clock  *clock
	engine *anafsync.Engine
	userID int64
	access string // access token obtained at setup
	files  []invoicegen.File
}

// setup starts a simulator on httptest loaded with opts.invoices generated
// documents, creates an approved user connected to it (OAuth code flow
// against the auto-approving simulator, as the demo does) and an engine on st.
// The clock is advanced 5 minutes past the load so every message is inside
// the sync window (which ends a minute before now).
func setup(t testing.TB, st *store.Store, opts options) *testBundle {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	if opts.clock != nil {
		start = opts.clock()
	}
	b := &testBundle{st: st, clock: &clock{t: start}}
	logger := slog.New(slog.DiscardHandler)
	if opts.logger != nil {
		logger = opts.logger(t)
	}
	simOpts := anafsim.Options{ClientID: testClientID, ClientSecret: testClientSecret, AutoApprove: true,
		Now: b.clock.Now, Logger: logger, NoQuotas: opts.noQuotas}
	for _, c := range invoicegen.Companies {
		simOpts.KnownCIFs = append(simOpts.KnownCIFs, c.CIF)
	}
	if opts.sim != nil {
		opts.sim(&simOpts)
	}
	sim, err := anafsim.New(simOpts)
	require.NoError(t, err)
	b.sim = sim
	if opts.invoices > 0 {
		if opts.files != nil {
			b.files = opts.files(opts.invoices)
		} else {
			b.files = invoicegen.Generate(opts.invoices, testSeed)
		}
		for _, f := range b.files {
			require.NoError(t, sim.LoadFile(f.Name, f.Data))
		}
	}
	h := sim.Handler()
	if opts.wrap != nil {
		h = opts.wrap(h)
	}
	b.srv = httptest.NewServer(h)
	t.Cleanup(b.srv.Close)
	b.client = anaf.New(anaf.Config{BaseURL: b.srv.URL, OAuthURL: b.srv.URL, Env: anaf.EnvTest,
		ClientID: testClientID, ClientSecret: testClientSecret, RedirectURI: testRedirect,
		Now: b.clock.Now, Timeout: 10 * time.Second})
	if opts.noQuotas {
		b.client = anaf.New(anaf.Config{BaseURL: b.srv.URL, OAuthURL: b.srv.URL, Env: anaf.EnvTest,
			ClientID: testClientID, ClientSecret: testClientSecret, RedirectURI: testRedirect,
			Now: b.clock.Now, Timeout: 10 * time.Second, Quota: anaf.UnlimitedQuota})
	}

	spec, err := secretbox.Generate("test")
	require.NoError(t, err)
	b.keys, err = secretbox.Parse(spec)
	require.NoError(t, err)

	u, err := st.CreateUser(ctx, "owner@example.com", "not-a-hash", false, store.UserApproved)
	require.NoError(t, err)
	b.userID = u.ID
	if !opts.noLogin {
		b.access = b.connect(t, b.userID)
	}
	b.engine = &anafsync.Engine{
		Store: st, Secrets: b.keys, Logger: logger, Now: b.clock.Now, Retry: fastRetry,
		ANAFClient: func(context.Context) (*anaf.Client, error) { return b.client, nil },
	}
	if opts.engine != nil {
		opts.engine(b.engine)
	}
	b.clock.Advance(5 * time.Minute)
	return b
}

// connect runs the OAuth code flow for userID and stores the grant; it
// returns the access token.
func (b *testBundle) connect(t testing.TB, userID int64) string {
	t.Helper()
	ctx := context.Background()
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(b.client.AuthCodeURL("st4te"))
	require.NoError(t, err)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.NotEmpty(t, loc.Query().Get("code"), "simulator did not redirect with a code")
	tok, err := b.client.Exchange(ctx, loc.Query().Get("code"))
	require.NoError(t, err)
	require.NoError(t, anafsync.SaveToken(ctx, b.st, b.keys, userID, tok))
	return tok.AccessToken
}

// company creates a company for cif with the bundle's user as owner.
func (b *testBundle) company(t testing.TB, cif string) *store.Company {
	t.Helper()
	ctx := context.Background()
	c, err := b.st.CreateCompany(ctx, cif, "Companie "+cif)
	require.NoError(t, err)
	require.NoError(t, b.st.AddMembership(ctx, c.ID, b.userID, store.RoleOwner))
	return c
}

// busiestCIF returns the CIF with the most simulator messages (ties: lowest).
func (b *testBundle) busiestCIF(t testing.TB) string {
	t.Helper()
	counts := b.sim.CIFs()
	cifs := make([]string, 0, len(counts))
	for c := range counts {
		cifs = append(cifs, c)
	}
	sort.Strings(cifs)
	require.NotEmpty(t, cifs)
	best := cifs[0]
	for _, c := range cifs {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// rawMessage is one element of the simulator's list, read without the anaf client.
type rawMessage struct {
	ID         string `json:"id"`
	UploadID   string `json:"id_solicitare"`
	CIF        string `json:"cif"`
	DataCreare string `json:"data_creare"`
	Tip        string `json:"tip"`
	Detalii    string `json:"detalii"`
}

// rawList reads cif's messages of the last 60 days straight from the simulator.
func (b *testBundle) rawList(t testing.TB, cif string) []rawMessage {
	t.Helper()
	body := b.rawGet(t, "/test/FCTEL/rest/listaMesajeFactura?zile=60&cif="+cif)
	var out struct {
		Mesaje []rawMessage `json:"mesaje"`
		Eroare string       `json:"eroare"`
	}
	require.NoError(t, json.Unmarshal(body, &out), string(body))
	require.Empty(t, out.Eroare)
	return out.Mesaje
}

// rawGet calls the simulator with the setup access token.
func (b *testBundle) rawGet(t testing.TB, pathQuery string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.srv.URL+pathQuery, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+b.access)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	return body
}

// invoices returns every archived invoice of the company with ZIP and ParsedJSON.
func (b *testBundle) invoices(t testing.TB, companyID int64) map[string]*store.Invoice {
	t.Helper()
	ctx := context.Background()
	list, _, err := b.st.Invoices(ctx, store.InvoiceFilter{CompanyID: companyID})
	require.NoError(t, err)
	out := map[string]*store.Invoice{}
	for _, l := range list {
		inv, err := b.st.InvoiceByID(ctx, companyID, l.ID)
		require.NoError(t, err)
		inv.ZIP, err = b.st.InvoiceZIP(ctx, companyID, l.ID)
		require.NoError(t, err)
		require.NotContains(t, out, inv.ANAFID, "message archived twice")
		out[inv.ANAFID] = inv
	}
	return out
}

// lastRun returns the company's latest sync run.
func (b *testBundle) lastRun(t testing.TB, companyID int64) *store.SyncRun {
	t.Helper()
	r, err := b.st.LastSyncRun(context.Background(), companyID)
	require.NoError(t, err)
	return r
}

// sumDownloads is the simulator's total of successful downloads.
func sumDownloads(st anafsim.Stats) int {
	n := 0
	for _, v := range st.Downloads {
		n += v
	}
	return n
}

// setToken overwrites the user's stored grant (encrypted like the engine does).
func (b *testBundle) setToken(t testing.TB, access, refresh string, expires time.Time) {
	t.Helper()
	require.NoError(t, anafsync.SaveToken(context.Background(), b.st, b.keys, b.userID,
		&anaf.Token{AccessToken: access, RefreshToken: refresh, ExpiresAt: expires}))
}

// storedToken returns the user's token row and its decrypted pair.
func (b *testBundle) storedToken(t testing.TB) (row *store.ANAFToken, access, refresh string) {
	t.Helper()
	row, err := b.st.ANAFTokenByUser(context.Background(), b.userID)
	require.NoError(t, err)
	a, err := b.keys.Decrypt(row.AccessTokenEnc)
	require.NoError(t, err)
	r, err := b.keys.Decrypt(row.RefreshTokenEnc)
	require.NoError(t, err)
	return row, string(a), string(r)
}
