package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// Waiter waits for its turn (golang.org/x/time/rate's *Limiter is one).
type Waiter interface {
	Wait(ctx context.Context) error
}

// Pacer spaces the events of one bucket at least Every apart, with no
// burst — ANAF's VAT-payer service allows one request a second per
// client, and a client is the whole installation, not one replica. Over a
// Failover on Redis (what Open returns when REDIS_URL is set) the pace is
// kept in Redis and shared by every replica; otherwise, and while Redis is
// down, by the local Waiter of this process (limits then hold per
// replica, and nothing fails because of Redis).
type Pacer struct {
	f      *Failover // nil: local only
	redis  *Redis
	bucket string
	every  time.Duration
	local  Waiter
}

// NewPacer paces bucket at one event per every through l when l is
// Open's Failover over Redis, else through local (which must pace at the
// same rate; share one per process).
func NewPacer(l Limiter, bucket string, every time.Duration, local Waiter) *Pacer {
	p := &Pacer{bucket: bucket, every: every, local: local}
	if f, ok := l.(*Failover); ok {
		if r, ok := f.primary.(*Redis); ok {
			p.f, p.redis = f, r
		}
	}
	return p
}

// Shared reports whether the pace is kept in Redis (when it answers).
func (p *Pacer) Shared() bool { return p.redis != nil }

// Wait blocks until this process may make one more event of the bucket,
// or ctx ends.
func (p *Pacer) Wait(ctx context.Context) error {
	if p.redis == nil {
		return p.local.Wait(ctx)
	}
	for {
		if !p.f.tryPrimary() {
			return p.local.Wait(ctx)
		}
		ok, retry, err := p.redis.pace(ctx, p.bucket, p.every)
		if err != nil {
			if ctx.Err() != nil {
				p.f.doneTrying()
				return ctx.Err()
			}
			p.f.set(err)
			return p.local.Wait(ctx)
		}
		p.f.set(nil)
		if ok {
			return nil
		}
		t := time.NewTimer(max(retry, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// pace asks Redis for the one event of bucket allowed per every (burst 1);
// when refused, retry is how long until the next one.
func (r *Redis) pace(ctx context.Context, bucket string, every time.Duration) (ok bool, retry time.Duration, err error) {
	res, err := r.lim.Allow(ctx, r.prefix+bucket, redis_rate.Limit{Rate: 1, Burst: 1, Period: every})
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: redis: %w", err)
	}
	return res.Allowed > 0, max(res.RetryAfter, 0), nil
}
