package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// flaky is a primary limiter that fails while down is set.
type flaky struct {
	down  atomic.Bool
	calls atomic.Int32
	mem   *Memory
}

func (f *flaky) Allow(ctx context.Context, bucket string, perMinute int) (Result, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return Result{}, errors.New("dial tcp 127.0.0.1:6390: connect: connection refused")
	}
	return f.mem.Allow(ctx, bucket, perMinute)
}

// TestFailover: while the primary fails, requests are limited in the
// process (never an error), the primary is tried once per retry period,
// and each state change is logged once.
func TestFailover(t *testing.T) {
	t.Parallel()
	p := &flaky{mem: NewMemory(nil)}
	var logs strings.Builder
	f := NewFailover(p, func(context.Context) error {
		if p.down.Load() {
			return errors.New("down")
		}
		return nil
	}, slog.New(slog.NewTextHandler(&logs, nil)))
	f.retry = 200 * time.Millisecond
	var changes []bool
	f.OnChange = func(up bool) { changes = append(changes, up) }
	ctx := context.Background()

	res, err := f.Allow(ctx, "k", 3)
	require.NoError(t, err)
	require.True(t, res.Allowed)
	require.True(t, f.Up())

	p.down.Store(true)
	before := p.calls.Load()
	for i := range 50 {
		res, err := f.Allow(ctx, "ip", 2)
		require.NoError(t, err, "never Redis's error")
		require.Equal(t, i < 2, res.Allowed, "request %d: the in-process limit holds", i)
	}
	require.Equal(t, int32(1), p.calls.Load()-before, "the primary is tried once, then skipped until the retry period")
	require.False(t, f.Up())
	require.Error(t, f.Check(ctx))
	require.Equal(t, 1, strings.Count(logs.String(), "Redis is unavailable"))

	p.down.Store(false)
	time.Sleep(250 * time.Millisecond)
	res, err = f.Allow(ctx, "k", 3)
	require.NoError(t, err)
	require.True(t, f.Up(), "the first request after the retry period finds the primary back")
	require.Equal(t, 1, res.Remaining, "counted by the primary again: its second request of k")
	require.NoError(t, f.Check(ctx))
	require.Equal(t, 1, strings.Count(logs.String(), "Redis is reachable again"))
	require.Equal(t, []bool{false, true}, changes)
}
