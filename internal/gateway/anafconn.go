package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Token statuses (store.ANAFToken.Status) and the state of a company without one.
const (
	TokenConnected = "connected"
	// NotConnected: no consenting member of the company has a grant.
	NotConnected = "not_connected"
)

// Refusals of the ANAF connection use cases.
var (
	ErrANAFUnconfigured = &Error{Kind: KindUnavailable, Code: "anaf_unconfigured", Msg: "no ANAF OAuth application is configured"}
	ErrANAFNotConnected = &Error{Kind: KindConflict, Code: "anaf_not_connected", Msg: "you have no ANAF connection"}
	ErrANAFReconnect    = &Error{Kind: KindConflict, Code: "anaf_reconnect", Msg: "the ANAF connection cannot be used: connect again"}
	ErrANAFExchange     = &Error{Kind: KindUnavailable, Code: "anaf_exchange", Msg: "ANAF did not exchange the authorization code"}
	ErrANAFKeyMissing   = &Error{Kind: KindUnavailable, Code: "anaf_key_missing", Msg: "the stored ANAF connection cannot be decrypted: its encryption key is missing; an administrator must put it back (no need to reconnect)"}
)

// ANAFRefusedError is ANAF's own refusal of an authorization (its error
// and description), shown to the user.
type ANAFRefusedError struct{ Reason string }

func (e *ANAFRefusedError) Error() string { return "ANAF refused the authorization: " + e.Reason }

// ANAFTestError is a failed ANAF smoke test; Reason is ANAF's or the network's answer.
type ANAFTestError struct{ Reason string }

func (e *ANAFTestError) Error() string { return e.Reason }

// ConnState is a company's ANAF connection as its sync sees it: the
// consenting members' grants in the order the sync engine tries them
// (store.ConsentingMembers); the first connected one serves the company.
type ConnState struct {
	// Status is TokenConnected when a consenting member's grant is
	// connected, else the status of the first grant found (e.g.
	// "reconnect_needed"), else NotConnected.
	Status string
	// UserID is the member whose grant the sync uses (0: none connected).
	UserID int64
	// ExpiresAt is the access token expiry of that grant (or of the first
	// grant found when none is connected); nil without a grant.
	ExpiresAt *time.Time
}

