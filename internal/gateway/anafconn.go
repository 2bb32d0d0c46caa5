package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/store"
)

// The states of an ANAF connection, named once for the whole product
// (PRODUCT.md §5): the pages, the API's health, the metric
// efactura_anaf_connections{state} and the audit all say these. A token
// row stores connected, needs_attention, reconnect_needed or key_missing;
// refresh_failed is a connected row whose access token expired (ANAF could
// not be reached to refresh it ahead of expiry; retried); disconnected is
// no row.
const (
	ConnConnected       = store.ANAFConnected
	ConnRefreshFailed   = store.ANAFRefreshFailed
	ConnNeedsAttention  = store.ANAFNeedsAttention
	ConnReconnectNeeded = store.ANAFReconnectNeeded
	ConnKeyMissing      = store.ANAFKeyMissing
	ConnDisconnected    = store.ANAFDisconnected

	// TokenConnected is the stored status of a usable grant.
	TokenConnected = ConnConnected
	// NotConnected: no consenting member of the company has a grant.
	NotConnected = ConnDisconnected
)

// ConnStates lists the connection states in the product's order.
var ConnStates = store.ANAFConnStates

// connStateOf is the state of a stored grant at now: its status, or
// refresh_failed for a connected grant whose access token expired.
func connStateOf(t *store.ANAFToken, now time.Time) string {
	if t.Status == ConnConnected && !t.ExpiresAt.After(now) {
		return ConnRefreshFailed
	}
	return t.Status
}

// Refusals of the ANAF connection use cases.
var (
	ErrANAFUnconfigured = &Error{Kind: KindUnavailable, Code: "anaf_unconfigured", Msg: "no ANAF OAuth application is configured"}
	ErrANAFNotConnected = &Error{Kind: KindConflict, Code: "anaf_not_connected", Msg: "you have no ANAF connection"}
	ErrANAFReconnect    = &Error{Kind: KindConflict, Code: "anaf_reconnect", Msg: "the ANAF connection cannot be used: connect again"}
	ErrANAFExchange     = &Error{Kind: KindUnavailable, Code: "anaf_exchange", Msg: "ANAF did not exchange the authorization code"}
	ErrANAFKeyMissing   = &Error{Kind: KindUnavailable, Code: "anaf_key_missing", Msg: "the stored ANAF connection cannot be decrypted: its encryption key is missing; an administrator must put it back (no need to reconnect)"}
)

// ANAFRefusedError is ANAF's own answer to an authorization that did not
// complete: its OAuth error code and description (Reason joins them), and
// Kind, what the door tells the user it means.
type ANAFRefusedError struct {
	Reason string // "code: description", ANAF's words
	Code   string // ANAF's OAuth error code (RFC 6749 §4.1.2.1), e.g. "access_denied"
	Kind   string // one of the OAuthFailure* kinds
}

func (e *ANAFRefusedError) Error() string {
	return "ANAF did not complete the authorization: " + e.Reason
}

// What an OAuth error answer from ANAF means (ANAFRefusedError.Kind).
const (
	// OAuthFailureDenied: the user cancelled or refused at ANAF (access_denied).
	OAuthFailureDenied = "denied"
	// OAuthFailureUnavailable: ANAF failed (server_error,
	// temporarily_unavailable): nobody refused anything; try again later.
	OAuthFailureUnavailable = "unavailable"
	// OAuthFailureConfig: ANAF did not accept the gateway's request
	// (invalid_request, unauthorized_client, invalid_scope,
	// unsupported_response_type): the OAuth application settings are wrong.
	OAuthFailureConfig = "config"
	// OAuthFailureOther: any other code.
	OAuthFailureOther = "other"
)

// oauthFailureKind classifies an OAuth error code from ANAF's redirect.
func oauthFailureKind(code string) string {
	switch code {
	case "access_denied":
		return OAuthFailureDenied
	case "server_error", "temporarily_unavailable":
		return OAuthFailureUnavailable
	case "invalid_request", "unauthorized_client", "invalid_scope", "unsupported_response_type":
		return OAuthFailureConfig
	}
	return OAuthFailureOther
}

// ANAFTestError is a failed ANAF smoke test: Code says what happened (one
// of the ANAFTest* codes), HTTPStatus ANAF's status (0: no answer), Reason
// the technical detail (for the log, not the page).
type ANAFTestError struct {
	Code       string
	HTTPStatus int
	Reason     string
}

func (e *ANAFTestError) Error() string { return e.Reason }

// What a failed ANAF smoke test means (ANAFTestError.Code).
const (
	// ANAFTestUnauthorized: ANAF refused the access token (401/403).
	ANAFTestUnauthorized = "unauthorized"
	// ANAFTestNotFound: ANAF answered 404 for its test service: ANAF's
	// maintenance answers so, and so does a wrong ANAF address.
	ANAFTestNotFound = "not_found"
	// ANAFTestUnavailable: ANAF could not be reached, timed out, answered
	// 5xx or a maintenance/firewall page.
	ANAFTestUnavailable = "unavailable"
	// ANAFTestLimited: ANAF's rate limit (HTTP 429).
	ANAFTestLimited = "limited"
	// ANAFTestUnexpected: any other answer.
	ANAFTestUnexpected = "unexpected"
)

