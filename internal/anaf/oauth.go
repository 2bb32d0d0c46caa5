package anaf

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultAccessLifetime is assumed when the token answer has neither a JWT
// exp nor expires_in (ANAF: 90 days, API.md §2.6).
const DefaultAccessLifetime = 90 * 24 * time.Hour

// AuthCodeURL returns the authorize URL,
// {OAuthURL}/anaf-oauth2/v1/authorize?response_type=code&client_id=…&redirect_uri=…&token_content_type=jwt[&state=…].
// token_content_type=jwt makes ANAF issue JWTs instead of opaque tokens the
// API refuses (API.md §2.2). No scope is sent.
func (c *Client) AuthCodeURL(state string) string {
	q := url.Values{}
	q.Set("response_type", "code")
	q.Set("client_id", c.cfg.ClientID)
	q.Set("redirect_uri", c.cfg.RedirectURI)
	q.Set("token_content_type", "jwt")
	if state != "" {
		q.Set("state", state)
	}
	return c.oauthURL("authorize") + "?" + q.Encode()
}

// Exchange trades an authorization code for a token (POST /anaf-oauth2/v1/token).
// Form body grant_type=authorization_code&code=…&redirect_uri=…&token_content_type=jwt,
// client authentication HTTP Basic. The code lives 60 s at ANAF.
// Errors: ErrUnauthorized (invalid_grant, invalid_client, 401), ErrInvalidRequest,
// ErrTransient, ErrMalformed (no access_token).
func (c *Client) Exchange(ctx context.Context, code string) (*Token, error) {
	form := url.Values{}
	form.Set("grant_type", "authorization_code")
	form.Set("code", code)
	form.Set("redirect_uri", c.cfg.RedirectURI)
	form.Set("token_content_type", "jwt")
	return c.tokenRequest(ctx, form)
}

// Refresh renews a token with its refresh token; the answer carries a new pair.
// Form body grant_type=refresh_token&refresh_token=…&token_content_type=jwt,
// HTTP Basic. Persist the returned pair atomically before using it (ANAF may
// invalidate the old refresh token). When the answer lacks a refresh_token,
// the one passed in is kept. Errors as Exchange; "Refresh Token status is
// expired" (invalid_grant) is ErrUnauthorized: re-authorize.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Token, error) {
	form := url.Values{}
	form.Set("grant_type", "refresh_token")
	form.Set("refresh_token", refreshToken)
	form.Set("token_content_type", "jwt")
	t, err := c.tokenRequest(ctx, form)
	if err != nil {
		return nil, err
	}
	if t.RefreshToken == "" {
		t.RefreshToken = refreshToken
		if exp, ok := JWTExpiry(refreshToken); ok {
			t.RefreshExpiresAt = &exp
		}
	}
	return t, nil
}

// Revoke asks ANAF to revoke a token, POST /anaf-oauth2/v1/revoke with the
// RFC 7009 form body token=<token>, HTTP Basic (the endpoint is undocumented
// in ANAF's current guide, API.md §2.5). Any 2xx is success.
func (c *Client) Revoke(ctx context.Context, token string) error {
	return c.attempt(ctx, epRevoke, true, nil, func(st *int) error { return c.revokeOnce(ctx, token, st) })
}

func (c *Client) revokeOnce(ctx context.Context, token string, st *int) error {
	form := url.Values{}
	form.Set("token", token)
	resp, err := c.do(ctx, request{
		endpoint: epRevoke, method: http.MethodPost, url: c.oauthURL("revoke"),
		body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded",
		basicAuth: true, accept: "application/json", status: st,
	})
	if err != nil {
		return err
	}
	if resp.status >= 200 && resp.status <= 299 && !isHTML(resp) {
		var j wireError
		if decodeJSON(resp.body, &j) == nil && j.Error != "" {
			return oauthError(epRevoke, resp.status, &j)
		}
		return nil
	}
	return c.tokenFailure(epRevoke, resp)
}

type wireToken struct {
	wireError
	AccessToken  string     `json:"access_token"`
	TokenType    string     `json:"token_type"`
	RefreshToken string     `json:"refresh_token"`
	ExpiresIn    flexString `json:"expires_in"`
}

