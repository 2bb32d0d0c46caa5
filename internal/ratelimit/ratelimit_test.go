package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// RedisURLForTest returns EFACTURA_TEST_REDIS_URL, skipping without it
// (failing under CI, where the Redis test must run).
func redisURLForTest(t *testing.T) string {
	t.Helper()
	u := os.Getenv("EFACTURA_TEST_REDIS_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("EFACTURA_TEST_REDIS_URL must be set in CI (the shared-limit test needs Redis)")
		}
		t.Skip("EFACTURA_TEST_REDIS_URL not set: skipping the Redis limiter test")
	}
	return u
}

func randomPrefix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "efactura-test:" + hex.EncodeToString(b) + ":"
}

// contract checks the behaviour both limiters share: a burst of N, then
// refusals with a Retry-After of about one interval.
func contract(t *testing.T, l Limiter, bucket string) {
	t.Helper()
	ctx := context.Background()
	for i := range 5 {
		r, err := l.Allow(ctx, bucket, 5)
		require.NoError(t, err)
		require.True(t, r.Allowed, "request %d", i+1)
		require.Equal(t, 5, r.Limit)
		require.Equal(t, 4-i, r.Remaining, "request %d", i+1)
		require.Positive(t, r.ResetAfter)
		require.LessOrEqual(t, r.ResetAfter, time.Minute)
	}
	r, err := l.Allow(ctx, bucket, 5)
	require.NoError(t, err)
	require.False(t, r.Allowed)
	require.Equal(t, 0, r.Remaining)
	require.InDelta(t, 12*time.Second, r.RetryAfter, float64(time.Second), "one interval of 60s/5")
	require.GreaterOrEqual(t, RetryAfterSeconds(r), 11)

	// Another bucket is independent.
	r, err = l.Allow(ctx, bucket+"-other", 5)
	require.NoError(t, err)
	require.True(t, r.Allowed)
}

func TestMemory(t *testing.T) {
	t.Parallel()

	t.Run("Contract", func(t *testing.T) {
		t.Parallel()
		contract(t, NewMemory(nil), "k")
	})

	t.Run("RefillsOverTime", func(t *testing.T) {
		t.Parallel()
		clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
		m := NewMemory(clk.now)
		ctx := context.Background()
		for range 3 {
			r, err := m.Allow(ctx, "b", 3)
			require.NoError(t, err)
			require.True(t, r.Allowed)
		}
		r, err := m.Allow(ctx, "b", 3)
		require.NoError(t, err)
		require.False(t, r.Allowed)
		require.Equal(t, 20*time.Second, r.RetryAfter)
		require.Equal(t, time.Minute, r.ResetAfter)
		require.Equal(t, int64(1_700_000_060), ResetUnix(clk.now(), r))

		clk.advance(20 * time.Second)
		r, err = m.Allow(ctx, "b", 3)
		require.NoError(t, err)
		require.True(t, r.Allowed, "one interval later, one more")
		require.Equal(t, 0, r.Remaining)

		clk.advance(2 * time.Minute)
		r, err = m.Allow(ctx, "b", 3)
		require.NoError(t, err)
		require.Equal(t, 2, r.Remaining, "full again after a quiet period")
		require.Len(t, m.tat, 1, "idle buckets are swept")
	})

	t.Run("RefusesZeroLimit", func(t *testing.T) {
		t.Parallel()
		_, err := NewMemory(nil).Allow(context.Background(), "b", 0)
		require.Error(t, err)
	})
}

func TestRedis(t *testing.T) {
	t.Parallel()
	u := redisURLForTest(t)
	opts, err := redis.ParseURL(u)
	require.NoError(t, err)
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	prefix := randomPrefix(t)
	contract(t, NewRedis(rdb, prefix), "k")

	t.Run("SharedBetweenClients", func(t *testing.T) {
		// Two connection pools, as two replicas would have.
		other := redis.NewClient(opts)
		t.Cleanup(func() { _ = other.Close() })
		a, b := NewRedis(rdb, prefix), NewRedis(other, prefix)
		ctx := context.Background()
		for i := range 4 {
			l := []Limiter{a, b}[i%2]
			r, err := l.Allow(ctx, "shared", 4)
			require.NoError(t, err)
			require.True(t, r.Allowed)
		}
		r, err := b.Allow(ctx, "shared", 4)
		require.NoError(t, err)
		require.False(t, r.Allowed)
	})

	t.Run("Open", func(t *testing.T) {
		l, ping, closeFn, err := Open(u, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = closeFn() })
		require.IsType(t, &Failover{}, l)
		contract(t, l, randomPrefix(t)+"open")
		require.NoError(t, ping(context.Background()))
	})
}

func TestOpen(t *testing.T) {
	t.Parallel()
	l, ping, closeFn, err := Open("", nil)
	require.NoError(t, err)
	require.IsType(t, &Memory{}, l)
	require.Nil(t, ping)
	require.NoError(t, closeFn())

	_, _, _, err = Open("redis://user:s3cret@[::1", nil)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret")
}
