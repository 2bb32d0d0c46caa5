package anafsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Token row statuses (store.ANAFToken.Status).
const (
	StatusConnected       = "connected"
	StatusReconnectNeeded = "reconnect_needed"
)

type token struct {
	userID  int64
	access  string
	refresh string
	row     *store.ANAFToken
}

// userLock returns the mutex serialising token refreshes of one user, so
// two syncs of companies sharing a member never spend the same refresh
// token twice (ANAF invalidates a refresh token once used; the second
// refresh would fail and wrongly mark the connection "reconnect_needed").
func (e *Engine) userLock(userID int64) *sync.Mutex {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.userLocks == nil {
		e.userLocks = map[int64]*sync.Mutex{}
	}
	m, ok := e.userLocks[userID]
	if !ok {
		m = &sync.Mutex{}
		e.userLocks[userID] = m
	}
	return m
}

// decrypt turns a stored row into a usable token.
func (e *Engine) decrypt(row *store.ANAFToken) (*token, error) {
	access, err := e.Secrets.Decrypt(row.AccessTokenEnc)
	if err != nil {
		return nil, fmt.Errorf("decrypting the ANAF access token of user %d: %w", row.UserID, err)
	}
	refresh, err := e.Secrets.Decrypt(row.RefreshTokenEnc)
	if err != nil {
		return nil, fmt.Errorf("decrypting the ANAF refresh token of user %d: %w", row.UserID, err)
	}
	return &token{userID: row.UserID, access: string(access), refresh: string(refresh), row: row}, nil
}

// token finds a member of the company with a connected ANAF account and
// returns a usable access token, refreshing it first when it expires within
// refreshMargin. Members are tried in CompanyMemberIDs order.
//
// Errors: ErrNoConnection (no member has a token row), ErrReconnectNeeded
// (every connected member's refresh was refused, or the rows are marked
// reconnect_needed; the first refusal is wrapped for its text), or the
// last transient refresh failure when a refresh could not be attempted and
// the access token has already expired.
func (e *Engine) token(ctx context.Context, client *anaf.Client, companyID int64) (*token, error) {
	members, err := e.Store.CompanyMemberIDs(ctx, companyID)
	if err != nil {
		return nil, fmt.Errorf("reading the company's members: %w", err)
	}
	var reconnectErr, lastErr error
	for _, uid := range members {
		row, err := e.Store.ANAFTokenByUser(ctx, uid)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading the ANAF token of user %d: %w", uid, err)
		}
		if row.Status != StatusConnected {
			if reconnectErr == nil {
				reconnectErr = ErrReconnectNeeded
			}
			continue
		}
		t, err := e.decrypt(row)
		if err != nil {
			// Encrypted with a key EFACTURA_ENCRYPTION_KEY no longer holds:
			// unusable until the user connects again, so say so (page, health).
			e.logger().Error("stored ANAF token cannot be decrypted", slog.Int64("user_id", uid), slog.String("error", err.Error()))
			bad := *row
			bad.Status = StatusReconnectNeeded
			if serr := e.Store.SaveANAFToken(ctx, &bad); serr != nil {
				e.logger().Error("marking ANAF connection", slog.String("error", serr.Error()))
			}
			actor := uid
			_ = e.Store.Audit(ctx, &store.AuditEvent{ActorID: &actor, Action: "anaf.token_undecryptable", Target: fmt.Sprintf("user:%d", uid),
				Details: "the stored ANAF token cannot be decrypted with EFACTURA_ENCRYPTION_KEY (was the key changed or removed?)"})
			if reconnectErr == nil || reconnectErr == ErrReconnectNeeded {
				reconnectErr = fmt.Errorf("%w (the stored ANAF token cannot be decrypted with EFACTURA_ENCRYPTION_KEY: was the key changed?)", ErrReconnectNeeded)
			}
			continue
		}
		if !row.ExpiresAt.Before(e.now().Add(refreshMargin)) {
			return t, nil
		}
		nt, err := e.refresh(ctx, client, t)
		switch {
		case err == nil:
			return nt, nil
		case errors.Is(err, ErrReconnectNeeded):
			if reconnectErr == nil || reconnectErr == ErrReconnectNeeded {
				reconnectErr = err
			}
		case ctx.Err() != nil:
			return nil, err
		case row.ExpiresAt.After(e.now()):
			// ANAF could not be reached to refresh, but the access token
			// still works: use it and refresh on a later run.
			e.logger().Warn("ANAF token refresh failed; using the current access token until it expires",
				slog.Int64("user_id", uid), slog.Time("expires_at", row.ExpiresAt), slog.String("error", err.Error()))
			return t, nil
		default:
			lastErr = err
		}
	}
	switch {
	case lastErr != nil:
		return nil, lastErr
	case reconnectErr != nil:
		return nil, reconnectErr
	}
	return nil, ErrNoConnection
}

