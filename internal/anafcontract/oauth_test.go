package anafcontract

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
)

// TestOAuthAutoApproveExchange: AuthCodeURL → authorize (auto-approve
// redirect with code and state) → Exchange → a JWT pair whose lifetimes
// come from the token answer; the access token works on Hello.
func TestOAuthAutoApproveExchange(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) {
		o.sim = func(so *anafsim.Options) { so.AccessTTL = 2 * time.Hour; so.RefreshTTL = 48 * time.Hour }
	})
	now := b.clock.Now().UTC().Truncate(time.Second)
	require.Equal(t, now.Add(2*time.Hour), b.tok.ExpiresAt, "access lifetime from the JWT exp")
	require.NotNil(t, b.tok.RefreshExpiresAt)
	require.Equal(t, now.Add(48*time.Hour), *b.tok.RefreshExpiresAt)

	u, err := url.Parse(b.client.AuthCodeURL("s1"))
	require.NoError(t, err)
	require.Equal(t, "jwt", u.Query().Get("token_content_type"))

	hello, err := b.client.Hello(context.Background(), b.token)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(hello, `Hello, "efactura"`), hello)

	// A code is single use: ANAF's invalid_grant text reaches the caller.
	code := b.authorize(t, "s2")
	_, err = b.client.Exchange(context.Background(), code)
	require.NoError(t, err)
	_, err = b.client.Exchange(context.Background(), code)
	e := requireANAFError(t, err, anaf.ErrUnauthorized, anaf.KindUnauthorized, "Invalid authorization code")
	require.Equal(t, "invalid_grant", e.Code)

	// A code lives 60 s.
	code = b.authorize(t, "s3")
	b.clock.Advance(61 * time.Second)
	_, err = b.client.Exchange(context.Background(), code)
	requireANAFError(t, err, anaf.ErrUnauthorized, anaf.KindUnauthorized, "Authorization code is expired")
}

// TestOAuthExchangeBadClient: wrong client credentials are refused with
// the token endpoint's text (invalid_client, HTTP 401).
func TestOAuthExchangeBadClient(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cfg := b.cfg
	cfg.ClientSecret = "wrong"
	bad := anaf.New(cfg)
	_, err := bad.Exchange(context.Background(), b.authorize(t, "x"))
	e := requireANAFError(t, err, anaf.ErrUnauthorized, anaf.KindUnauthorized, "Bad client credentials")
	require.Equal(t, http.StatusUnauthorized, e.HTTPStatus)
}

var reConsentCIF = regexp.MustCompile(`name="cif" value="(\d+)"`)

// TestOAuthConsentPageCIFs: without auto-approve the authorize URL shows a
// consent page with one checkbox per CIF; the grant covers exactly the
// checked ones, and a call for another CIF gets ANAF's no-rights text on
// every endpoint that takes a CIF or an id.
func TestOAuthConsentPageCIFs(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) { o.noAuto = true })
	ctx := context.Background()

	resp, err := b.cfg.HTTPClient.Get(b.client.AuthCodeURL("consent-1"))
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var shown []string
	for _, m := range reConsentCIF.FindAllStringSubmatch(string(page), -1) {
		shown = append(shown, m[1])
	}
	require.Contains(t, shown, cifAlfa)
	require.Contains(t, shown, cifBeta)
	require.Len(t, shown, 6, "one checkbox per loaded CIF")

	// Approve only ALFA.
	form := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"state": {"consent-1"}, "cifs_shown": {"1"}, "cif": {cifAlfa}, "decision": {"approve"}}
	resp, err = b.cfg.HTTPClient.PostForm(b.srv.URL+"/anaf-oauth2/v1/authorize", form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "consent-1", loc.Query().Get("state"))
	tok, err := b.client.Exchange(ctx, loc.Query().Get("code"))
	require.NoError(t, err)
	b.token = tok.AccessToken

	// Granted CIF: works.
	msgs, err := b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
	require.NoError(t, err)
	require.Len(t, msgs, 4)

	// BETA was not checked.
	_, err = b.client.ListRecentMessages(ctx, b.token, cifBeta, 60, anaf.ListOptions{})
	requireANAFError(t, err, anaf.ErrNoRights, anaf.KindNoRights, "Nu aveti drept in SPV pentru CIF="+cifBeta)
	now := b.clock.Now()
	_, err = b.client.ListMessages(ctx, b.token, cifBeta, now.Add(-24*time.Hour), now)
	requireANAFError(t, err, anaf.ErrNoRights, anaf.KindNoRights, "Nu aveti drept in SPV pentru CIF="+cifBeta)
	_, err = b.client.Upload(ctx, b.token, anaf.StandardUBL, cifBeta, b.fresh(t, "gen-04"))
	requireANAFError(t, err, anaf.ErrNoRights, anaf.KindNoRights, "Nu aveti drept in SPV pentru CIF="+cifBeta)

	// gen-03 (GAMMA → BETA) concerns neither ALFA: its download is refused.
	var id, idx string
	for _, m := range b.listAll(t, cifGamma) {
		if m.CIFEmitent == cifGamma && m.CIFBeneficiar == cifBeta {
			id, idx = m.ID, m.UploadID
		}
	}
	require.NotEmpty(t, id)
	_, err = b.client.Download(ctx, b.token, id)
	requireANAFError(t, err, anaf.ErrNoRights, anaf.KindNoRights, "Nu aveti dreptul sa descarcati acesta factura")
	_, err = b.client.Status(ctx, b.token, idx)
	requireANAFError(t, err, anaf.ErrNoRights, anaf.KindNoRights, "Nu aveti dreptul de inteorgare pentru id_incarcare= "+idx)
}

