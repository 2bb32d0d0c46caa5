// Package ratelimit limits request rates per bucket (an API key, a client
// IP) with the generic cell rate algorithm (GCRA): a limit of N per minute
// allows a burst of N and then one request every minute/N. Two
// implementations share that contract: Memory (one process) and Redis
// (github.com/go-redis/redis_rate/v10, shared by every replica that uses
// the same Redis). PRODUCT.md §4 and §9: API 600/min per key, 60/min per
// IP without a key.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Result is the outcome of one Allow.
type Result struct {
	// Allowed is true when the request may proceed.
	Allowed bool
	// Limit is the bucket's limit per minute (X-RateLimit-Limit).
	Limit int
	// Remaining is how many further requests the bucket allows at once
	// (X-RateLimit-Remaining); 0 when refused.
	Remaining int
	// RetryAfter is how long to wait before a refused request would be
	// allowed (Retry-After); 0 when allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the bucket is full again
	// (X-RateLimit-Reset is now + ResetAfter, in Unix seconds).
	ResetAfter time.Duration
}

// Limiter decides whether one more request of a bucket is allowed.
type Limiter interface {
	// Allow counts one request of bucket against perMinute (≥ 1) and
	// reports the outcome. An error means the limiter's backend failed;
	// callers let the request through (fail open) and log it.
	Allow(ctx context.Context, bucket string, perMinute int) (Result, error)
}

// ---- memory

// Memory is an in-process GCRA limiter. Safe for concurrent use; idle
// buckets are forgotten once they are full again.
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	tat       map[string]time.Time // theoretical arrival time per bucket
	lastSweep time.Time
}

// NewMemory returns an in-memory limiter; now (nil: time.Now) is its clock.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, tat: map[string]time.Time{}}
}

// Allow implements Limiter with the same arithmetic as redis_rate's Lua
// script (burst = perMinute, emission interval = 1 min / perMinute).
func (m *Memory) Allow(_ context.Context, bucket string, perMinute int) (Result, error) {
	if perMinute < 1 {
		return Result{}, fmt.Errorf("ratelimit: limit %d per minute must be at least 1", perMinute)
	}
	interval := time.Minute / time.Duration(perMinute)
	tolerance := interval * time.Duration(perMinute) // burst × interval
	now := m.now()

	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	tat, ok := m.tat[bucket]
	if !ok || tat.Before(now) {
		tat = now
	}
	newTAT := tat.Add(interval)
	allowAt := newTAT.Add(-tolerance)
	if now.Before(allowAt) {
		return Result{Allowed: false, Limit: perMinute, Remaining: 0,
			RetryAfter: allowAt.Sub(now), ResetAfter: tat.Sub(now)}, nil
	}
	m.tat[bucket] = newTAT
	remaining := int((tolerance - newTAT.Sub(now)) / interval)
	return Result{Allowed: true, Limit: perMinute, Remaining: max(remaining, 0), ResetAfter: newTAT.Sub(now)}, nil
}

// sweep drops buckets that are full again, at most once a minute.
func (m *Memory) sweep(now time.Time) {
	if now.Sub(m.lastSweep) < time.Minute {
		return
	}
	m.lastSweep = now
	for k, tat := range m.tat {
		if !tat.After(now) {
			delete(m.tat, k)
		}
	}
}

// ---- redis

// Redis is a GCRA limiter kept in Redis (redis_rate), so that replicas
// share their buckets.
type Redis struct {
	lim    *redis_rate.Limiter
	prefix string
}

// NewRedis returns a limiter over rdb; prefix (e.g. "efactura:") is put
// before every bucket name, so tests and several deployments can share a
// server. redis_rate adds its own "rate:" prefix in front.
func NewRedis(rdb *redis.Client, prefix string) *Redis {
	return &Redis{lim: redis_rate.NewLimiter(rdb), prefix: prefix}
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, bucket string, perMinute int) (Result, error) {
	if perMinute < 1 {
		return Result{}, fmt.Errorf("ratelimit: limit %d per minute must be at least 1", perMinute)
	}
	res, err := r.lim.Allow(ctx, r.prefix+bucket, redis_rate.PerMinute(perMinute))
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	out := Result{Allowed: res.Allowed > 0, Limit: perMinute, Remaining: max(res.Remaining, 0),
		ResetAfter: max(res.ResetAfter, 0)}
	if !out.Allowed {
		out.RetryAfter = max(res.RetryAfter, 0)
	}
	return out, nil
}

// Open returns the limiter the configuration asks for: Redis when
// redisURL (REDIS_URL: redis://, rediss:// or unix://) is set, else
// Memory. close releases the Redis connection pool (a no-op for Memory);
// ping checks Redis (nil for Memory), for /readyz and API health.
func Open(redisURL string) (l Limiter, ping func(context.Context) error, close func() error, err error) {
	if strings.TrimSpace(redisURL) == "" {
		return NewMemory(nil), nil, func() error { return nil }, nil
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		// The URL may carry a password: never repeat it.
		return nil, nil, nil, fmt.Errorf("ratelimit: REDIS_URL is not a valid redis:// URL")
	}
	rdb := redis.NewClient(opts)
	ping = func(ctx context.Context) error { return rdb.Ping(ctx).Err() }
	return NewRedis(rdb, "efactura:"), ping, rdb.Close, nil
}

// ResetUnix is X-RateLimit-Reset: the Unix second at which the bucket is
// full again (rounded up), as Flask-Limiter sends it.
func ResetUnix(now time.Time, r Result) int64 {
	return int64(math.Ceil(float64(now.Add(r.ResetAfter).UnixNano()) / 1e9))
}

// RetryAfterSeconds is Retry-After: whole seconds, rounded up, at least 1.
func RetryAfterSeconds(r Result) int {
	return max(int(math.Ceil(r.RetryAfter.Seconds())), 1)
}
