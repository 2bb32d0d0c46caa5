// Package ratelimit limits request rates per bucket (an API key, a client
// IP) with the generic cell rate algorithm (GCRA): a limit of N per minute
// allows a burst of N and then one request every minute/N. Two
// implementations share that contract: Memory (one process) and Redis
// (github.com/go-redis/redis_rate/v10, shared by every replica that uses
// the same Redis), and Failover, which uses Redis and falls back to Memory
// while Redis is down. PRODUCT.md §4 and §9: API 600/min per key, 60/min per
// IP without a key.
package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
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

// ---- failover

// FailoverRetry is how often a Failover in its degraded state lets one
// request try Redis again (the others use the in-process limiter meanwhile,
// so a Redis that hangs slows at most one request per period).
const FailoverRetry = 5 * time.Second

// Failover limits through Redis while Redis answers and through an
// in-process Memory limiter while it does not (or has not yet: a gateway
// starting during a Redis outage starts degraded): limits then hold per
// replica instead of across replicas, and no request fails because of
// Redis. The state changes (down, back) are logged once each, never per
// request; Up reports the current state, Check pings Redis.
type Failover struct {
	primary  Limiter
	ping     func(context.Context) error
	fallback *Memory
	log      *slog.Logger
	retry    time.Duration

	mu      sync.Mutex
	down    bool
	since   time.Time // when the current state began
	lastTry time.Time // while down: the last time a request tried Redis
	trying  bool      // while down: a request is trying Redis now
	// OnChange, when set before use, is told of every state change (metrics, tests).
	OnChange func(up bool)
}

// NewFailover returns a limiter using primary (Redis, checked by ping)
// and falling back to an in-process limiter; logger (nil: discard) gets
// one line per state change.
func NewFailover(primary Limiter, ping func(context.Context) error, logger *slog.Logger) *Failover {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Failover{primary: primary, ping: ping, fallback: NewMemory(nil), log: logger, retry: FailoverRetry, since: time.Now()}
}

// Allow implements Limiter; it never returns Redis's errors.
func (f *Failover) Allow(ctx context.Context, bucket string, perMinute int) (Result, error) {
	if !f.tryPrimary() {
		return f.fallback.Allow(ctx, bucket, perMinute)
	}
	res, err := f.primary.Allow(ctx, bucket, perMinute)
	if err != nil && ctx.Err() == nil && perMinute >= 1 {
		f.set(err)
		return f.fallback.Allow(ctx, bucket, perMinute)
	}
	if err == nil {
		f.set(nil)
	} else {
		f.doneTrying()
	}
	return res, err
}

// tryPrimary reports whether this request should use Redis: always while
// it is up; while down, one request per retry period.
func (f *Failover) tryPrimary() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.down {
		return true
	}
	if f.trying || time.Since(f.lastTry) < f.retry {
		return false
	}
	f.trying, f.lastTry = true, time.Now()
	return true
}

func (f *Failover) doneTrying() {
	f.mu.Lock()
	f.trying = false
	f.mu.Unlock()
}

// set records Redis's state after a call (err nil: it answered), logging
// and reporting a change.
func (f *Failover) set(err error) {
	f.mu.Lock()
	f.trying = false
	down := err != nil
	if down {
		f.lastTry = time.Now()
	}
	if down == f.down {
		f.mu.Unlock()
		return
	}
	was := time.Since(f.since).Round(time.Second)
	f.down, f.since = down, time.Now()
	onChange := f.OnChange
	f.mu.Unlock()
	if down {
		f.log.Warn("Redis is unavailable: rate limits are kept in this process (per replica) until it is back",
			slog.String("error", err.Error()))
	} else {
		f.log.Info("Redis is reachable again: rate limits are shared by the replicas", slog.Duration("down_for", was))
	}
	if onChange != nil {
		onChange(!down)
	}
}

// Up reports whether Redis answered the last call (limits shared).
func (f *Failover) Up() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.down
}

// Check pings Redis (health, metrics, the start), updates the state from
// the answer, and returns the ping's error.
func (f *Failover) Check(ctx context.Context) error {
	err := f.ping(ctx)
	if err != nil && ctx.Err() != nil {
		return err // our own deadline or the caller leaving: no verdict on Redis
	}
	f.set(err)
	return err
}

// Open returns the limiter the configuration asks for: a Failover over
// Redis when redisURL (REDIS_URL: redis://, rediss:// or unix://) is set,
// else Memory. close releases the Redis connection pool (a no-op for
// Memory); ping (nil for Memory) is the Failover's Check, for health and
// metrics — Redis is never a readiness condition: its outage degrades the
// limits to per-replica ones instead. Redis's timeouts, unless the URL
// sets them, are short (dial 2 s, read and write 1 s): a limiter must not
// hold requests up.
func Open(redisURL string, logger *slog.Logger) (l Limiter, ping func(context.Context) error, close func() error, err error) {
	if strings.TrimSpace(redisURL) == "" {
		return NewMemory(nil), nil, func() error { return nil }, nil
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		// The URL may carry a password: never repeat it.
		return nil, nil, nil, fmt.Errorf("ratelimit: REDIS_URL is not a valid redis:// URL")
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 2 * time.Second
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = time.Second
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = time.Second
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 1
	}
	// go-redis logs every failed dial on its own (to stderr, per attempt):
	// send that to debug level, the Failover logs the state changes.
	quietRedis.Do(func() { redis.SetLogger(redisLogger{logger}) })
	rdb := redis.NewClient(opts)
	f := NewFailover(NewRedis(rdb, "efactura:"), func(ctx context.Context) error { return rdb.Ping(ctx).Err() }, logger)
	return f, f.Check, rdb.Close, nil
}

var quietRedis sync.Once

// redisLogger is go-redis's internal logger on slog, at debug level.
type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if r.l != nil {
		r.l.DebugContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
	}
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
