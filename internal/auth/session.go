package auth

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"time"

	"github.com/efactura-gateway/efactura/internal/store"
)

// SessionStore is an scs store (scs.Store and scs.CtxStore) keeping
// sessions in the database. Only the SHA-256 of a session token is stored,
// so a read of the sessions table does not yield usable cookies.
type SessionStore struct {
	st     *store.Store
	logger *slog.Logger
	// Idle, when set, ends a stored session Idle after its last commit
	// (within its absolute deadline): the idle timeout kept by the store,
	// for a SessionManager without scs's IdleTimeout (which recommits on
	// every request; the web UI commits an active session once a minute).
	Idle time.Duration
}

// NewSessionStore returns a SessionStore over st; logger (nil: discard)
// receives cleanup failures.
func NewSessionStore(st *store.Store, logger *slog.Logger) *SessionStore {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &SessionStore{st: st, logger: logger}
}

func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Find returns the data of an unexpired session (scs.Store).
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit saves a session until expiry (scs.Store).
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete removes a session (scs.Store).
func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// FindCtx returns the data of an unexpired session (scs.CtxStore).
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	return s.st.SessionFind(ctx, tokenHash(token))
}

// CommitCtx saves a session until expiry (scs.CtxStore).
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if s.Idle > 0 {
		if idle := time.Now().Add(s.Idle).UTC(); idle.Before(expiry) {
			expiry = idle
		}
	}
	return s.st.SessionCommit(ctx, tokenHash(token), b, expiry)
}

// DeleteCtx removes a session (scs.CtxStore).
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	return s.st.SessionDelete(ctx, tokenHash(token))
}

// StartCleanup deletes expired sessions every interval until ctx is done.
// The returned channel is closed when the goroutine has exited.
// (AllCtx is not offered: tokens are stored hashed and cannot be listed.)
func (s *SessionStore) StartCleanup(ctx context.Context, interval time.Duration) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				n, err := s.st.SessionDeleteExpired(ctx)
				if err != nil {
					if ctx.Err() == nil {
						s.logger.ErrorContext(ctx, "session cleanup failed", slog.Any("error", err))
					}
					continue
				}
				if n > 0 {
					s.logger.DebugContext(ctx, "expired sessions deleted", slog.Int64("count", n))
				}
			}
		}
	}()
	return done
}
