package anaf

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var errTransient = &Error{Kind: KindTransient, Endpoint: "x"}

func TestRetry(t *testing.T) {
	t.Parallel()
	fast := RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}

	t.Run("TransientThenSuccess", func(t *testing.T) {
		t.Parallel()
		calls := 0
		err := Retry(t.Context(), fast, func() error {
			calls++
			if calls < 3 {
				return errTransient
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, 3, calls)
	})
	t.Run("NotTransientStops", func(t *testing.T) {
		t.Parallel()
		calls := 0
		quota := &Error{Kind: KindQuota, Quota: QuotaDownload}
		err := Retry(t.Context(), fast, func() error { calls++; return quota })
		require.ErrorIs(t, err, ErrQuota)
		require.Equal(t, 1, calls)
		calls = 0
		plain := errors.New("plain")
		require.ErrorIs(t, Retry(t.Context(), fast, func() error { calls++; return plain }), plain)
		require.Equal(t, 1, calls)
	})
	t.Run("MaxAttempts", func(t *testing.T) {
		t.Parallel()
		calls := 0
		err := Retry(t.Context(), fast, func() error { calls++; return errTransient })
		require.ErrorIs(t, err, ErrTransient)
		require.Equal(t, 4, calls)
	})
	t.Run("RateLimitRetriedHonouringRetryAfter", func(t *testing.T) {
		t.Parallel()
		calls := 0
		start := time.Now()
		err := Retry(t.Context(), fast, func() error {
			calls++
			if calls == 1 {
				return &Error{Kind: KindQuota, Quota: QuotaRate, RetryAfter: 60 * time.Millisecond}
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, 2, calls)
		require.GreaterOrEqual(t, time.Since(start), 60*time.Millisecond)
	})
	t.Run("ContextCanceledWhileWaiting", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		slow := RetryPolicy{MaxAttempts: 10, BaseDelay: time.Hour, MaxDelay: time.Hour}
		err := Retry(ctx, slow, func() error { return errTransient })
		require.ErrorIs(t, err, ErrTransient)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("DeadlineTooCloseReturnsAtOnce", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		calls := 0
		err := Retry(ctx, fast, func() error {
			calls++
			return &Error{Kind: KindTransient, RetryAfter: time.Hour}
		})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, 1, calls)
	})
}

func TestRetryPolicyDelay(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Jitter: -1}
	require.Equal(t, 100*time.Millisecond, p.Delay(1))
	require.Equal(t, 200*time.Millisecond, p.Delay(2))
	require.Equal(t, 800*time.Millisecond, p.Delay(4))
	require.Equal(t, time.Second, p.Delay(5))
	require.Equal(t, time.Second, p.Delay(500), "capped, no overflow")
	j := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for range 100 {
		d := j.Delay(3)
		require.GreaterOrEqual(t, d, 200*time.Millisecond)
		require.LessOrEqual(t, d, 400*time.Millisecond)
	}
}