// anafTestError classifies a failed Hello call.
func anafTestError(err error) *ANAFTestError {
	out := &ANAFTestError{Code: ANAFTestUnexpected, Reason: err.Error()}
	var ae *anaf.Error
	if errors.As(err, &ae) {
		out.HTTPStatus = ae.HTTPStatus
	}
	switch {
	case errors.Is(err, anaf.ErrUnauthorized):
		out.Code = ANAFTestUnauthorized
	case out.HTTPStatus == http.StatusNotFound:
		out.Code = ANAFTestNotFound
	case errors.Is(err, anaf.ErrQuota):
		out.Code = ANAFTestLimited
	case errors.Is(err, anaf.ErrTransient):
		out.Code = ANAFTestUnavailable
	}
	return out
}

// ConnState is a company's ANAF connection as its sync sees it: the
// consenting members' grants in the order the sync engine tries them
// (store.ConsentingMembers); the first usable one serves the company.
type ConnState struct {
	// Status is one of ConnStates: ConnConnected when a consenting
	// member's grant is connected, else ConnRefreshFailed when one is
	// connected but its access token expired (the sync still tries it),
	// else the state of the first grant found (e.g. needs_attention),
	// else ConnDisconnected.
	Status string
	// UserID is the member whose grant the sync uses (0: none usable).
	UserID int64
	// ExpiresAt is the access token expiry of that grant (or of the first
	// grant found when none is usable); nil without a grant.
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
	return s.connStateOfGrants(ids, func(id int64) (*store.ANAFToken, error) {
		t, err := s.Store.ANAFTokenByUser(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return t, err
	})
}

// connStateOfGrants is ConnectionState's rule over the consenting
// members ids, their grants read by token (nil, nil: none).
func (s *Service) connStateOfGrants(ids []int64, token func(int64) (*store.ANAFToken, error)) (*ConnState, error) {
	st := &ConnState{Status: ConnDisconnected}
	var stale *ConnState // the first connected grant whose access token expired
	for _, id := range ids {
		t, err := token(id)
		if err != nil {
			return nil, err
		}
		if t == nil {
			continue
		}
		exp := t.ExpiresAt.UTC()
		t.Status = s.keyStatus(t)
		switch state := connStateOf(t, s.now()); {
		case state == ConnConnected:
			return &ConnState{Status: ConnConnected, UserID: id, ExpiresAt: &exp}, nil
		case state == ConnRefreshFailed && stale == nil:
			stale = &ConnState{Status: ConnRefreshFailed, UserID: id, ExpiresAt: &exp}
		case st.Status == ConnDisconnected:
			st.Status, st.ExpiresAt = state, &exp
		}
	}
	if stale != nil {
		return stale, nil
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

// ANAFConnection is the actor's ANAF grant (nil when not connected), its
// state (one of ConnStates) and the companies it serves.
type ANAFConnection struct {
	Token  *store.ANAFToken
	State  string
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
		return &ANAFConnection{State: ConnDisconnected}, nil
	}
	if err != nil {
		return nil, err
	}
	tok.Status = s.keyStatus(tok)
	out := &ANAFConnection{Token: tok, State: connStateOf(tok, s.now())}
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
		return &ANAFRefusedError{Reason: reason, Code: anafError, Kind: oauthFailureKind(anafError)}
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
	s.syncServed(ctx, a)
	return nil
}

// syncServed starts a sync of every company the actor's (new) ANAF
// connection serves: a company added before ANAF was connected, or whose
// sync stopped for want of a usable connection, catches up at once.
// Failures are logged: the connection itself succeeded.
func (s *Service) syncServed(ctx context.Context, a Actor) {
	if s.SyncStarter == nil {
		return
	}
	companies, err := s.Store.CompaniesForUser(ctx, a.UserID)
	if err != nil {
		s.logger().WarnContext(ctx, "listing the companies to sync after connecting ANAF", "user_id", a.UserID, "error", err.Error())
		return
	}
	for i := range companies {
		c := &companies[i]
		st, err := s.ConnectionState(ctx, c.ID)
		if err != nil || st.UserID != a.UserID {
			continue
		}
		if _, err := s.SyncStarter(ctx, c.ID); err != nil {
			s.logger().WarnContext(ctx, "starting a sync after connecting ANAF", "company_id", c.ID, "error", err.Error())
			continue
		}
		s.audit(ctx, a, store.ActionCompanySync, c, "after connecting ANAF")
	}
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
		return "", anafTestError(err)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(answer), "\n")
	if len(first) > 120 {
		first = first[:120] + "…"
	}
	return first, nil
}
