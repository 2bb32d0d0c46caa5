package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
)

// MaxKeyName is the longest API key name, in characters.
const MaxKeyName = 100

// Refusals of the API key use cases.
var (
	ErrKeyNameRequired = &Error{Kind: KindInvalid, Code: "key_name_required", Field: "name", Msg: "the key needs a name"}
	ErrKeyNameLong     = &Error{Kind: KindInvalid, Code: "key_name_long", Field: "name", Msg: fmt.Sprintf("the key name has at most %d characters", MaxKeyName)}
	ErrKeyScope        = &Error{Kind: KindInvalid, Code: "key_scope", Field: "scope", Msg: "the scope must be read or write"}
)

// managed returns a company the actor may administer: one they own, or
// any company for the operator at the command line. ErrNotFound otherwise.
func (s *Service) managed(ctx context.Context, a Actor, companyID int64) (*store.Company, error) {
	if !a.CLI {
		return s.owned(ctx, a, companyID)
	}
	c, err := s.Store.CompanyByID(ctx, companyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	return c, err
}

// CreateAPIKey makes an API key of the company with a name and a scope
// (read or write); owners only, and not while impersonating. The key is
// returned this once: only its hash is stored.
func (s *Service) CreateAPIKey(ctx context.Context, a Actor, companyID int64, name, scope string) (string, *store.APIKey, error) {
	c, err := s.managed(ctx, a, companyID)
	if err != nil {
		return "", nil, err
	}
	if err := CreateCredentialAllowed(a); err != nil {
		return "", nil, err
	}
	name = strings.TrimSpace(name)
	var bad FieldErrors
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		bad = append(bad, ErrKeyNameRequired)
	case n > MaxKeyName:
		bad = append(bad, ErrKeyNameLong)
	}
	if scope != store.ScopeRead && scope != store.ScopeWrite {
		bad = append(bad, ErrKeyScope)
	}
	if len(bad) > 0 {
		return "", nil, bad
	}
	key, prefix, hash, err := auth.NewAPIKey()
	if err != nil {
		return "", nil, err
	}
	k := &store.APIKey{CompanyID: c.ID, UserID: a.UserID, Name: name, Prefix: prefix, Hash: hash, Scope: scope}
	if err := s.Store.CreateAPIKey(ctx, k); err != nil {
		return "", nil, err
	}
	s.auditTarget(ctx, a, store.ActionAPIKeyCreate, store.TargetKey(k.ID), keyDetails(c, k))
	return key, k, nil
}

// keyDetails is how audit details describe a key.
func keyDetails(c *store.Company, k *store.APIKey) string {
	return fmt.Sprintf("%s prefix=%s scope=%s name=%q", store.TargetCompany(c.CIF), k.Prefix, k.Scope, k.Name)
}

// APIKeys lists the company's keys, revoked ones included (owners only).
func (s *Service) APIKeys(ctx context.Context, a Actor, companyID int64) ([]store.APIKey, error) {
	c, err := s.managed(ctx, a, companyID)
	if err != nil {
		return nil, err
	}
	return s.Store.APIKeys(ctx, c.ID)
}

// RevokeAPIKey revokes a live key of the company (owners only; allowed
// while impersonating: revoking takes access away). ErrNotFound when the
// company has no such live key.
func (s *Service) RevokeAPIKey(ctx context.Context, a Actor, companyID, keyID int64) error {
	c, err := s.managed(ctx, a, companyID)
	if err != nil {
		return err
	}
	var k *store.APIKey
	keys, err := s.Store.APIKeys(ctx, c.ID)
	if err != nil {
		return err
	}
	for i := range keys {
		if keys[i].ID == keyID {
			k = &keys[i]
		}
	}
	if k == nil {
		return ErrNotFound
	}
	if err := s.Store.RevokeAPIKey(ctx, c.ID, keyID); errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	s.auditTarget(ctx, a, store.ActionAPIKeyRevoke, store.TargetKey(k.ID), keyDetails(c, k))
	return nil
}
