package anafsim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// authCode is a pending authorization code (memory only; valid DefaultCodeTTL, single use).
type authCode struct {
	ClientID    string
	RedirectURI string
	Expires     time.Time
	Scoped      bool     // false: the grant covers every CIF the certificate has rights on
	CIFs        []string // when Scoped: the CIFs chosen on the consent page
}

// tokenRec is an issued token (keyed by jti for JWTs, by the token for opaque ones).
type tokenRec struct {
	Kind     string    `json:"kind"` // "access" | "refresh"
	ClientID string    `json:"client_id"`
	JWT      bool      `json:"jwt"`
	Serial   string    `json:"serial"`
	Issued   time.Time `json:"issued"`
	Expires  time.Time `json:"expires"`
	Revoked  bool      `json:"revoked,omitempty"`
	// Scoped false: the grant covers every CIF the certificate holder has
	// rights on (auto-approve, and tokens persisted before grants existed);
	// true: only CIFs.
	Scoped bool     `json:"scoped,omitempty"`
	CIFs   []string `json:"cifs,omitempty"`
}

// TokenResponse is the token endpoint's success body (samples/oauth_token_response.json).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"` // seconds
}

var consentPage = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html lang="ro"><head><meta charset="utf-8"><title>ANAF simulator - autorizare</title></head>
<body>
<h1>ANAF OAuth (simulator)</h1>
<p>Aplicatia <b>{{.ClientID}}</b> cere acces la serviciile e-Factura in numele certificatului
<code>{{.Serial}}</code>.</p>
<form method="post" action="/anaf-oauth2/v1/authorize">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="cifs_shown" value="1">
<fieldset><legend>CIF-uri autorizate</legend>
{{range .CIFs}}<label><input type="checkbox" name="cif" value="{{.}}" checked> {{.}}</label><br>
{{else}}<p>Simulatorul nu cunoaste inca niciun CIF.</p>
{{end}}</fieldset>
<button type="submit" name="decision" value="approve">Aproba</button>
<button type="submit" name="decision" value="deny">Refuza</button>
</form>
</body></html>
`))

// handleAuthorize serves GET (consent page or auto-approve) and POST (decision)
// of /anaf-oauth2/v1/authorize (API.md §2.2).
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	clientID := r.Form.Get("client_id")
	redirectURI := r.Form.Get("redirect_uri")
	state := r.Form.Get("state")
	if r.Form.Get("response_type") != "code" {
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	}
	if s.opts.ClientID != "" && clientID != s.opts.ClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	u, err := url.Parse(redirectURI)
	if err != nil || redirectURI == "" || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		http.Error(w, "invalid redirect_uri: an absolute http(s) URL is required", http.StatusBadRequest)
		return
	}
	deny := func(desc string) {
		q := u.Query()
		q.Set("error", "access_denied")
		if desc != "" {
			q.Set("error_description", desc)
		}
		if state != "" {
			q.Set("state", state)
		}
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	if len(s.opts.RedirectURIs) > 0 && !contains(s.opts.RedirectURIs, redirectURI) {
		deny("redirect_uri is not registered")
		return
	}
	if r.Method == http.MethodGet && !s.opts.AutoApprove {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = consentPage.Execute(w, map[string]any{"ClientID": clientID, "RedirectURI": redirectURI, "State": state,
			"Serial": s.opts.Serial, "CIFs": s.grantableCIFs()})
		return
	}
	if r.Method == http.MethodPost && r.PostForm.Get("decision") != "approve" {
		deny("user denied access")
		return
	}
	code := randomHex(20)
	ac := &authCode{ClientID: clientID, RedirectURI: redirectURI}
	if r.Method == http.MethodPost && r.PostForm.Get("cifs_shown") != "" {
		// consent page: the grant covers exactly the checked CIFs
		ac.Scoped = true
		for _, c := range r.PostForm["cif"] {
			if isDigits(c) && !contains(ac.CIFs, c) {
				ac.CIFs = append(ac.CIFs, c)
			}
		}
	}
	s.mu.Lock()
	ac.Expires = s.now().Add(DefaultCodeTTL)
	s.codes[code] = ac
	s.mu.Unlock()
	q := u.Query()
	q.Set("code", code)
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// clientCreds reads HTTP Basic or client_secret_post credentials.
func clientCreds(r *http.Request) (id, secret string) {
	if id, secret, ok := r.BasicAuth(); ok {
		return id, secret
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
}

// clientOK checks the client's credentials. Basic credentials are taken as
// sent (API.md §2.3: base64(client_id:client_secret)) and, for clients that
// form-encode them first as RFC 6749 §2.3.1 says, also URL-decoded.
func (s *Server) clientOK(id, secret string) bool {
	if s.opts.ClientID == "" {
		return true
	}
	match := func(id, secret string) bool {
		return subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.ClientID)) == 1 &&
			subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) == 1
	}
	if match(id, secret) {
		return true
	}
	uid, err1 := url.QueryUnescape(id)
	usec, err2 := url.QueryUnescape(secret)
	return err1 == nil && err2 == nil && match(uid, usec)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// handleToken serves POST /anaf-oauth2/v1/token (API.md §2.3, §2.4).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "cannot parse form")
		return
	}
	id, secret := clientCreds(r)
	if !s.clientOK(id, secret) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Bad client credentials")
		return
	}
	wantJWT := r.PostForm.Get("token_content_type") == "jwt"
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		c, ok := s.codes[code]
		delete(s.codes, code)
		switch {
		case !ok:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid authorization code")
			return
		case !now.Before(c.Expires):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Authorization code is expired")
			return
		case c.RedirectURI != r.PostForm.Get("redirect_uri"):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Redirect URI mismatch")
			return
		case s.opts.ClientID == "" && id != "" && c.ClientID != id:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Authorization code was issued to another client")
			return
		}
		markOK(r)
		writeJSON(w, http.StatusOK, s.issueLocked(c.ClientID, wantJWT, c.Scoped, c.CIFs))
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		key, rec := s.lookupTokenLocked(rt)
		switch {
		case rec == nil || rec.Kind != "refresh":
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid refresh token")
			return
		case rec.Revoked:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Refresh Token status is revoked")
			return
		case !now.Before(rec.Expires):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Refresh Token status is expired")
			return
		}
		if !s.opts.KeepOldRefreshToken {
			s.st.Tokens[key].Revoked = true
		}
		markOK(r)
		writeJSON(w, http.StatusOK, s.issueLocked(rec.ClientID, wantJWT || rec.JWT, rec.Scoped, rec.CIFs))
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}

// grantableCIFs lists the CIFs offered on the consent page: the
// certificate's rights (Options.RightsCIFs, else every known CIF), sorted.
func (s *Server) grantableCIFs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if len(s.opts.RightsCIFs) > 0 {
		out = append(out, s.opts.RightsCIFs...)
	} else {
		for c := range s.st.Known {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// issueLocked creates and persists an access+refresh pair carrying the grant
// (scoped to cifs when scoped).
func (s *Server) issueLocked(clientID string, jwt, scoped bool, cifs []string) TokenResponse {
	access := s.newTokenLocked("access", clientID, jwt, s.opts.AccessTTL)
	refresh := s.newTokenLocked("refresh", clientID, jwt, s.opts.RefreshTTL)
	for _, k := range []string{access, refresh} {
		if _, rec := s.lookupTokenLocked(k); rec != nil {
			rec.Scoped, rec.CIFs = scoped, append([]string(nil), cifs...)
		}
	}
	s.persistLocked()
	return TokenResponse{AccessToken: access, TokenType: "Bearer", RefreshToken: refresh, ExpiresIn: int64(s.opts.AccessTTL / time.Second)}
}

func (s *Server) newTokenLocked(kind, clientID string, jwt bool, ttl time.Duration) string {
	now := s.now().UTC().Truncate(time.Second)
	rec := &tokenRec{Kind: kind, ClientID: clientID, JWT: jwt, Serial: s.opts.Serial, Issued: now, Expires: now.Add(ttl)}
	if !jwt {
		tok := randomHex(32)
		s.st.Tokens[tok] = rec
		return tok
	}
	jti := uuid()
	s.st.Tokens[jti] = rec
	claims := map[string]any{
		"token_type": "Bearer", "scope": "clientappid info issuer role serial",
		"iss": "https://logincert.anaf.ro", "issuer": "Anaf",
		"role": "HELLO,EFACTURA,ETRANSPORT,SRV_EFACTURA", "serial": s.opts.Serial,
		"clientappid": clientID, "typ": kind,
		"jti": jti, "iat": now.Unix(), "nbf": now.Unix(), "exp": rec.Expires.Unix(),
	}
	return s.signJWT(claims)
}

func (s *Server) signJWT(claims map[string]any) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"anafsim"}`))
	body, _ := json.Marshal(claims)
	signing := header + "." + base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, s.st.JWTSecret)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// lookupTokenLocked finds the record of a JWT (signature checked) or opaque token.