// listAll lists cif with a fresh auto-approve-like token of full rights:
// the simulator's own view, used to find ids the test token may not see.
func (b *bundle) listAll(t *testing.T, cif string) []anaf.Message {
	t.Helper()
	form := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"decision": {"approve"}} // no cifs_shown: a grant over every CIF
	resp, err := b.cfg.HTTPClient.PostForm(b.srv.URL+"/anaf-oauth2/v1/authorize", form)
	require.NoError(t, err)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	tok, err := b.client.Exchange(context.Background(), loc.Query().Get("code"))
	require.NoError(t, err)
	msgs, err := b.client.ListRecentMessages(context.Background(), tok.AccessToken, cif, 60, anaf.ListOptions{})
	require.NoError(t, err)
	return msgs
}

// TestOAuthRefreshRotates: Refresh returns a new pair; the consumed refresh
// token is then refused with ANAF's invalid_grant text; the new one works.
func TestOAuthRefreshRotates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	old := b.tok
	b.clock.Advance(time.Minute) // new iat: distinct tokens
	nt, err := b.client.Refresh(ctx, old.RefreshToken)
	require.NoError(t, err)
	require.NotEqual(t, old.RefreshToken, nt.RefreshToken)
	require.NotEqual(t, old.AccessToken, nt.AccessToken)
	_, err = b.client.Hello(ctx, nt.AccessToken)
	require.NoError(t, err)

	_, err = b.client.Refresh(ctx, old.RefreshToken)
	e := requireANAFError(t, err, anaf.ErrUnauthorized, anaf.KindUnauthorized, "Refresh Token status is revoked")
	require.Equal(t, "invalid_grant", e.Code)

	again, err := b.client.Refresh(ctx, nt.RefreshToken)
	require.NoError(t, err)
	_, err = b.client.ListRecentMessages(ctx, again.AccessToken, cifAlfa, 60, anaf.ListOptions{})
	require.NoError(t, err)

	// An expired refresh token: ANAF's "expired" text.
	b.clock.Advance(366 * 24 * time.Hour)
	_, err = b.client.Refresh(ctx, again.RefreshToken)
	requireANAFError(t, err, anaf.ErrUnauthorized, anaf.KindUnauthorized, "Refresh Token status is expired")
}

// TestOAuthRevoke: after Revoke the access token gets ANAF's 401 and a
// revoked refresh token is refused.
func TestOAuthRevoke(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	require.NoError(t, b.client.Revoke(ctx, b.token))
	_, err := b.client.Hello(ctx, b.token)
	e := requireANAFError(t, err, anaf.ErrUnauthorized, anaf.KindUnauthorized, "Unauthorized")
	require.Equal(t, "invalid_token", e.Code)
	_, err = b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
	requireANAFError(t, err, anaf.ErrUnauthorized, anaf.KindUnauthorized, "Unauthorized")

	require.NoError(t, b.client.Revoke(ctx, b.tok.RefreshToken))
	_, err = b.client.Refresh(ctx, b.tok.RefreshToken)
	requireANAFError(t, err, anaf.ErrUnauthorized, anaf.KindUnauthorized, "Refresh Token status is revoked")
}

// TestOAuthLongTokensExact: ANAF's tokens exceed 1,500 characters (a long
// certificate serial makes the simulator's JWTs that long); the client
// keeps them byte for byte: the token the simulator verifies on Hello is
// the one echoed back, and refresh works with the long refresh token.
func TestOAuthLongTokensExact(t *testing.T) {
	t.Parallel()
	serial := strings.Repeat("ab:", 600) + "01"
	b := setup(t, func(o *setupOpts) { o.sim = func(so *anafsim.Options) { so.Serial = serial } })
	require.Greater(t, len(b.token), 1500)
	require.Greater(t, len(b.tok.RefreshToken), 1500)
	hello, err := b.client.Hello(context.Background(), b.token)
	require.NoError(t, err)
	require.Contains(t, hello, "val=[Bearer "+b.token+"]", "the exact token travelled")
	nt, err := b.client.Refresh(context.Background(), b.tok.RefreshToken)
	require.NoError(t, err)
	require.Greater(t, len(nt.AccessToken), 1500)
	_, err = b.client.Hello(context.Background(), nt.AccessToken)
	require.NoError(t, err)
}

// TestOAuthSecretNeedingURLEncoding: a client secret with characters that
// change under form-URL decoding ("+", "%") must authenticate. API.md §2.3
// says Basic is base64(client_id:client_secret) of the raw values.
func TestOAuthSecretNeedingURLEncoding(t *testing.T) {
	t.Parallel()
	const secret = "ab+cd%2Fef"
	b := setup(t, func(o *setupOpts) {
		o.noLogin = true
		o.sim = func(so *anafsim.Options) { so.ClientSecret = secret }
		o.client = func(c *anaf.Config) { c.ClientSecret = secret }
	})
	_, err := b.client.Exchange(context.Background(), b.authorize(t, "plus"))
	require.NoError(t, err, "client sends the raw secret in Basic (API.md §2.3); the simulator must accept it")
}

// TestHello is the "test connection" call.
func TestHello(t *testing.T) {
	t.Parallel()
	b := setup(t)
	out, err := b.client.Hello(context.Background(), b.token)
	require.NoError(t, err)
	require.Contains(t, out, "key=serial_certificate")
	require.Equal(t, 1, b.sim.Stats().OKCalls["hello"])

	_, err = b.client.Hello(context.Background(), "not-a-token")
	requireANAFError(t, err, anaf.ErrUnauthorized, anaf.KindUnauthorized, "Unauthorized")
}
