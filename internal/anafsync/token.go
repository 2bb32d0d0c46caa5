package anafsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Token row statuses (store.ANAFToken.Status): the stored ones of the
// product's connection states (store.ANAFConnStates).
const (
	StatusConnected       = store.ANAFConnected
	StatusNeedsAttention  = store.ANAFNeedsAttention
	StatusReconnectNeeded = store.ANAFReconnectNeeded
	StatusKeyMissing      = store.ANAFKeyMissing
)

// ErrNeedsAttention means ANAF kept refusing a member's access token,
// which had not expired, even right after a refresh (HTTP 401
// invalid_token): the connection is marked needs_attention and not used
// until the user connects again.
var ErrNeedsAttention = errors.New("ANAF refuses this ANAF connection's access token although it has not expired, " +
	"even right after a refresh: connect again on the ANAF page")

// notConnectedErr is the error for a token row whose status is not connected.
func notConnectedErr(status string) error {
	if status == StatusNeedsAttention {
		return ErrNeedsAttention
	}
	return ErrReconnectNeeded
}

// refusedAfterRefresh handles ANAF refusing (cause: anaf.ErrUnauthorized)
// an access token it has just issued by a refresh: the member's connection
// becomes needs_attention (stored, audited "anaf.needs_attention") and the
// returned error wraps ErrNeedsAttention and cause. It is marked only
// while the stored pair is still t's: a pair stored meanwhile (a reconnect)
// is left alone.
func (e *Engine) refusedAfterRefresh(ctx context.Context, t *token, cause error) error {
	ctx = context.WithoutCancel(ctx)
	uid := t.userID
	row, err := e.Store.ANAFTokenByUser(ctx, uid)
	switch {
	case err != nil:
		e.logger().Error("reading the ANAF token to mark it needs_attention", slog.Int64("user_id", uid), slog.String("error", err.Error()))
	case t.row != nil && !bytes.Equal(row.RefreshTokenEnc, t.row.RefreshTokenEnc):
		// Replaced since this sync read it: the new pair gets its own chance.
	case row.Status == StatusConnected:
		row.Status = StatusNeedsAttention
		if err := e.Store.SaveANAFToken(ctx, row); err != nil {
			e.logger().Error("marking the ANAF connection needs_attention", slog.Int64("user_id", uid), slog.String("error", err.Error()))
			break
		}
		e.logger().Warn("ANAF refused a fresh access token: the ANAF connection needs attention",
			slog.Int64("user_id", uid), slog.String("error", cause.Error()))
		if err := e.Store.Audit(ctx, &store.AuditEvent{ActorID: &uid, Action: store.ActionANAFNeedsAttention,
			Target: store.TargetUser(uid), Details: cause.Error()}); err != nil {
			e.logger().Error("auditing the ANAF connection needs_attention", slog.String("error", err.Error()))
		}
	}
	return fmt.Errorf("%w (%w)", ErrNeedsAttention, cause)
}

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

// NotCoveredFor is how long a member's token is not tried again for a CIF
// after ANAF refused it ("Nu aveti drept in SPV pentru CIF=…").
const NotCoveredFor = 24 * time.Hour

// ErrNotCovered means ANAF refused the token for the CIF: the certificate
// has no SPV right on it (or the grant does not include it).
var ErrNotCovered = errors.New("ANAF says this ANAF connection has no rights in SPV for the CIF")