func (s *Server) lookupTokenLocked(tok string) (string, *tokenRec) {
	if tok == "" {
		return "", nil
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		rec := s.st.Tokens[tok]
		if rec == nil || rec.JWT {
			return "", nil
		}
		return tok, rec
	}
	mac := hmac.New(sha256.New, s.st.JWTSecret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return "", nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", nil
	}
	var claims struct {
		JTI string `json:"jti"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return "", nil
	}
	rec := s.st.Tokens[claims.JTI]
	if rec == nil || !rec.JWT {
		return "", nil
	}
	return claims.JTI, rec
}

// handleRevoke serves POST /anaf-oauth2/v1/revoke (API.md §2.5): RFC 7009
// `token` or EFGO's `access_token`/`refresh_token`; 200 with an empty body.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "cannot parse form")
		return
	}
	if id, secret := clientCreds(r); id != "" && !s.clientOK(id, secret) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Bad client credentials")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range []string{"token", "access_token", "refresh_token"} {
		if key, rec := s.lookupTokenLocked(r.PostForm.Get(f)); rec != nil {
			s.st.Tokens[key].Revoked = true
		}
	}
	s.persistLocked()
	w.WriteHeader(http.StatusOK)
}

// authLocked checks the Bearer access token of an API call: a known, unrevoked,
// unexpired JWT access token; false for anything else (opaque tokens included).
func (s *Server) authLocked(r *http.Request) (*tokenRec, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return nil, false
	}
	_, rec := s.lookupTokenLocked(strings.TrimSpace(h[7:]))
	if rec == nil || !rec.JWT || rec.Kind != "access" || rec.Revoked || !s.now().Before(rec.Expires) {
		return nil, false
	}
	return rec, true
}

// unauthorized writes ANAF's 401 (API.md §2.8, samples/http401_invalid_token.json).
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="Invalid access token"`)
	writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized", "status": "401"})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
