package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestANAFTextsSayWhatHappened (issue 15 item 10), against the simulator:
// a company added before ANAF is connected waits for the connection
// instead of showing a failed sync, and connecting ANAF syncs it; an OAuth
// server_error is not called a refusal; "Test connection" explains a 404;
// a sync error is explained without its internal chain.
func TestANAFTextsSayWhatHappened(t *testing.T) {
	t.Parallel()
	const cif = "12345674"
	sim, err := anafsim.New(anafsim.Options{ClientID: "client-1", ClientSecret: "secret-1", AutoApprove: true, KnownCIFs: []string{cif}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	var helloNotFound atomic.Bool // the test service answers 404 (maintenance, or a wrong address)
	simSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if helloNotFound.Load() && strings.Contains(r.URL.Path, "/TestOauth/") {
			http.NotFound(w, r)
			return
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(simSrv.Close)

	var gatewayURL string // known once the gateway test server runs
	keys := testKeyring(t)
	client := func(context.Context) (*anaf.Client, error) {
		return anaf.New(anaf.Config{
			BaseURL: simSrv.URL, OAuthURL: simSrv.URL, Env: anaf.EnvTest,
			ClientID: "client-1", ClientSecret: "secret-1", RedirectURI: gatewayURL + "/anaf/callback",
			Timeout: 10 * time.Second,
		}), nil
	}
	var engine *anafsync.Engine
	var mu sync.Mutex
	var started []int64
	b := setup(t, func(d *Deps) {
		d.Gateway.Secrets = keys
		d.Gateway.ANAFClient = client
		engine = &anafsync.Engine{Store: d.Gateway.Store, Secrets: keys, ANAFClient: client, Logger: slog.New(slog.DiscardHandler)}
		// The jobs runner's StartSync, run at once.
		d.Gateway.SyncStarter = func(ctx context.Context, companyID int64) (int64, error) {
			mu.Lock()
			started = append(started, companyID)
			mu.Unlock()
			_, err := engine.SyncCompany(ctx, companyID, nil)
			run, rerr := d.Gateway.Store.LastSyncRun(ctx, companyID)
			if rerr != nil {
				return 0, rerr
			}
			return run.ID, err
		}
	})
	gatewayURL = b.srv.URL
	ctx := t.Context()
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	br := b.browser(t)
	br.login(u.Email)

	// A company added before ANAF is connected: its scheduled sync finds no connection.
	c, err := b.st.CreateCompanyWithOwner(ctx, cif, "ALFA SOFT SRL", u.ID)
	require.NoError(t, err)
	_, err = engine.SyncCompany(ctx, c.ID, nil)
	require.ErrorIs(t, err, anafsync.ErrNoConnection)
	body := br.get(companyURL(c.ID)).Body
	require.Contains(t, body, `sync sync-waiting`)
	require.Contains(t, body, "în așteptarea conexiunii ANAF")
	require.NotContains(t, body, "sync-failed")
	require.NotContains(t, body, "eșuată")
	status := br.get("/companies/" + itoa(c.ID) + "/sync/status").Body
	require.Contains(t, status, `"status":"waiting"`)

	// ANAF failing during the authorization is not a refusal.
	p := br.get("/anaf/callback?error=server_error&error_description=" + url.QueryEscape("Internal error"))
	require.Equal(t, http.StatusSeeOther, p.Status)
	body = br.get("/anaf").Body
	require.Contains(t, body, "ANAF a avut o problemă și nu a putut finaliza conectarea")
	require.Contains(t, body, "server_error: Internal error")
	require.NotContains(t, body, "refuzat")

	// Connecting ANAF syncs the companies the connection serves.
	p = br.get("/anaf/connect")
	require.Equal(t, http.StatusSeeOther, p.Status)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(p.Location)
	require.NoError(t, err)
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	p = br.get(back.RequestURI())
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	mu.Lock()
	require.Equal(t, []int64{c.ID}, started)
	mu.Unlock()
	run, err := b.st.LastSyncRun(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, store.SyncOK, run.Status, run.Error)
	body = br.get(companyURL(c.ID)).Body
	require.Contains(t, body, "sync-ok")
	require.NotContains(t, body, "sync-waiting")
	events, err := b.st.AuditEvents(ctx, 10)
	require.NoError(t, err)
	var audited bool
	for _, e := range events {
		audited = audited || e.Action == store.ActionCompanySync && e.Details == "after connecting ANAF"
	}
	require.True(t, audited, "the sync started by connecting is audited")

	// "Test connection" with ANAF answering 404: what it may mean and what to do.
	helloNotFound.Store(true)
	p = br.post("/anaf/test", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	body = br.get("/anaf").Body
	require.Contains(t, body, "HTTP 404")
	require.Contains(t, body, "mentenanței")
	require.NotContains(t, body, "transient")
	helloNotFound.Store(false)
	p = br.post("/anaf/test", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Contains(t, br.get("/anaf").Body, "ANAF a răspuns")

	// A failed sync is explained, in the user's language, without the chain.
	r, err := b.st.StartSyncRun(ctx, c.ID)
	require.NoError(t, err)
	r.Status = store.SyncFailed
	r.Error = "listing ANAF messages for CIF " + cif + ": anaf listaMesajePaginatieFactura: no rights (HTTP 200): Nu aveti drept in SPV pentru CIF=" + cif
	require.NoError(t, b.st.FinishSyncRun(ctx, r))
	body = br.get(companyURL(c.ID)).Body
	require.Contains(t, body, "nu are drepturi în SPV pe acest CIF")
	require.NotContains(t, body, "listaMesajePaginatieFactura")
	require.NotContains(t, body, "HTTP 200")
	body = br.get(companyURL(c.ID) + "&lang=en").Body
	require.Contains(t, body, "has no SPV rights on this CIF")
	require.NotContains(t, body, "listaMesajePaginatieFactura")
}