// token returns a usable access token of a member who consents to lend
// their ANAF connection to the company and whose token ANAF has not
// refused for the CIF in the last NotCoveredFor (the member whose token
// last worked comes first). Users in skip are not tried. It refreshes the
// token first when it expires within refreshMargin. No other token is
// ever used.
//
// Errors: ErrNoConnection (no consenting member has a token
// row), ErrReconnectNeeded (every consenting member's refresh was refused,
// or the rows are marked reconnect_needed; the first refusal is wrapped
// for its text), or the last transient refresh failure when a refresh
// could not be attempted and the access token has already expired.
func (e *Engine) token(ctx context.Context, client *anaf.Client, companyID int64, skip map[int64]bool) (*token, error) {
	members, err := e.Store.ConsentingMembers(ctx, companyID, e.now())
	if err != nil {
		return nil, fmt.Errorf("reading the company's members: %w", err)
	}
	var reconnectErr, lastErr error
	for _, uid := range members {
		if skip[uid] {
			continue
		}
		t, err := e.userToken(ctx, client, uid)
		switch {
		case err == nil:
			return t, nil
		case errors.Is(err, errNoToken):
			continue
		case errors.Is(err, ErrReconnectNeeded), errors.Is(err, ErrNeedsAttention):
			// Identity, not errors.Is: a bare sentinel (no refusal text)
			// gives way to a later refusal; the first wrapped one is kept.
			if reconnectErr == nil || reconnectErr == ErrReconnectNeeded || reconnectErr == ErrNeedsAttention { //nolint:errorlint // identity with the bare sentinel is the point

				reconnectErr = err
			}
		case ctx.Err() != nil:
			return nil, err
		case errors.Is(err, errReadToken):
			return nil, err
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
	if n, err := e.Store.CountRefusedConsenting(ctx, companyID, e.now()); err == nil && n > 0 {
		return nil, ErrAllRefused
	}
	return nil, ErrNoConnection
}

// ErrAllRefused means ANAF refused, within NotCoveredFor, the tokens of
// every member who lends theirs to the company ("Nu aveti drept in SPV").
var ErrAllRefused = fmt.Errorf("%w: ANAF refused in the last 24 hours the ANAF connections lent to this company (\"Nu aveti drept in SPV\"): "+
	"their certificates have no rights on its CIF; a member whose rights cover it can lend theirs", ErrNoConnection)

var (
	errNoToken   = errors.New("the user has no ANAF connection")
	errReadToken = errors.New("reading the ANAF token")
)

// userToken returns a usable access token of one user, refreshing it first
// when it expires within refreshMargin. Errors: errNoToken, errReadToken,
// ErrReconnectNeeded (not connected, undecryptable, or refresh refused),
// transient refresh failures when the access token already expired.
func (e *Engine) userToken(ctx context.Context, client *anaf.Client, uid int64) (*token, error) {
	row, err := e.Store.ANAFTokenByUser(ctx, uid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoToken
	}
	if err != nil {
		return nil, fmt.Errorf("%w of user %d: %w", errReadToken, uid, err)
	}
	if row.Status != StatusConnected {
		return nil, notConnectedErr(row.Status)
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
		_ = e.Store.Audit(ctx, &store.AuditEvent{ActorID: &actor, Action: store.ActionANAFTokenUndecryptable, Target: store.TargetUser(uid),
			Details: "the stored ANAF token cannot be decrypted with EFACTURA_ENCRYPTION_KEY (was the key changed or removed?)"})
		return nil, fmt.Errorf("%w (the stored ANAF token cannot be decrypted with EFACTURA_ENCRYPTION_KEY: was the key changed?)", ErrReconnectNeeded)
	}
	if !row.ExpiresAt.Before(e.now().Add(refreshMargin)) {
		return t, nil
	}
	nt, err := e.refresh(ctx, client, t)
	switch {
	case err == nil:
		return nt, nil
	case errors.Is(err, ErrReconnectNeeded), errors.Is(err, ErrNeedsAttention), ctx.Err() != nil:
		return nil, err
	case row.ExpiresAt.After(e.now()):
		// ANAF could not be reached to refresh, but the access token
		// still works: use it and refresh on a later run.
		e.logger().Warn("ANAF token refresh failed; using the current access token until it expires",
			slog.Int64("user_id", uid), slog.Time("expires_at", row.ExpiresAt), slog.String("error", err.Error()))
		return t, nil
	}
	return nil, err
}

// covered records that the member's token worked for the company's CIF
// and verifies an unverified company (audited, actor system).
func (e *Engine) covered(ctx context.Context, company *store.Company, userID int64) {
	if err := e.Store.MarkANAFOK(ctx, company.ID, userID); err != nil {
		e.logger().Warn("recording ANAF coverage", slog.String("error", err.Error()))
	}
	if company.Verified() {
		return
	}
	changed, err := e.Store.SetCompanyVerified(ctx, company.ID, userID)
	if err != nil {
		e.logger().Warn("verifying the company", slog.String("error", err.Error()))
		return
	}
	company.Status = store.CompanyVerified
	if changed {
		// Actor system (nil): no one acted; the details name whose connection ANAF answered.
		_ = e.Store.Audit(ctx, &store.AuditEvent{Action: store.ActionCompanyVerified, Target: store.TargetCompany(company.CIF),
			Details: fmt.Sprintf("actor=system: ANAF answered for CIF %s with the ANAF connection of user %d", company.CIF, userID)})
	}
}

// notCovered records that ANAF refused the member's token for the CIF;
// that token is not tried again for it during NotCoveredFor.
func (e *Engine) notCovered(ctx context.Context, company *store.Company, userID int64, cause error) {
	if err := e.Store.MarkANAFDenied(ctx, company.ID, userID, e.now().Add(NotCoveredFor)); err != nil {
		e.logger().Warn("recording ANAF refusal", slog.String("error", err.Error()))
	}
	e.logger().Info("ANAF refused a member's connection for the CIF; trying the next consenting member",
		slog.String("cif", company.CIF), slog.Int64("user_id", userID), slog.String("error", cause.Error()))
}

// VerifyCIF asks ANAF, with the user's own token, whether it may act for
// cif: one page of the message list over the last day. nil when ANAF
// answers with messages or "no messages"; ErrNotCovered when it answers
// "Nu aveti drept…"; errNoToken-wrapping ErrNoConnection when
// the user has no connection; ErrReconnectNeeded; transient errors as they are.
func (e *Engine) VerifyCIF(ctx context.Context, userID int64, cifDigits string) error {
	if e.ANAFClient == nil {
		return errors.New("no ANAF client is configured")
	}
	client, err := e.ANAFClient(ctx)
	if err != nil {
		return fmt.Errorf("preparing the ANAF client: %w", err)
	}
	t, err := e.userToken(ctx, client, userID)
	if errors.Is(err, errNoToken) {
		return ErrNoConnection
	}
	if err != nil {
		return err
	}
	end := e.now().Add(-time.Minute)
	list := func() error {
		return anaf.Retry(ctx, e.retry(), func() error {
			_, _, err := client.ListMessagesPage(ctx, t.access, cifDigits, end.Add(-24*time.Hour), end, 1)
			return err
		})
	}
	err = list()
	if errors.Is(err, anaf.ErrUnauthorized) {
		if t, err = e.refresh(ctx, client, t); err != nil {
			return err
		}
		if err = list(); errors.Is(err, anaf.ErrUnauthorized) {
			return e.refusedAfterRefresh(ctx, t, err)
		}
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, anaf.ErrNoRights):
		return fmt.Errorf("%w (%w)", ErrNotCovered, err)
	}
	return err
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
	// The cross-process lock (PostgreSQL: an advisory lock; SQLite: a lock
	// row with a lease) covers read, refresh and store; the mutex above
	// spares this process's own syncs the polling. The spent refresh
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
			return nil, notConnectedErr(row.Status)
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
		// A refresh token another writer spent while ours was in flight
		// (a holder whose lease ran out, a reconnect): the pair it stored
		// is the one to use, not a reason to ask the user to reconnect.
		if cur := e.storedSince(wctx, t); cur != nil {
			e.logger().Info("ANAF refused a refresh token another process had already replaced; using the stored pair",
				slog.Int64("user_id", t.userID))
			return cur, nil
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
		if aerr := e.Store.Audit(wctx, &store.AuditEvent{ActorID: &uid, Action: store.ActionANAFRefreshFailed,
			Target: store.TargetUser(uid), Details: err.Error()}); aerr != nil {
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

// storedSince returns the user's stored token when it was saved again
// after t was read (another pair, still connected), else nil. It reads
// through e.Store (committed rows), never the locked transaction.
func (e *Engine) storedSince(ctx context.Context, t *token) *token {
	row, err := e.Store.ANAFTokenByUser(ctx, t.userID)
	if err != nil || row.Status != StatusConnected || bytes.Equal(row.RefreshTokenEnc, t.row.RefreshTokenEnc) {
		return nil
	}
	cur, err := e.decrypt(row)
	if err != nil || cur.refresh == t.refresh {
		return nil
	}
	return cur
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
		return notConnectedErr(row.Status)
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
