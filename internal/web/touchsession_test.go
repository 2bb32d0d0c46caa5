package web

import (
	"context"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/stretchr/testify/require"
)

// TestTouchSession: a logged-in session is written for its idle stamp at
// most once a minute (not on every view, as scs's IdleTimeout would), is
// destroyed once idle past SessionIdle, and an anonymous session is never
// stamped.
func TestTouchSession(t *testing.T) {
	sm := scs.New()
	sm.Store = memstore.NewWithCleanupInterval(0)
	a := &app{Deps: Deps{Sessions: sm, SessionIdle: 2 * time.Hour}}
	t0 := time.Now()
	load := func(token string) context.Context {
		ctx, err := sm.Load(context.Background(), token)
		require.NoError(t, err)
		return ctx
	}

	ctx := load("")
	sm.Put(ctx, sessUserID, int64(7))
	require.NoError(t, a.touchSession(ctx, t0))
	require.Equal(t, t0.Unix(), sm.GetInt64(ctx, sessSeen))
	token, _, err := sm.Commit(ctx)
	require.NoError(t, err)

	ctx = load(token)
	require.NoError(t, a.touchSession(ctx, t0.Add(30*time.Second)))
	require.Equal(t, scs.Unmodified, sm.Status(ctx), "a view within the minute writes nothing")

	ctx = load(token)
	require.NoError(t, a.touchSession(ctx, t0.Add(61*time.Second)))
	require.Equal(t, scs.Modified, sm.Status(ctx))
	require.Equal(t, t0.Add(61*time.Second).Unix(), sm.GetInt64(ctx, sessSeen))
	_, _, err = sm.Commit(ctx)
	require.NoError(t, err)

	ctx = load(token)
	require.NoError(t, a.touchSession(ctx, t0.Add(61*time.Second+2*time.Hour+time.Second)))
	require.Equal(t, scs.Destroyed, sm.Status(ctx), "idle past SessionIdle: logged out")
	require.Zero(t, sm.GetInt64(ctx, sessUserID))

	anon := load("")
	sm.Put(anon, sessLang, "en")
	token, _, err = sm.Commit(anon)
	require.NoError(t, err)
	anon = load(token)
	require.NoError(t, a.touchSession(anon, t0))
	require.Equal(t, scs.Unmodified, sm.Status(anon), "no stamp without a user")
}
