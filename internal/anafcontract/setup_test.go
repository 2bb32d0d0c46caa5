package anafcontract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/invoice"
)

// The project's generated invoices (invoicegen.Generate(12, 1)). Parties:
//
//	gen-01 ALF-0001  12345674 → 31415920     gen-07 ALF-0002  12345674 → 31415920
//	gen-02 EPS-0001  27182818 → 98765438     gen-08 EPS-0002  27182818 → 12345674
//	gen-03 GMC-0001  31415920 → 98765438     gen-09 GMC-0002  31415920 → 44556670
//	gen-04 BTR-0001  98765438 → 31415920     gen-10 BTR-0002  98765438 → 31415920 (CreditNote)
//	gen-05 DLG-0001  18547290 → 27182818 (CN) gen-11 DLG-0002 18547290 → 12345674
//	gen-06 ZTA-0001  44556670 → 27182818     gen-12 ZTA-0002  44556670 → 31415920
const (
	invoicesDir = "../../testdata/invoices"

	cifAlfa  = "12345674" // ALFA SOFT SRL: 4 messages (2 sent, 2 received)
	cifGamma = "31415920" // GAMMA CONSTRUCȚII SA: 7 messages (2 sent, 5 received)
	cifBeta  = "98765438" // BETA TRADING SRL
	cifDelta = "18547290" // DELTA LOGISTICĂ SRL

	clientID     = "contract-client-0123456789abcdef"
	clientSecret = "contract-s3cret"
	redirectURI  = "http://localhost:9999/anaf/callback"
)

// clock is a settable clock shared by the simulator (Options.Now) and the
// client (Config.Now).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// start is 2026-01-15 10:00 Europe/Bucharest, on an exact minute (the
// simulator truncates data_creare to the minute).
func newClock() *clock {
	return &clock{t: time.Date(2026, 1, 15, 10, 0, 0, 0, anaf.Bucharest())}
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// faultKey carries the X-Sim-Fault value of one call in its context.
type faultKey struct{}

// withFault returns a context whose calls carry "X-Sim-Fault: kind".
func withFault(ctx context.Context, kind string) context.Context {
	return context.WithValue(ctx, faultKey{}, kind)
}

// faultTransport adds the X-Sim-Fault header named in the request's context
// (the client derives every request's context from the caller's).
type faultTransport struct{ base http.RoundTripper }

func (f faultTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if kind, _ := r.Context().Value(faultKey{}).(string); kind != "" {
		r = r.Clone(r.Context())
		r.Header.Set(anafsim.FaultHeader, kind)
	}
	return f.base.RoundTrip(r)
}

// bundle is one simulator on httptest, a client pointed at it and an
// access token obtained through the client's own OAuth calls.
type bundle struct {
	sim    *anafsim.Server
	srv    *httptest.Server
	clock  *clock
	client *anaf.Client
	cfg    anaf.Config
	tok    *anaf.Token
	token  string // tok.AccessToken
	files  map[string][]byte
}

// setupOpts tunes setup.
type setupOpts struct {
	sim      func(*anafsim.Options)
	client   func(*anaf.Config)
	noFiles  bool
	noLogin  bool
	noAuto   bool // consent page instead of auto-approve
	loadMore func(t *testing.T, s *anafsim.Server)
}

// setup starts a simulator (auto-approve, client id/secret, the gen-*.xml
// invoices loaded, the shared clock), a client with the fault transport,
// and logs in (AuthCodeURL → authorize → Exchange).
func setup(t *testing.T, mods ...func(*setupOpts)) *bundle {
	t.Helper()
	var so setupOpts
	for _, m := range mods {
		m(&so)
	}
	c := newClock()
	opts := anafsim.Options{
		ClientID: clientID, ClientSecret: clientSecret, AutoApprove: !so.noAuto, Now: c.Now,
	}
	if so.sim != nil {
		so.sim(&opts)
	}
	sim, err := anafsim.New(opts)
	require.NoError(t, err)
	b := &bundle{sim: sim, clock: c, files: map[string][]byte{}}
	if !so.noFiles {
		b.files = genFiles(t)
		var fs []fileT
		for name, data := range b.files {
			fs = append(fs, fileT{name, data})
		}
		sort.Slice(fs, func(i, j int) bool { return fs[i].name < fs[j].name })
		for _, f := range fs {
			require.NoError(t, sim.LoadFile(f.name, f.data))
		}
	}
	if so.loadMore != nil {
		so.loadMore(t, sim)
	}
	b.srv = httptest.NewServer(sim.Handler())
	t.Cleanup(b.srv.Close)
	b.cfg = anaf.Config{
		BaseURL: b.srv.URL, PublicBaseURL: b.srv.URL, OAuthURL: b.srv.URL, Env: anaf.EnvTest,
		ClientID: clientID, ClientSecret: clientSecret, RedirectURI: redirectURI,
		HTTPClient: &http.Client{Transport: faultTransport{http.DefaultTransport}, CheckRedirect: noFollow},
		Timeout:    10 * time.Second, Now: c.Now,
	}
	if so.client != nil {
		so.client(&b.cfg)
	}
	b.client = anaf.New(b.cfg)
	if !so.noLogin && !so.noAuto {
		b.tok = b.login(t)
		b.token = b.tok.AccessToken
	}
	return b
}

type fileT struct {
	name string
	data []byte
}

func noFollow(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// genFiles reads the repository's generated invoices.
func genFiles(t *testing.T) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(invoicesDir, "gen-*.xml"))
	require.NoError(t, err)
	require.Len(t, names, 12, "testdata/invoices/gen-*.xml")
	out := map[string][]byte{}
	for _, n := range names {
		data, err := os.ReadFile(n)
		require.NoError(t, err)
		out[filepath.Base(n)] = data
	}
	return out
}

