package anafsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
)

// ErrKeyMissing means a stored ANAF token cannot be decrypted with
// EFACTURA_ENCRYPTION_KEY: the key it was sealed with was removed from it
// or replaced under the same kid. The connection is kept (status
// key_missing): an operator puts the key back and it works again, without
// the user reconnecting.
var ErrKeyMissing = errors.New("the stored ANAF connection cannot be decrypted: its encryption key is missing from EFACTURA_ENCRYPTION_KEY; " +
	"an operator must put that key back (the connection then works again, no reconnect needed)")

// keyMissingError names the user and the kid of an undecryptable token.
func keyMissingError(row *store.ANAFToken) error {
	kid, err := secretbox.KIDOf(row.AccessTokenEnc)
	if err != nil {
		kid = "?"
	}
	return fmt.Errorf("%w (user %d, key %q)", ErrKeyMissing, row.UserID, kid)
}

// keyMissing handles a stored token that does not decrypt (cause): the
// connection becomes key_missing — only its status changes, and only from
// connected, so a pair another process has just stored is never
// overwritten — audited once, and ErrKeyMissing is returned. Never
// reconnect_needed: the grant is still good at ANAF.
func (e *Engine) keyMissing(ctx context.Context, row *store.ANAFToken, cause error) error {
	kerr := keyMissingError(row)
	e.logger().Error("stored ANAF token cannot be decrypted: connection marked key_missing until the key is back in EFACTURA_ENCRYPTION_KEY",
		slog.Int64("user_id", row.UserID), slog.String("error", cause.Error()))
	changed, err := e.Store.SetANAFTokenStatusIf(context.WithoutCancel(ctx), row.UserID, StatusConnected, StatusKeyMissing)
	if err != nil {
		e.logger().Error("marking the ANAF connection key_missing", slog.Int64("user_id", row.UserID), slog.String("error", err.Error()))
	}
	if changed {
		uid := row.UserID
		if aerr := e.Store.Audit(ctx, &store.AuditEvent{ActorID: &uid, Action: store.ActionANAFTokenUndecryptable, Target: store.TargetUser(uid),
			Details: kerr.Error()}); aerr != nil {
			e.logger().Error("auditing an undecryptable ANAF token", slog.String("error", aerr.Error()))
		}
	}
	return kerr
}

// keyBack tries a key_missing row again: when the keyring now opens both
// tokens (the key was put back), the connection is connected again
// (row.Status too), audited. Otherwise row is left as it is.
func (e *Engine) keyBack(ctx context.Context, row *store.ANAFToken) {
	if _, err := e.decrypt(row); err != nil {
		return
	}
	changed, err := e.Store.SetANAFTokenStatusIf(ctx, row.UserID, StatusKeyMissing, StatusConnected)
	if err != nil {
		e.logger().Error("restoring an ANAF connection whose key is back", slog.Int64("user_id", row.UserID), slog.String("error", err.Error()))
		return
	}
	if !changed { // changed meanwhile (another process, a reconnect): take the row as it is now
		if cur, err := e.Store.ANAFTokenByUser(ctx, row.UserID); err == nil {
			*row = *cur
		}
		return
	}
	row.Status = StatusConnected
	{
		uid := row.UserID
		e.logger().Info("ANAF connection usable again: its encryption key is back", slog.Int64("user_id", uid))
		_ = e.Store.Audit(ctx, &store.AuditEvent{ActorID: &uid, Action: store.ActionANAFTokenKeyRestored, Target: store.TargetUser(uid),
			Details: "the stored ANAF token decrypts again with EFACTURA_ENCRYPTION_KEY"})
	}
}
