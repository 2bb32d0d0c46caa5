package anafsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOAuthCodeFlowAndRefresh(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tr := b.login(t)
	require.Equal(t, "Bearer", tr.TokenType)
	require.Equal(t, int64(90*24*3600), tr.ExpiresIn)

	claims := jwtClaims(t, tr.AccessToken)
	now := b.clock.Now().Unix()
	require.InDelta(t, float64(now+90*24*3600), claims["exp"], 1)
	require.InDelta(t, float64(now), claims["iat"], 1)
	require.NotEmpty(t, claims["jti"])
	require.Equal(t, DefaultSerial, claims["serial"])
	require.Contains(t, claims["role"], "EFACTURA")
	rclaims := jwtClaims(t, tr.RefreshToken)
	require.InDelta(t, float64(now+365*24*3600), rclaims["exp"], 1)

	resp, _ := b.apiWith(t, tr.AccessToken, http.MethodGet, "/TestOauth/jaxrs/hello?name=x", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// refresh: body credentials (client_secret_post), new pair, old refresh token dead.
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken},
		"client_id": {testClientID}, "client_secret": {testClientSecret}}
	status, body := b.tokenReq(t, form, "", "")
	require.Equal(t, http.StatusOK, status, string(body))
	var tr2 TokenResponse
	require.NoError(t, json.Unmarshal(body, &tr2))
	require.NotEqual(t, tr.AccessToken, tr2.AccessToken)
	require.NotEqual(t, tr.RefreshToken, tr2.RefreshToken)
	require.Len(t, strings.Split(tr2.AccessToken, "."), 3, "refresh of a JWT grant stays JWT")

	status, body = b.tokenReq(t, form, "", "")
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, string(body), `"error":"invalid_grant"`)

	resp, _ = b.apiWith(t, tr2.AccessToken, http.MethodGet, "/TestOauth/jaxrs/hello?name=x", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestOAuthConsentPage(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.AutoApprove = false; o.ClientID = ""; o.ClientSecret = "" })
	q := url.Values{"response_type": {"code"}, "client_id": {"any"}, "redirect_uri": {testRedirect}, "state": {"s1"}}
	resp, err := http.Get(b.srv.URL + "/anaf-oauth2/v1/authorize?" + q.Encode())
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(page), `<form method="post" action="/anaf-oauth2/v1/authorize">`)
	require.Contains(t, string(page), `value="approve"`)

	for _, tc := range []struct {
		decision, want string
	}{{"approve", "code"}, {"deny", "error"}} {
		form := url.Values{"response_type": {"code"}, "client_id": {"any"}, "redirect_uri": {testRedirect}, "state": {"s1"}, "decision": {tc.decision}}
		resp, err := noRedirect().PostForm(b.srv.URL+"/anaf-oauth2/v1/authorize", form)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusFound, resp.StatusCode)
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		require.NotEmpty(t, loc.Query().Get(tc.want), loc.String())
		require.Equal(t, "s1", loc.Query().Get("state"))
		if tc.decision == "deny" {
			require.Equal(t, "access_denied", loc.Query().Get("error"))
			continue
		}
		// any client accepted when ClientID is empty
		status, body := b.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
			"redirect_uri": {testRedirect}, "token_content_type": {"jwt"}}, "any", "whatever")
		require.Equal(t, http.StatusOK, status, string(body))
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	exchange := func(code, redirect, id, secret string) (int, string) {
		status, body := b.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {redirect}, "token_content_type": {"jwt"}}, id, secret)
		return status, string(body)
	}
	tests := []struct {
		name       string
		run        func() (int, string)
		wantStatus int
		wantErr    string
	}{
		{"WrongSecret", func() (int, string) { return exchange(b.authorize(t), testRedirect, testClientID, "bad") }, 401, "invalid_client"},
		{"RedirectMismatch", func() (int, string) {
			return exchange(b.authorize(t), testRedirect+"/", testClientID, testClientSecret)
		}, 400, "invalid_grant"},
		{"CodeReuse", func() (int, string) {
			code := b.authorize(t)
			status, body := exchange(code, testRedirect, testClientID, testClientSecret)
			require.Equal(t, 200, status, body)
			return exchange(code, testRedirect, testClientID, testClientSecret)
		}, 400, "invalid_grant"},
		{"UnknownGrant", func() (int, string) {
			status, body := b.tokenReq(t, url.Values{"grant_type": {"password"}}, testClientID, testClientSecret)
			return status, string(body)
		}, 400, "unsupported_grant_type"},
	}
	for _, tc := range tests {
		status, body := tc.run()
		require.Equal(t, tc.wantStatus, status, tc.name+": "+body)
		require.Contains(t, body, `"error":"`+tc.wantErr+`"`, tc.name)
	}
}

func TestAuthCodeExpires(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	code := b.authorize(t)
	b.clock.Advance(61 * time.Second)
	status, body := b.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {testRedirect}, "token_content_type": {"jwt"}}, testClientID, testClientSecret)
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, string(body), "invalid_grant")
}

func TestAPIRefusesBadTokens(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)

	// opaque token: issued without token_content_type=jwt
	code := b.authorize(t)
	status, body := b.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {testRedirect}}, testClientID, testClientSecret)
	require.Equal(t, http.StatusOK, status)
	var opaque TokenResponse
	require.NoError(t, json.Unmarshal(body, &opaque))
	require.Regexp(t, `^[0-9a-f]{64}$`, opaque.AccessToken)

	revoked := b.login(t)
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/anaf-oauth2/v1/revoke",
		strings.NewReader(url.Values{"access_token": {revoked.AccessToken}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testClientID, testClientSecret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, rb)

	// RFC 7009 "token" revokes a refresh token.
	rt := b.login(t)
	resp, err = http.PostForm(b.srv.URL+"/anaf-oauth2/v1/revoke", url.Values{"token": {rt.RefreshToken}, "token_type_hint": {"refresh_token"}})
	require.NoError(t, err)
	resp.Body.Close()
	status, _ = b.tokenReq(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt.RefreshToken}}, testClientID, testClientSecret)
	require.Equal(t, http.StatusBadRequest, status)

	expiring := setup(t, func(o *Options) { o.AccessTTL = time.Minute })
	expiring.clock.Advance(2 * time.Minute)

	tests := []struct {
		name  string
		b     *testBundle
		token string
	}{
		{"Opaque", b, opaque.AccessToken},
		{"Revoked", b, revoked.AccessToken},
		{"Unknown", b, "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"},
		{"RefreshAsAccess", b, rt.AccessToken + "x"},
		{"Expired", expiring, expiring.token},
	}
	for _, tc := range tests {
		resp, body := tc.b.apiWith(t, tc.token, http.MethodGet, "/test/FCTEL/rest/listaMesajeFactura?zile=1&cif="+seller, nil)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, tc.name)
		require.JSONEq(t, `{"message":"Unauthorized","status":"401"}`, string(body), tc.name)
		require.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`, tc.name)
	}
}
