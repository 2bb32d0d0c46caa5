package anafsim

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// TestXOAuth2Client runs the code flow with golang.org/x/oauth2, as the gateway does.
func TestXOAuth2Client(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.RedirectURIs = []string{testRedirect} })
	cfg := oauth2.Config{
		ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: testRedirect,
		Endpoint: oauth2.Endpoint{AuthURL: b.srv.URL + "/anaf-oauth2/v1/authorize", TokenURL: b.srv.URL + "/anaf-oauth2/v1/token",
			AuthStyle: oauth2.AuthStyleInHeader},
	}
	jwt := oauth2.SetAuthURLParam("token_content_type", "jwt")
	resp, err := noRedirect().Get(cfg.AuthCodeURL("st", jwt))
	require.NoError(t, err)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	tok, err := cfg.Exchange(context.Background(), loc.Query().Get("code"), jwt)
	require.NoError(t, err)
	require.Equal(t, "Bearer", tok.TokenType)
	require.NotEmpty(t, tok.RefreshToken)
	r, _ := b.apiWith(t, tok.AccessToken, http.MethodGet, "/TestOauth/jaxrs/hello?name=gw", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)

	// unregistered callback: redirected back with error=access_denied
	bad := cfg
	bad.RedirectURL = testRedirect + "/other"
	resp, err = noRedirect().Get(bad.AuthCodeURL("st", jwt))
	require.NoError(t, err)
	resp.Body.Close()
	loc, err = url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "access_denied", loc.Query().Get("error"))
}