// ConnectionState is a company's ANAF connection: the one rule the web
// pages and the API's health share. It does not check the caller's
// access: the door has loaded the company for its principal.
func (s *Service) ConnectionState(ctx context.Context, companyID int64) (*ConnState, error) {
	ids, err := s.Store.ConsentingMembers(ctx, companyID, s.now())
	if err != nil {
		return nil, err
	}
	st := &ConnState{Status: NotConnected}
	for _, id := range ids {
		t, err := s.Store.ANAFTokenByUser(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		exp := t.ExpiresAt.UTC()
		t.Status = s.keyStatus(t)
		if t.Status == TokenConnected {
			return &ConnState{Status: TokenConnected, UserID: id, ExpiresAt: &exp}, nil
		}
		if st.Status == NotConnected {
			st.Status, st.ExpiresAt = t.Status, &exp
		}
	}
	return st, nil
}

// TokenKeyMissing: the stored grant cannot be decrypted with
// EFACTURA_ENCRYPTION_KEY (its key was removed or replaced); it works again
// once an operator puts the key back, without reconnecting.
const TokenKeyMissing = anafsync.StatusKeyMissing

// keyStatus is a grant's status as this process can use it: a connected
// or key_missing grant is connected when the keyring opens both tokens
// (the key is back: it works again without reconnecting) and key_missing
// when it does not; any other status is the stored one.
func (s *Service) keyStatus(t *store.ANAFToken) string {
	if s.Secrets == nil || t.Status != TokenConnected && t.Status != TokenKeyMissing {
		return t.Status
	}
	if _, err := s.Secrets.Decrypt(t.AccessTokenEnc); err != nil {
		return TokenKeyMissing
	}
	if _, err := s.Secrets.Decrypt(t.RefreshTokenEnc); err != nil {
		return TokenKeyMissing
	}
	return TokenConnected
}

// ServedCompany is a company whose sync uses the actor's ANAF grant, with its latest sync run.
type ServedCompany struct {
	Company  store.Company
	LastSync *store.SyncRun
}

// ANAFConnection is the actor's ANAF grant (nil when not connected) and
// the companies it serves.
type ANAFConnection struct {
	Token  *store.ANAFToken
	Served []ServedCompany
}

// HasANAFConnection reports whether the actor's ANAF connection is live
// ("connected"), cheaply (the companies page).
func (s *Service) HasANAFConnection(ctx context.Context, a Actor) (bool, error) {
	tok, err := s.Store.ANAFTokenByUser(ctx, a.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return s.keyStatus(tok) == TokenConnected, nil
}

// MyANAFConnection returns the actor's grant and the companies whose sync uses it.
func (s *Service) MyANAFConnection(ctx context.Context, a Actor) (*ANAFConnection, error) {
	tok, err := s.Store.ANAFTokenByUser(ctx, a.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return &ANAFConnection{}, nil
	}
	if err != nil {
		return nil, err
	}
	tok.Status = s.keyStatus(tok)
	out := &ANAFConnection{Token: tok}
	companies, err := s.Store.CompaniesForUser(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	for _, c := range companies {
		st, err := s.ConnectionState(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		if st.UserID != a.UserID {
			continue
		}
		sc := ServedCompany{Company: c}
		if run, err := s.Store.LastSyncRun(ctx, c.ID); err == nil {
			sc.LastSync = run
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		out.Served = append(out.Served, sc)
	}
	return out, nil
}

func (s *Service) anafClient(ctx context.Context) (*anaf.Client, error) {
	if s.ANAFClient == nil {
		return nil, ErrANAFUnconfigured
	}
	c, err := s.ANAFClient(ctx)
	if err != nil {
		s.logger().WarnContext(ctx, "anaf client unavailable", "error", err.Error())
		return nil, &Error{Kind: KindUnavailable, Code: ErrANAFUnconfigured.Code, Msg: ErrANAFUnconfigured.Msg, Cause: err}
	}
	return c, nil
}

// ConnectANAF starts the OAuth authorization code flow: it returns ANAF's
// authorize URL and the random state the door keeps (the web session)
// until the callback. Not while impersonating.
func (s *Service) ConnectANAF(ctx context.Context, a Actor) (authURL, state string, err error) {
	if err := CreateCredentialAllowed(a); err != nil {
		return "", "", err
	}
	client, err := s.anafClient(ctx)
	if err != nil {
		return "", "", err
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	state = base64.RawURLEncoding.EncodeToString(b)
	return client.AuthCodeURL(state), state, nil
}

// ANAFCallback completes the flow once the door has matched the state:
// anafError (with its description) is ANAF's refusal, audited; otherwise
// the code is exchanged and the grant stored encrypted
// (anafsync.SaveToken). Not while impersonating.
func (s *Service) ANAFCallback(ctx context.Context, a Actor, code, anafError, description string) error {
	if err := CreateCredentialAllowed(a); err != nil {
		return err
	}
	if anafError != "" {
		reason := anafError
		if description != "" {
			reason += ": " + description
		}
		s.auditTarget(ctx, a, store.ActionANAFConnectFailed, store.TargetUser(a.UserID), reason)
		return &ANAFRefusedError{Reason: reason}
	}
	client, err := s.anafClient(ctx)
	if err != nil {
		return err
	}
	if s.Secrets == nil {
		return errors.New("gateway: no keyring to encrypt ANAF tokens")
	}
	tok, err := client.Exchange(ctx, code)
	if err != nil {
		s.logger().WarnContext(ctx, "anaf code exchange failed", "user_id", a.UserID, "error", err.Error())
		s.auditTarget(ctx, a, store.ActionANAFConnectFailed, store.TargetUser(a.UserID), "code exchange failed")
		return &Error{Kind: KindUnavailable, Code: ErrANAFExchange.Code, Msg: ErrANAFExchange.Msg, Cause: err}
	}
	if err := anafsync.SaveToken(ctx, s.Store, s.Secrets, a.UserID, tok); err != nil {
		return err
	}
	s.auditTarget(ctx, a, store.ActionANAFConnect, store.TargetUser(a.UserID), "")
	return nil
}

// DisconnectANAF revokes the actor's grant at ANAF (best effort: the
// local copy is deleted even when ANAF cannot be reached) and deletes it.
func (s *Service) DisconnectANAF(ctx context.Context, a Actor) error {
	s.revokeAtANAF(ctx, a.UserID)
	if err := s.Store.DeleteANAFToken(ctx, a.UserID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.auditTarget(ctx, a, store.ActionANAFDisconnect, store.TargetUser(a.UserID), "")
	return nil
}

// revokeAtANAF asks ANAF to revoke the user's refresh token; failures are logged only.
func (s *Service) revokeAtANAF(ctx context.Context, userID int64) {
	tok, err := s.Store.ANAFTokenByUser(ctx, userID)
	if err != nil || s.Secrets == nil || s.ANAFClient == nil {
		return
	}
	client, err := s.ANAFClient(ctx)
	if err != nil {
		return
	}
	refresh, err := s.Secrets.Decrypt(tok.RefreshTokenEnc)
	if err != nil {
		s.logger().WarnContext(ctx, "anaf revoke: decrypt refresh token", "user_id", userID, "error", err.Error())
		return
	}
	if err := client.Revoke(ctx, string(refresh)); err != nil {
		s.logger().WarnContext(ctx, "anaf revoke failed", "user_id", userID, "error", err.Error())
	}
}

// TestANAF calls ANAF's OAuth smoke test (GET /TestOauth/jaxrs/hello)
// with the actor's access token and returns the first line of its answer.
func (s *Service) TestANAF(ctx context.Context, a Actor) (string, error) {
	tok, err := s.Store.ANAFTokenByUser(ctx, a.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrANAFNotConnected
	}
	if err != nil {
		return "", err
	}
	if s.Secrets == nil {
		return "", ErrANAFUnconfigured
	}
	access, err := s.Secrets.Decrypt(tok.AccessTokenEnc)
	if err != nil {
		return "", ErrANAFKeyMissing
	}
	client, err := s.anafClient(ctx)
	if err != nil {
		return "", err
	}
	answer, err := client.Hello(ctx, string(access))
	if err != nil {
		s.logger().WarnContext(ctx, "anaf hello failed", "user_id", a.UserID, "error", err.Error())
		return "", &ANAFTestError{Reason: err.Error()}
	}
	first, _, _ := strings.Cut(strings.TrimSpace(answer), "\n")
	if len(first) > 120 {
		first = first[:120] + "…"
	}
	return first, nil
}
