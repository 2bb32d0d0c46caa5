package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// KeyAuth is an unrevoked API key and its company, as KeyAuthByHash
// finds them.
type KeyAuth struct {
	Key     APIKey
	Company Company
}

// DefaultKeyAuthTTL is how long KeyAuthByHash reuses a lookup when no
// other TTL is set (SetKeyAuthTTL). docs/security.md, "API keys": a key
// revoked through this process stops working at once; revoked by another
// process (another replica, the CLI) within this time.
const DefaultKeyAuthTTL = 5 * time.Second

// maxKeyAuthEntries bounds the cache of key lookups (about 300 bytes
// each); past it, expired entries are dropped, then all of them.
const maxKeyAuthEntries = 20000

// keyAuthCache is the short-lived cache of KeyAuthByHash, shared by a
// Store and the Stores of its transactions. Every write through this
// process that can change an authentication's outcome (a key revoked, a
// member removed with their keys, a company taken over, deleted,
// verified or renamed) bumps epoch after it commits, which invalidates
// every entry: revocation is immediate in this process. Unknown keys are
// never cached, so a new key works at once.
type keyAuthCache struct {
	epoch atomic.Int64
	ttl   atomic.Int64 // nanoseconds; < 0: no caching; 0: DefaultKeyAuthTTL

	mu     sync.Mutex
	byHash map[string]keyAuthEntry
	byID   map[int64]string // key id → hash, to record a touch in the entry
}

type keyAuthEntry struct {
	ka      KeyAuth
	epoch   int64
	expires time.Time
}

func (c *keyAuthCache) lifetime() time.Duration {
	switch d := time.Duration(c.ttl.Load()); {
	case d == 0:
		return DefaultKeyAuthTTL
	case d < 0:
		return 0
	default:
		return d
	}
}

// SetKeyAuthTTL sets how long KeyAuthByHash reuses a lookup (≤ 0: never;
// the store then looks every key up). For this Store and its transactions.
func (s *Store) SetKeyAuthTTL(d time.Duration) {
	if d <= 0 {
		d = -1
	}
	s.keys.ttl.Store(int64(d))
	s.keyAuthChanged()
}

// keyAuthChanged invalidates every cached key lookup. Inside a
// transaction it does so again after the commit (WithTx), so that no
// lookup made before the commit stays cached.
func (s *Store) keyAuthChanged() {
	s.keys.epoch.Add(1)
	if s.inTx && s.keysDirty != nil {
		*s.keysDirty = true
	}
}

// KeyAuthByHash finds an unrevoked key by its SHA-256 with its company
// (one query), reusing a lookup made less than the cache's TTL ago
// (DefaultKeyAuthTTL) unless this process changed keys or companies
// since. ErrNotFound for an unknown or revoked key. The caller owns the
// result (a copy).
func (s *Store) KeyAuthByHash(ctx context.Context, hash []byte) (*KeyAuth, error) {
	ttl := s.keys.lifetime()
	if ttl > 0 && !s.inTx {
		now := time.Now()
		epoch := s.keys.epoch.Load()
		s.keys.mu.Lock()
		e, ok := s.keys.byHash[string(hash)]
		s.keys.mu.Unlock()
		if ok && e.epoch == epoch && now.Before(e.expires) {
			ka := e.ka
			return &ka, nil
		}
		ka, err := s.keyAuthByHash(ctx, hash)
		if err != nil {
			return nil, err
		}
		s.keys.put(string(hash), keyAuthEntry{ka: *ka, epoch: epoch, expires: now.Add(ttl)})
		return ka, nil
	}
	return s.keyAuthByHash(ctx, hash)
}

func (s *Store) keyAuthByHash(ctx context.Context, hash []byte) (*KeyAuth, error) {
	var ka KeyAuth
	k, c := &ka.Key, &ka.Company
	var userID nullIDCol
	userID.dst = &k.UserID
	err := s.queryRow(ctx, `
		SELECT k.id, k.company_id, k.user_id, k.name, k.prefix, k.hash, k.scope, k.created_at, k.last_used_at, k.revoked_at,
			`+companyColumns+`
		FROM api_keys k JOIN companies c ON c.id = k.company_id
		WHERE k.hash = $1 AND k.revoked_at IS NULL`, hash).Scan(
		&k.ID, &k.CompanyID, userID, &k.Name, &k.Prefix, &k.Hash, &k.Scope,
		timeCol{&k.CreatedAt}, nullTimeCol{&k.LastUsedAt}, nullTimeCol{&k.RevokedAt},
		&c.ID, &c.CIF, &c.Name, &c.AutoSync, &c.SyncIntervalMinutes,
		nullTimeCol{&c.LastSyncedUntil}, timeCol{&c.CreatedAt}, &c.Status, nullTimeCol{&c.VerifiedAt})
	if err != nil {
		return nil, s.wrap("api key by hash", err)
	}
	return &ka, nil
}

func (c *keyAuthCache) put(hash string, e keyAuthEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byHash == nil || len(c.byHash) >= maxKeyAuthEntries {
		now := time.Now()
		for h, old := range c.byHash {
			if !now.Before(old.expires) {
				delete(c.byHash, h)
				delete(c.byID, old.ka.Key.ID)
			}
		}
		if c.byHash == nil || len(c.byHash) >= maxKeyAuthEntries {
			c.byHash, c.byID = make(map[string]keyAuthEntry), make(map[int64]string)
		}
	}
	c.byHash[hash] = e
	c.byID[e.ka.Key.ID] = hash
}

// touched records in the cached lookup of key id that it was used at at,
// so that the next lookups do not record it again (TouchAPIKey).
func (c *keyAuthCache) touched(id int64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.byID[id]
	if !ok {
		return
	}
	if e, ok := c.byHash[h]; ok && e.ka.Key.ID == id {
		e.ka.Key.LastUsedAt = &at
		c.byHash[h] = e
	}
}