// file returns the bytes of a gen-*.xml file by its prefix ("gen-01").
func (b *bundle) file(t *testing.T, prefix string) []byte {
	t.Helper()
	if len(b.files) == 0 {
		b.files = genFiles(t)
	}
	for name, data := range b.files {
		if strings.HasPrefix(name, prefix) {
			return data
		}
	}
	t.Fatalf("no testdata file %s*", prefix)
	return nil
}

var renumberSeq atomic.Int64

// fresh returns the gen file with its invoice number (BT-1) replaced by a
// unique one, so the simulator does not see it as a duplicate.
func (b *bundle) fresh(t *testing.T, prefix string) []byte {
	t.Helper()
	data := b.file(t, prefix)
	inv, err := invoice.Parse(data)
	require.NoError(t, err)
	n := fmt.Sprintf("CT-%s-%04d", strings.TrimPrefix(prefix, "gen-"), renumberSeq.Add(1))
	out := strings.Replace(string(data), "<cbc:ID>"+inv.Number+"</cbc:ID>", "<cbc:ID>"+n+"</cbc:ID>", 1)
	require.NotEqual(t, string(data), out)
	return []byte(out)
}

// authorize follows AuthCodeURL with auto-approve and returns the code.
func (b *bundle) authorize(t *testing.T, state string) string {
	t.Helper()
	resp, err := b.cfg.HTTPClient.Get(b.client.AuthCodeURL(state))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, redirectURI, loc.Scheme+"://"+loc.Host+loc.Path)
	require.Equal(t, state, loc.Query().Get("state"))
	code := loc.Query().Get("code")
	require.NotEmpty(t, code)
	return code
}

func (b *bundle) login(t *testing.T) *anaf.Token {
	t.Helper()
	tok, err := b.client.Exchange(context.Background(), b.authorize(t, "st-"+t.Name()))
	require.NoError(t, err)
	require.NotEmpty(t, tok.AccessToken)
	require.NotEmpty(t, tok.RefreshToken)
	return tok
}

// calls is the simulator's call counter of one endpoint (its stats name).
func (b *bundle) calls(endpoint string) int { return b.sim.Stats().Calls[endpoint] }

// postFault queues a fault through the HTTP control API, POST /__sim/faults.
func (b *bundle) postFault(t *testing.T, endpoint, kind string, count int) {
	t.Helper()
	body := fmt.Sprintf(`{"endpoint":%q,"kind":%q,"count":%d}`, endpoint, kind, count)
	resp, err := http.Post(b.srv.URL+"/__sim/faults", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(msg))
}

// list returns every message of cif over the last 59 days (paginated list).
func (b *bundle) list(t *testing.T, cif string, opts anaf.ListOptions) []anaf.Message {
	t.Helper()
	now := b.clock.Now()
	msgs, err := b.client.ListMessagesWithOptions(context.Background(), b.token, cif, now.Add(-59*24*time.Hour), now, opts)
	require.NoError(t, err)
	return msgs
}

// anyMessage returns one message of cif with the given tip.
func (b *bundle) anyMessage(t *testing.T, cif, tip string) anaf.Message {
	t.Helper()
	for _, m := range b.list(t, cif, anaf.ListOptions{}) {
		if m.Type == tip {
			return m
		}
	}
	t.Fatalf("no %s message for %s", tip, cif)
	return anaf.Message{}
}

// requireANAFError checks err: errors.Is the sentinel, an *anaf.Error of
// kind, and ANAF's exact text (when text != "") in Error.Text.
func requireANAFError(t *testing.T, err error, sentinel error, kind anaf.ErrorKind, text string) *anaf.Error {
	t.Helper()
	require.Error(t, err)
	if sentinel != nil {
		require.ErrorIs(t, err, sentinel, "%v", err)
	}
	var e *anaf.Error
	require.True(t, errors.As(err, &e), "%T %v", err, err)
	require.Equal(t, kind, e.Kind, "%v", err)
	if text != "" {
		require.Equal(t, text, e.Text, "%v", err)
		require.Contains(t, err.Error(), text, "ANAF's text is shown in Error()")
	}
	return e
}

// raspBody is a RASP buyer message about the invoice uploaded as index.
func raspBody(index, message string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<header xmlns="mfp:anaf:dgti:spv:reqMesaj:v1" index_incarcare="` + index + `" message="` + message + `"/>`)
}

// ids returns the ids of msgs and fails on a duplicate.
func ids(t *testing.T, msgs []anaf.Message) map[string]anaf.Message {
	t.Helper()
	out := map[string]anaf.Message{}
	for _, m := range msgs {
		_, dup := out[m.ID]
		require.False(t, dup, "duplicate message %s %s", m.ID, m.Type)
		out[m.ID] = m
	}
	return out
}
