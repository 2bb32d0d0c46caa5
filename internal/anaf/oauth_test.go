package anaf

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func fakeJWT(payload string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS512"}`)) + "." + enc.EncodeToString([]byte(payload)) + ".sig"
}

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	c := New(Config{OAuthURL: "https://login.example/", ClientID: "abc123", RedirectURI: "https://gw.example/anaf/callback"})
	u, err := url.Parse(c.AuthCodeURL("st4te"))
	require.NoError(t, err)
	require.Equal(t, "https", u.Scheme)
	require.Equal(t, "login.example", u.Host)
	require.Equal(t, "/anaf-oauth2/v1/authorize", u.Path)
	q := u.Query()
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "abc123", q.Get("client_id"))
	require.Equal(t, "https://gw.example/anaf/callback", q.Get("redirect_uri"))
	require.Equal(t, "jwt", q.Get("token_content_type"))
	require.Equal(t, "st4te", q.Get("state"))
	require.False(t, q.Has("scope"))

	def := New(Config{})
	require.True(t, strings.HasPrefix(def.AuthCodeURL(""), "https://logincert.anaf.ro/anaf-oauth2/v1/authorize?"))
	require.NotContains(t, def.AuthCodeURL(""), "state=")
}

func TestDefaultsAndURLs(t *testing.T) {
	t.Parallel()
	c := New(Config{})
	require.Equal(t, "https://api.anaf.ro/prod/FCTEL/rest/upload", c.restURL(epUpload))
	require.Equal(t, "https://logincert.anaf.ro/anaf-oauth2/v1/token", c.oauthURL("token"))
	c = New(Config{BaseURL: "http://sim:8080/", Env: EnvTest})
	require.Equal(t, "http://sim:8080/test/FCTEL/rest/stareMesaj", c.restURL(epStatus))
}

// tokenServer records the token request and answers with resp.
func tokenServer(t *testing.T, resp canned, seen chan<- url.Values) *Client {
	t.Helper()
	return newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, http.MethodPost, r.Method)
		require.Equal(t, "/anaf-oauth2/v1/token", r.URL.Path)
		require.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		user, pass, ok := r.BasicAuth()
		require.True(t, ok, "HTTP Basic client authentication")
		require.Equal(t, "cid", user)
		require.Equal(t, "s3cret", pass)
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		form, err := url.ParseQuery(string(body))
		require.NoError(t, err)
		require.False(t, form.Has("client_secret"), "secret travels in the Authorization header only")
		seen <- form
		resp.write(w)
	}))
}

func TestExchange(t *testing.T) {
	t.Parallel()
	seen := make(chan url.Values, 1)
	c := tokenServer(t, canned{ctype: ctJSON, body: sample(t, "oauth_token_response.json")}, seen)
	tok, err := c.Exchange(t.Context(), "the-code")
	require.NoError(t, err)
	form := <-seen
	require.Equal(t, "authorization_code", form.Get("grant_type"))
	require.Equal(t, "the-code", form.Get("code"))
	require.Equal(t, "https://gw.example/anaf/callback", form.Get("redirect_uri"))
	require.Equal(t, "jwt", form.Get("token_content_type"))

	require.True(t, strings.HasPrefix(tok.AccessToken, "eyJ"))
	require.True(t, strings.HasPrefix(tok.RefreshToken, "eyJ"))
	require.Equal(t, time.Unix(1776246000, 0).UTC(), tok.ExpiresAt, "from the access JWT exp")
	require.NotNil(t, tok.RefreshExpiresAt)
	require.Equal(t, time.Unix(1800006000, 0).UTC(), *tok.RefreshExpiresAt)
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	seen := make(chan url.Values, 1)
	c := tokenServer(t, canned{ctype: ctJSON, body: sample(t, "oauth_token_response.json")}, seen)
	tok, err := c.Refresh(t.Context(), "old-refresh")
	require.NoError(t, err)
	form := <-seen
	require.Equal(t, "refresh_token", form.Get("grant_type"))
	require.Equal(t, "old-refresh", form.Get("refresh_token"))
	require.Equal(t, "jwt", form.Get("token_content_type"))
	require.NotEqual(t, "old-refresh", tok.RefreshToken, "the new pair is returned")
}

