package ratelimit

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// waitAll runs n Waits on each pacer at once and returns when each one
// was let through, sorted.
func waitAll(t *testing.T, n int, pacers ...*Pacer) []time.Time {
	t.Helper()
	var (
		mu  sync.Mutex
		at  []time.Time
		wg  sync.WaitGroup
		ctx = t.Context()
	)
	for _, p := range pacers {
		for range n {
			wg.Go(func() {
				require.NoError(t, p.Wait(ctx))
				mu.Lock()
				at = append(at, time.Now())
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	return at
}

// TestPacerSharedAcrossReplicas: two gateway processes (two Opens of one
// Redis, each with its own in-process limiter) pace one bucket together:
// no two events closer than the interval, whichever process makes them.
func TestPacerSharedAcrossReplicas(t *testing.T) {
	t.Parallel()
	u := redisURLForTest(t)
	const every = 200 * time.Millisecond
	bucket := randomPrefix(t) + "vat"
	var pacers []*Pacer
	for range 2 {
		l, ping, closeFn, err := Open(u, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = closeFn() })
		require.NoError(t, ping(t.Context()))
		p := NewPacer(l, bucket, every, rate.NewLimiter(rate.Every(every), 1))
		require.True(t, p.Shared())
		pacers = append(pacers, p)
	}
	at := waitAll(t, 4, pacers...)
	require.Len(t, at, 8)
	for i := 1; i < len(at); i++ {
		// A little slack for the timers; two in-process limiters alone
		// would let pairs through at once.
		require.GreaterOrEqual(t, at[i].Sub(at[i-1]), every-30*time.Millisecond, "events %d and %d", i-1, i)
	}
}

// TestPacerLocal: without Redis (Memory) or while Redis is down, the
// process's own limiter paces, and Redis's failure is never the caller's.
func TestPacerLocal(t *testing.T) {
	t.Parallel()
	const every = 100 * time.Millisecond
	p := NewPacer(NewMemory(nil), "vat", every, rate.NewLimiter(rate.Every(every), 1))
	require.False(t, p.Shared())
	at := waitAll(t, 4, p)
	require.GreaterOrEqual(t, at[3].Sub(at[0]), 3*every-30*time.Millisecond)

	// A Redis nobody listens on: the gateway starts degraded.
	l, _, closeFn, err := Open("redis://127.0.0.1:1/0", nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = closeFn() })
	p = NewPacer(l, "vat", every, rate.NewLimiter(rate.Every(every), 1))
	require.True(t, p.Shared())
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	for range 3 {
		require.NoError(t, p.Wait(ctx), "Redis down: paced in the process, no error")
	}
	require.GreaterOrEqual(t, time.Since(start), 2*every-30*time.Millisecond)
	require.False(t, l.(*Failover).Up())
}