// tokenRequest posts form to the token endpoint (observed, never counted
// against the API quotas: logincert.anaf.ro is another host).
func (c *Client) tokenRequest(ctx context.Context, form url.Values) (*Token, error) {
	var out *Token
	err := c.attempt(ctx, epToken, true, nil, func(st *int) error {
		var e error
		out, e = c.tokenOnce(ctx, form, st)
		return e
	})
	return out, err
}

func (c *Client) tokenOnce(ctx context.Context, form url.Values, st *int) (*Token, error) {
	resp, err := c.do(ctx, request{
		endpoint: epToken, method: http.MethodPost, url: c.oauthURL("token"),
		body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded",
		basicAuth: true, accept: "application/json", status: st,
	})
	if err != nil {
		return nil, err
	}
	var w wireToken
	derr := decodeJSON(resp.body, &w)
	if derr != nil || w.AccessToken == "" || resp.status < 200 || resp.status > 299 {
		if derr == nil && resp.status >= 200 && resp.status <= 299 && w.Error == "" && w.Eroare == "" {
			return nil, &Error{Kind: KindMalformed, Endpoint: epToken, HTTPStatus: resp.status,
				Err: errors.New("token answer without access_token")}
		}
		return nil, c.tokenFailure(epToken, resp)
	}
	now := c.cfg.Now()
	t := &Token{AccessToken: w.AccessToken, RefreshToken: w.RefreshToken}
	if exp, ok := JWTExpiry(w.AccessToken); ok {
		t.ExpiresAt = exp
	} else if secs, ok := w.ExpiresIn.int(); ok && secs > 0 {
		t.ExpiresAt = now.Add(time.Duration(secs) * time.Second).UTC()
	} else {
		t.ExpiresAt = now.Add(DefaultAccessLifetime).UTC()
	}
	if exp, ok := JWTExpiry(w.RefreshToken); ok {
		t.RefreshExpiresAt = &exp
	}
	return t, nil
}

// tokenFailure maps a failed answer of the token or revoke endpoint.
func (c *Client) tokenFailure(endpoint string, resp *response) error {
	if e := c.precheck(endpoint, resp); e != nil {
		return e
	}
	var j wireError
	if derr := decodeJSON(resp.body, &j); derr == nil {
		if j.Error != "" && j.Timestamp == "" {
			return oauthError(endpoint, resp.status, &j)
		}
		if j.Eroare != "" {
			return classifyText(endpoint, resp.status, j.Eroare, c.cfg.Now())
		}
		if e := familyDError(endpoint, resp.status, &j); e != nil {
			return e
		}
	}
	if resp.status >= 200 && resp.status <= 299 {
		return &Error{Kind: KindMalformed, Endpoint: endpoint, HTTPStatus: resp.status,
			Text: visibleText(resp.body), Err: errors.New("token answer is not JSON")}
	}
	return statusError(endpoint, resp, visibleText(resp.body), nil)
}

// oauthError maps an RFC 6749 error answer ({"error", "error_description"}).
func oauthError(endpoint string, status int, j *wireError) *Error {
	e := &Error{Endpoint: endpoint, HTTPStatus: status, Code: j.Error, Text: j.ErrorDescription}
	if e.Text == "" {
		e.Text = j.Error
	}
	switch j.Error {
	case "invalid_grant", "invalid_client", "unauthorized_client", "access_denied", "invalid_token":
		e.Kind = KindUnauthorized
	case "temporarily_unavailable", "server_error":
		e.Kind = KindTransient
	case "slow_down":
		e.Kind, e.Quota = KindQuota, QuotaRate
	default:
		e.Kind = KindInvalidRequest
		if status >= 500 {
			e.Kind = KindTransient
		}
	}
	return e
}

// JWTExpiry returns the exp claim of a JWT as UTC, decoding the payload only
// (no signature check: ANAF publishes no key). ok is false for opaque tokens
// or a payload without a numeric exp (a number or a numeric string).
func JWTExpiry(token string) (exp time.Time, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) < 2 || parts[1] == "" {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		// Some encoders use the standard alphabet.
		payload, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(parts[1], "="))
		if err != nil {
			return time.Time{}, false
		}
	}
	var claims struct {
		Exp flexString `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return time.Time{}, false
	}
	secs, ok := claims.Exp.int()
	if !ok || secs <= 0 {
		return time.Time{}, false
	}
	return time.Unix(secs, 0).UTC(), true
}