func TestRefreshKeepsOldRefreshTokenWhenAbsent(t *testing.T) {
	t.Parallel()
	seen := make(chan url.Values, 1)
	old := fakeJWT(`{"exp":1800000000}`)
	c := tokenServer(t, canned{ctype: ctJSON, body: []byte(`{"access_token":"opaque","expires_in":3600}`)}, seen)
	tok, err := c.Refresh(t.Context(), old)
	require.NoError(t, err)
	<-seen
	require.Equal(t, old, tok.RefreshToken)
	require.Equal(t, time.Unix(1800000000, 0).UTC(), *tok.RefreshExpiresAt)
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		body string
		want time.Time
	}{
		{"JWTExp", `{"access_token":"` + fakeJWT(`{"exp":1776246000}`) + `","expires_in":5}`, time.Unix(1776246000, 0).UTC()},
		{"JWTExpAsString", `{"access_token":"` + fakeJWT(`{"exp":"1776246000"}`) + `"}`, time.Unix(1776246000, 0).UTC()},
		{"OpaqueExpiresInNumber", `{"access_token":"0123abcd","expires_in":7776000}`, testNow.Add(7776000 * time.Second)},
		{"OpaqueExpiresInString", `{"access_token":"0123abcd","expires_in":"3600"}`, testNow.Add(time.Hour)},
		{"OpaqueExpiresInFloat", `{"access_token":"0123abcd","expires_in":3600.0}`, testNow.Add(time.Hour)},
		{"JWTWithoutExp", `{"access_token":"` + fakeJWT(`{"iat":1}`) + `","expires_in":60}`, testNow.Add(time.Minute)},
		{"Nothing", `{"access_token":"0123abcd"}`, testNow.Add(90 * 24 * time.Hour)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := cannedClient(t, canned{ctype: ctJSON, body: []byte(tt.body)})
			tok, err := c.Exchange(t.Context(), "c")
			require.NoError(t, err)
			require.Equal(t, tt.want, tok.ExpiresAt)
			require.Nil(t, tok.RefreshExpiresAt)
		})
	}
}

func TestJWTExpiry(t *testing.T) {
	t.Parallel()
	// The access token of the sample decodes to oauth_jwt_access_claims.json.
	exp, ok := JWTExpiry(fakeJWT(string(sample(t, "oauth_jwt_access_claims.json"))))
	require.True(t, ok)
	require.Equal(t, time.Unix(1776246000, 0).UTC(), exp)

	padded := "a." + base64.URLEncoding.EncodeToString([]byte(`{"exp":1700000000}`)) + ".b"
	exp, ok = JWTExpiry(padded)
	require.True(t, ok)
	require.Equal(t, int64(1700000000), exp.Unix())

	for _, bad := range []string{"", "opaque64hex", "a.!!!.c", fakeJWT(`not json`), fakeJWT(`{"exp":"soon"}`), fakeJWT(`{"exp":0}`)} {
		_, ok := JWTExpiry(bad)
		require.False(t, ok, bad)
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		resp  canned
		kind  ErrorKind
		code  string
		text  string
		trans bool
	}{
		{"InvalidGrant", canned{status: 400, ctype: ctJSON, body: sample(t, "oauth_token_error.json")}, KindUnauthorized, "invalid_grant", "Refresh Token status is expired", false},
		{"InvalidClient401", canned{status: 401, ctype: ctJSON, body: []byte(`{"error":"invalid_client"}`)}, KindUnauthorized, "", "", false},
		{"InvalidRequest", canned{status: 400, ctype: ctJSON, body: []byte(`{"error":"invalid_request","error_description":"Missing code"}`)}, KindInvalidRequest, "invalid_request", "Missing code", false},
		{"ErrorIn200", canned{ctype: ctJSON, body: []byte(`{"error":"invalid_grant","error_description":"Code expired"}`)}, KindUnauthorized, "invalid_grant", "Code expired", false},
		{"ServerError", canned{status: 503}, KindTransient, "", "", true},
		{"WAF", canned{ctype: ctHTML, body: sample(t, "http200_waf_rejected.html")}, KindTransient, "", "", true},
		{"NoAccessToken", canned{ctype: ctJSON, body: []byte(`{"token_type":"Bearer"}`)}, KindMalformed, "", "", false},
		{"NotJSON", canned{ctype: ctText, body: []byte(`hello`)}, KindMalformed, "", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := cannedClient(t, tt.resp)
			_, err := c.Refresh(t.Context(), "rt")
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.kind, e.Kind, "%v", err)
			require.Equal(t, epToken, e.Endpoint)
			if tt.code != "" {
				require.Equal(t, tt.code, e.Code)
			}
			if tt.text != "" {
				require.Equal(t, tt.text, e.Text)
				require.Contains(t, err.Error(), tt.text)
			}
			require.Equal(t, tt.trans, IsTransient(err))
		})
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	seen := make(chan url.Values, 1)
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/anaf-oauth2/v1/revoke", r.URL.Path)
		user, _, ok := r.BasicAuth()
		require.True(t, ok)
		require.Equal(t, "cid", user)
		require.NoError(t, r.ParseForm())
		seen <- r.PostForm
		w.WriteHeader(http.StatusOK)
	}))
	require.NoError(t, c.Revoke(t.Context(), "tok-1"))
	require.Equal(t, "tok-1", (<-seen).Get("token"))

	c = cannedClient(t, canned{status: 400, ctype: ctJSON, body: []byte(`{"error":"unsupported_token_type"}`)})
	require.ErrorIs(t, c.Revoke(t.Context(), "x"), ErrInvalidRequest)
}
