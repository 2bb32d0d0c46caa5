package anaf

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryPolicy is a jittered exponential backoff.
type RetryPolicy struct {
	MaxAttempts int           // total attempts including the first; default 4
	BaseDelay   time.Duration // delay before the 2nd attempt, doubled each time; default 1s
	MaxDelay    time.Duration // cap of the backoff delay; default 1m
	// Jitter is the fraction of each delay that is random, 0..1; default 0.5
	// (a delay d becomes a uniform value in [d/2, d]). Negative: no jitter.
	Jitter float64
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = time.Minute
	}
	if p.Jitter == 0 {
		p.Jitter = 0.5
	}
	if p.Jitter > 1 {
		p.Jitter = 1
	}
	return p
}

// Delay returns the pause after the given failed attempt (1-based), before
// honouring any Retry-After.
func (p RetryPolicy) Delay(attempt int) time.Duration {
	p = p.withDefaults()
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	if p.Jitter > 0 {
		span := time.Duration(float64(d) * p.Jitter)
		if span > 0 {
			d = d - span + rand.N(span+1)
		}
	}
	return d
}

// Retry calls fn until it succeeds, returns an error that is not transient
// (IsTransient), or MaxAttempts is reached; it returns fn's last error. The
// pause is the jittered backoff or the error's RetryAfter, whichever is
// longer. When ctx ends first — or its deadline would pass before the next
// attempt — Retry returns the last error joined with ctx's error.
func Retry(ctx context.Context, policy RetryPolicy, fn func() error) error {
	p := policy.withDefaults()
	var err error
	for attempt := 1; ; attempt++ {
		if cerr := ctx.Err(); cerr != nil {
			if err == nil {
				return cerr
			}
			return fmt.Errorf("%w (retry stopped: %w)", err, cerr)
		}
		err = fn()
		if err == nil || !IsTransient(err) || attempt >= p.MaxAttempts {
			return err
		}
		wait := p.Delay(attempt)
		var e *Error
		if errors.As(err, &e) && e.RetryAfter > wait {
			wait = e.RetryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("%w (retry stopped: %w)", err, context.DeadlineExceeded)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (retry stopped: %w)", err, ctx.Err())
		case <-t.C:
		}
	}
}