// refresh renews t with ANAF and stores the new pair, encrypted, before it
// is used. Refreshes of one user are serialised; when another sync already
// rotated the pair, that pair is returned without calling ANAF.
//
// A refusal (anaf.ErrUnauthorized: invalid_grant, invalid_client) marks the
// connection "reconnect_needed", writes the audit event
// "anaf.refresh_failed" and returns an error wrapping ErrReconnectNeeded.
// Other failures (transient, canceled) are returned wrapped and change nothing.
func (e *Engine) refresh(ctx context.Context, client *anaf.Client, t *token) (*token, error) {
	mu := e.userLock(t.userID)
	mu.Lock()
	defer mu.Unlock()

	var out *token
	// The cross-process lock (PostgreSQL advisory lock; SQLite: the mutex
	// above, one process) covers read, refresh and store. The spent refresh
	// token must be replaced even if the sync is being canceled, so the
	// locked section ignores ctx's cancellation.
	wctx := context.WithoutCancel(ctx)
	err := e.Store.WithUserTokenLock(wctx, t.userID, func(st *store.Store) error {
		var err error
		out, err = e.refreshLocked(ctx, wctx, st, client, t)
		return err
	})
	return out, err
}

// refreshLocked is refresh under the user's locks; st is the locked Store
// (on PostgreSQL the transaction holding the advisory lock). The
// reconnect_needed marking and its audit event go through e.Store, outside
// that transaction, so the rollback the returned error causes keeps them.
func (e *Engine) refreshLocked(ctx, wctx context.Context, st *store.Store, client *anaf.Client, t *token) (*token, error) {
	// Another sync (in any process) may have refreshed, or failed to, while we waited.
	if row, err := st.ANAFTokenByUser(wctx, t.userID); err == nil {
		if row.Status != StatusConnected {
			return nil, ErrReconnectNeeded
		}
		if cur, err := e.decrypt(row); err == nil && cur.refresh != t.refresh {
			return cur, nil
		}
	}

	nt, err := client.Refresh(ctx, t.refresh)
	if err != nil {
		if !errors.Is(err, anaf.ErrUnauthorized) {
			return nil, fmt.Errorf("refreshing the ANAF token: %w", err)
		}
		// Another process may still hold a valid pair: only the status changes.
		// Stored outside the locked transaction so the rollback that the
		// error causes does not undo it.
		row := *t.row
		row.Status = StatusReconnectNeeded
		row.UpdatedAt = e.now().UTC()
		if serr := e.Store.SaveANAFToken(wctx, &row); serr != nil {
			e.logger().Error("marking the ANAF connection reconnect_needed", slog.Int64("user_id", t.userID), slog.String("error", serr.Error()))
		}
		uid := t.userID
		if aerr := e.Store.Audit(wctx, &store.AuditEvent{ActorID: &uid, Action: "anaf.refresh_failed",
			Target: fmt.Sprintf("user:%d", uid), Details: err.Error()}); aerr != nil {
			e.logger().Error("auditing the ANAF refresh failure", slog.String("error", aerr.Error()))
		}
		return nil, fmt.Errorf("%w (%w)", ErrReconnectNeeded, err)
	}
	row, err := sealToken(e.Secrets, t.userID, nt, e.now())
	if err != nil {
		return nil, err
	}
	if err := st.SaveANAFToken(wctx, row); err != nil {
		return nil, fmt.Errorf("storing the refreshed ANAF token: %w", err)
	}
	return &token{userID: t.userID, access: nt.AccessToken, refresh: nt.RefreshToken, row: row}, nil
}

// RefreshUser refreshes a user's connected ANAF token now (the
// refresh_tokens job, ahead of expiry), under the same locks as a sync's
// refresh. A token another process rotated meanwhile is left as it is.
// Errors: store.ErrNotFound (no token), ErrReconnectNeeded (refused, or
// the row is not connected; marked and audited), decryption, transient
// ANAF failures (nothing changes).
func (e *Engine) RefreshUser(ctx context.Context, client *anaf.Client, userID int64) error {
	row, err := e.Store.ANAFTokenByUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("reading the ANAF token of user %d: %w", userID, err)
	}
	if row.Status != StatusConnected {
		return ErrReconnectNeeded
	}
	t, err := e.decrypt(row)
	if err != nil {
		return err
	}
	_, err = e.refresh(ctx, client, t)
	return err
}

// encrypter is what SaveToken needs of a *secretbox.Keyring.
type encrypter interface {
	Encrypt([]byte) ([]byte, error)
}

// sealToken encrypts a grant into a "connected" row; LastRefreshAt and
// UpdatedAt are now (UTC).
func sealToken(enc encrypter, userID int64, t *anaf.Token, now time.Time) (*store.ANAFToken, error) {
	accEnc, err := enc.Encrypt([]byte(t.AccessToken))
	if err != nil {
		return nil, fmt.Errorf("encrypting the ANAF access token: %w", err)
	}
	refEnc, err := enc.Encrypt([]byte(t.RefreshToken))
	if err != nil {
		return nil, fmt.Errorf("encrypting the ANAF refresh token: %w", err)
	}
	now = now.UTC()
	return &store.ANAFToken{
		UserID: userID, AccessTokenEnc: accEnc, RefreshTokenEnc: refEnc,
		ExpiresAt: t.ExpiresAt.UTC(), RefreshExpiresAt: t.RefreshExpiresAt,
		Status: StatusConnected, LastRefreshAt: &now, UpdatedAt: now,
	}, nil
}

// SaveToken encrypts and stores a fresh grant for a user (after the OAuth
// callback or in the demo) with status "connected". Errors: encryption, store.
func SaveToken(ctx context.Context, st *store.Store, enc interface {
	Encrypt([]byte) ([]byte, error)
}, userID int64, t *anaf.Token) error {
	row, err := sealToken(enc, userID, t, time.Now())
	if err != nil {
		return err
	}
	return st.SaveANAFToken(ctx, row)
}
