package mail

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Unsubscribe scopes: what one click on a mail's unsubscribe link turns off.
const (
	ScopeCompany       = "c" // the user's mails about one company (mode none)
	ScopeAll           = "a" // the user's mails about every company they are a member of (a digest)
	ScopeRegistrations = "r" // an admin's mails about new registrations
)

// Unsubscribe is what a signed unsubscribe link says.
type Unsubscribe struct {
	UserID    int64
	CompanyID int64 // ScopeCompany only
	Scope     string
}

// ErrBadToken is a tampered, truncated or foreign unsubscribe link.
var ErrBadToken = errors.New("mail: the unsubscribe link is not valid")

// tokenVersion prefixes the signed payload, so a future format is told apart.
const tokenVersion = "u1"

// deriveKey derives the unsubscribe HMAC key from the secret key
// (EFACTURA_SECRET_KEY) with HKDF-SHA256, so the key material signing
// links is never the one protecting sessions.
func deriveKey(secret string) ([]byte, error) {
	if len(secret) < 16 {
		return nil, errors.New("mail: the secret key is too short to sign unsubscribe links")
	}
	return hkdf.Key(sha256.New, []byte(secret), nil, "efactura mail unsubscribe v1", 32)
}

// Token signs u: base64url(payload) "." base64url(HMAC-SHA256(payload)).
func (s *Service) Token(u Unsubscribe) string {
	payload := strings.Join([]string{tokenVersion, strconv.FormatInt(u.UserID, 10), strconv.FormatInt(u.CompanyID, 10), u.Scope}, ":")
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(s.sign([]byte(payload)))
}

func (s *Service) sign(payload []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(payload)
	return m.Sum(nil)
}

// UnsubscribeURL is the absolute link of u's one-click unsubscribe page.
func (s *Service) UnsubscribeURL(u Unsubscribe) string {
	return s.baseURL + "/unsubscribe?t=" + s.Token(u)
}

// VerifyToken checks a token's signature (in constant time) and reads it.
// ErrBadToken for anything not signed by this gateway's key.
func (s *Service) VerifyToken(token string) (Unsubscribe, error) {
	p64, sig64, ok := strings.Cut(token, ".")
	if !ok || len(token) > 512 {
		return Unsubscribe{}, ErrBadToken
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sig64)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, s.sign(payload)) {
		return Unsubscribe{}, ErrBadToken
	}
	// The decoder skips '\r' and '\n' and ignores a last character's unused
	// bits, so a signed token has other spellings: only the one this gateway
	// wrote is accepted.
	if base64.RawURLEncoding.EncodeToString(payload) != p64 || base64.RawURLEncoding.EncodeToString(sig) != sig64 {
		return Unsubscribe{}, ErrBadToken
	}
	parts := strings.Split(string(payload), ":")
	if len(parts) != 4 || parts[0] != tokenVersion {
		return Unsubscribe{}, ErrBadToken
	}
	uid, err1 := strconv.ParseInt(parts[1], 10, 64)
	cid, err2 := strconv.ParseInt(parts[2], 10, 64)
	u := Unsubscribe{UserID: uid, CompanyID: cid, Scope: parts[3]}
	if err1 != nil || err2 != nil || uid <= 0 {
		return Unsubscribe{}, ErrBadToken
	}
	switch {
	case u.Scope == ScopeCompany && cid > 0, u.Scope == ScopeAll && cid == 0, u.Scope == ScopeRegistrations && cid == 0:
		return u, nil
	}
	return Unsubscribe{}, fmt.Errorf("%w (scope)", ErrBadToken)
}
