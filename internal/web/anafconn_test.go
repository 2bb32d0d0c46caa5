package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestANAFOAuthWithSimulator runs connect → authorize → callback →
// disconnect against the ANAF simulator.
func TestANAFOAuthWithSimulator(t *testing.T) {
	t.Parallel()
	sim, err := anafsim.New(anafsim.Options{ClientID: "client-1", ClientSecret: "secret-1", AutoApprove: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	simSrv := httptest.NewServer(sim.Handler())
	t.Cleanup(simSrv.Close)

	var gatewayURL string // known once the gateway test server runs
	keys := testKeyring(t)
	b := setup(t, func(d *Deps) {
		d.Gateway.Secrets = keys
		d.Gateway.ANAFClient = func(context.Context) (*anaf.Client, error) {
			return anaf.New(anaf.Config{
				BaseURL: simSrv.URL, OAuthURL: simSrv.URL, Env: anaf.EnvTest,
				ClientID: "client-1", ClientSecret: "secret-1", RedirectURI: gatewayURL + "/anaf/callback",
				Timeout: 10 * time.Second,
			}), nil
		}
	})
	gatewayURL = b.srv.URL
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	br := b.browser(t)
	br.login(u.Email)

	// Connect (a link, see submitANAFConnect): the browser goes to ANAF's
	// authorize page with a state.
	require.Contains(t, br.get("/anaf").Body, `href="/anaf/connect"`)
	p := br.get("/anaf/connect")
	require.Equal(t, http.StatusSeeOther, p.Status)
	authorize, err := url.Parse(p.Location)
	require.NoError(t, err)
	require.Equal(t, "/anaf-oauth2/v1/authorize", authorize.Path)
	state := authorize.Query().Get("state")
	require.NotEmpty(t, state)
	require.Equal(t, "jwt", authorize.Query().Get("token_content_type"))

	// ANAF (auto-approving) sends the browser back with a code.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(p.Location)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, state, back.Query().Get("state"))

	p = br.get(back.RequestURI())
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "/anaf", p.Location)
	body := br.get("/anaf").Body
	require.Contains(t, body, "Conectat la ANAF.")

	tok, err := b.st.ANAFTokenByUser(t.Context(), u.ID)
	require.NoError(t, err)
	require.Equal(t, "connected", tok.Status)
	require.True(t, tok.ExpiresAt.After(time.Now()))
	access, err := keys.Decrypt(tok.AccessTokenEnc)
	require.NoError(t, err)
	require.NotEmpty(t, access)
	require.NotContains(t, string(tok.AccessTokenEnc), string(access), "stored encrypted")

	// The state is single-use: replaying the callback is refused.
	p = br.get(back.RequestURI())
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Contains(t, br.get("/anaf").Body, "nu corespunde")

	// Disconnect revokes at ANAF and deletes the grant.
	p = br.post("/anaf/disconnect", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, 1, sim.Stats().Calls["revoke"])
	_, err = b.st.ANAFTokenByUser(t.Context(), u.ID)
	require.ErrorIs(t, err, store.ErrNotFound)

	events, err := b.st.AuditEvents(t.Context(), 20)
	require.NoError(t, err)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	require.Contains(t, actions, "anaf.connect")
	require.Contains(t, actions, "anaf.disconnect")
}
