package anafsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/store"
)

type token struct {
	userID  int64
	access  string
	refresh string
	row     *store.ANAFToken
}

// token finds a member of the company with a connected ANAF account and
// returns a usable access token, refreshing it first when it is about to expire.
func (e *Engine) token(ctx context.Context, client *anaf.Client, companyID int64) (*token, error) {
	members, err := e.Store.CompanyMemberIDs(ctx, companyID)
	if err != nil {
		return nil, err
	}
	var reconnect bool
	for _, uid := range members {
		row, err := e.Store.ANAFTokenByUser(ctx, uid)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if row.Status != "connected" {
			reconnect = true
			continue
		}
		access, err := e.Secrets.Decrypt(row.AccessTokenEnc)
		if err != nil {
			return nil, fmt.Errorf("decrypting ANAF token of user %d: %w", uid, err)
		}
		refresh, err := e.Secrets.Decrypt(row.RefreshTokenEnc)
		if err != nil {
			return nil, fmt.Errorf("decrypting ANAF refresh token of user %d: %w", uid, err)
		}
		t := &token{userID: uid, access: string(access), refresh: string(refresh), row: row}
		if row.ExpiresAt.Before(e.now().Add(refreshMargin)) {
			t, err = e.refresh(ctx, client, t)
			if err != nil {
				reconnect = true
				continue
			}
		}
		return t, nil
	}
	if reconnect {
		return nil, ErrReconnectNeeded
	}
	return nil, ErrNoConnection
}

// refresh renews t with ANAF and stores the new pair before it is used. A
// refusal marks the connection "reconnect_needed" and is audited.
func (e *Engine) refresh(ctx context.Context, client *anaf.Client, t *token) (*token, error) {
	nt, err := client.Refresh(ctx, t.refresh)
	if err != nil {
		if anaf.IsTransient(err) {
			return nil, fmt.Errorf("refreshing the ANAF token: %w", err)
		}
		row := *t.row
		row.Status = "reconnect_needed"
		row.UpdatedAt = e.now().UTC()
		if serr := e.Store.SaveANAFToken(ctx, &row); serr != nil {
			e.logger().Error("marking ANAF connection", slog.String("error", serr.Error()))
		}
		uid := t.userID
		_ = e.Store.Audit(ctx, &store.AuditEvent{ActorID: &uid, Action: "anaf.refresh_failed", Target: fmt.Sprintf("user:%d", uid), Details: err.Error()})
		return nil, fmt.Errorf("%w (%v)", ErrReconnectNeeded, err)
	}
	accEnc, err := e.Secrets.Encrypt([]byte(nt.AccessToken))
	if err != nil {
		return nil, err
	}
	refEnc, err := e.Secrets.Encrypt([]byte(nt.RefreshToken))
	if err != nil {
		return nil, err
	}
	now := e.now().UTC()
	row := &store.ANAFToken{
		UserID: t.userID, AccessTokenEnc: accEnc, RefreshTokenEnc: refEnc,
		ExpiresAt: nt.ExpiresAt.UTC(), RefreshExpiresAt: nt.RefreshExpiresAt,
		Status: "connected", LastRefreshAt: &now, UpdatedAt: now,
	}
	if err := e.Store.SaveANAFToken(ctx, row); err != nil {
		return nil, fmt.Errorf("storing refreshed ANAF token: %w", err)
	}
	return &token{userID: t.userID, access: nt.AccessToken, refresh: nt.RefreshToken, row: row}, nil
}

// SaveToken encrypts and stores a fresh grant for a user (after the OAuth callback or in the demo).
func SaveToken(ctx context.Context, st *store.Store, enc interface {
	Encrypt([]byte) ([]byte, error)
}, userID int64, t *anaf.Token) error {
	accEnc, err := enc.Encrypt([]byte(t.AccessToken))
	if err != nil {
		return err
	}
	refEnc, err := enc.Encrypt([]byte(t.RefreshToken))
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	return st.SaveANAFToken(ctx, &store.ANAFToken{
		UserID: userID, AccessTokenEnc: accEnc, RefreshTokenEnc: refEnc,
		ExpiresAt: t.ExpiresAt.UTC(), RefreshExpiresAt: t.RefreshExpiresAt,
		Status: "connected", LastRefreshAt: &now, UpdatedAt: now,
	})
}
