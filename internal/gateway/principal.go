package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
)

// KeyPrincipal is an API key acting for its company.
type KeyPrincipal struct {
	CompanyID int64
	Scope     string // ScopeRead or ScopeWrite
	KeyID     int64
	// company is the key's company as AuthenticateKey found it with the
	// key (nil: looked up by the use case), so that a request looks its
	// company up once.
	company *Company
}

// Principal is who asks for an invoice use case: a web user (an Actor),
// or an API key (a KeyPrincipal). Build one with UserPrincipal or
// KeyOf; the zero Principal is nobody and sees nothing.
type Principal struct {
	actor Actor
	key   *KeyPrincipal
}

// UserPrincipal is a web user (or the operator at the CLI).
func UserPrincipal(a Actor) Principal { return Principal{actor: a} }

// KeyOf is an API key of a company with a scope.
func KeyOf(companyID int64, scope string, keyID int64) Principal {
	return Principal{key: &KeyPrincipal{CompanyID: companyID, Scope: scope, KeyID: keyID}}
}

// Key returns the key, when the principal is one.
func (p Principal) Key() (KeyPrincipal, bool) {
	if p.key == nil {
		return KeyPrincipal{}, false
	}
	return *p.key, true
}

// Actor returns the user, when the principal is one.
func (p Principal) Actor() Actor { return p.actor }

// ScopeAllows reports whether a key of scope have may do what needs
// requires: write includes read.
func ScopeAllows(have, needs string) bool {
	return have == needs || have == ScopeWrite && needs == ScopeRead
}

// ErrInsufficientScope: a read key asked for what needs write.
var ErrInsufficientScope = &Error{Kind: KindForbidden, Code: "insufficient_scope", Msg: "this API key's scope does not allow the request"}

// requireScope refuses a key without scope; users pass (their rights are
// their memberships).
func (p Principal) requireScope(scope string) error {
	if p.key != nil && !ScopeAllows(p.key.Scope, scope) {
		return ErrInsufficientScope
	}
	return nil
}

// company is the tenant check of every invoice use case: the company
// (companyID; 0 for a key means its own) the principal may see. A user:
// a company they belong to (ErrNotFound otherwise). A key: its own
// company only (ErrNotFound for any other). Either way an unverified
// company comes back with ErrUnverified: it shows nothing from ANAF.
func (s *Service) company(ctx context.Context, p Principal, companyID int64) (*Company, error) {
	if p.key == nil {
		if p.actor.UserID == 0 {
			return nil, ErrNotFound
		}
		return s.ViewableCompany(ctx, p.actor, companyID)
	}
	if companyID != 0 && companyID != p.key.CompanyID {
		return nil, ErrNotFound
	}
	var c *Company
	if p.key.company != nil && p.key.company.ID == p.key.CompanyID {
		cc := *p.key.company // the caller may change its copy
		c = &cc
	} else {
		var err error
		c, err = s.Store.CompanyByID(ctx, p.key.CompanyID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrNotFound
		}
		if err != nil {
			return nil, err
		}
	}
	if !c.Verified() {
		return c, ErrUnverified
	}
	return c, nil
}

// memberCompany is the tenant check of the sync use cases: as company,
// but an unverified company is allowed (a sync is how ANAF verifies it).
func (s *Service) memberCompany(ctx context.Context, p Principal, companyID int64) (*Company, error) {
	c, err := s.company(ctx, p, companyID)
	if errors.Is(err, ErrUnverified) {
		return c, nil
	}
	return c, err
}

// KeyAuth is an authenticated API key: the principal, the key and its company.
type KeyAuth struct {
	Principal Principal
	Key       *APIKey
	Company   *Company
}

// ErrKeyInvalid: no unrevoked key has that secret.
var ErrKeyInvalid = &Error{Kind: KindNotFound, Code: "invalid_api_key", Msg: "The API key is invalid or has been revoked."}

// ErrKeyLookup: the key could not be checked (the database is down or
// busy); a client must not take it for a revoked key.
var ErrKeyLookup = &Error{Kind: KindUnavailable, Code: "service_unavailable",
	Msg: "The API key could not be checked because the database is unavailable; try again shortly."}

// AuthenticateKey looks up an API key by its secret (already checked to
// look like one, auth.LooksLikeAPIKey) with its company, in one query
// whose answer the store reuses for a few seconds (store.KeyAuthByHash;
// a revocation through this process is seen at once, docs/security.md):
// ErrKeyInvalid when it is unknown or revoked, an ErrKeyLookup copy (with
// the cause) when the lookup fails. The principal carries the company,
// so that the use cases do not look it up again.
func (s *Service) AuthenticateKey(ctx context.Context, secret string) (*KeyAuth, error) {
	ka, err := s.Store.KeyAuthByHash(ctx, auth.HashAPIKey(secret))
	if err == nil {
		k, c := &ka.Key, &ka.Company
		p := KeyOf(k.CompanyID, k.Scope, k.ID)
		cc := *c
		p.key.company = &cc
		return &KeyAuth{Principal: p, Key: k, Company: c}, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrKeyInvalid
	}
	e := *ErrKeyLookup
	e.Cause = err
	return nil, &e
}

// TouchKey records the key's use, at most once a minute; a failure is logged.
func (s *Service) TouchKey(ctx context.Context, k *APIKey) {
	now := s.now().UTC()
	if k.LastUsedAt != nil && now.Sub(*k.LastUsedAt) <= time.Minute {
		return
	}
	if err := s.Store.TouchAPIKey(ctx, k.ID, now); err != nil {
		s.logger().WarnContext(ctx, "recording API key use", "error", err.Error())
	}
}
