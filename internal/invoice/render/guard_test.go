package render_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/render"
)

// TestGuard: at most Concurrency renders at once (a waiter gets a slot
// freed within the wait, else ErrBusy, also when its context ends); more
// lines than the limit is a *TooLargeError before rendering; the loader's
// error is returned as is; Shared is one guard sized to the CPUs.
func TestGuard(t *testing.T) {
	t.Parallel()
	g := render.NewGuard(render.GuardConfig{Concurrency: 1, Wait: 50 * time.Millisecond, MaxLines: 3, RetryAfter: 1500 * time.Millisecond})
	require.Equal(t, 2, g.RetryAfterSeconds())
	require.Equal(t, 3, g.MaxLines())
	inv := typical(t)
	load := func() (*invoice.Invoice, *render.ANAFFacts, error) { return inv, facts, nil }

	release, err := g.Acquire(t.Context())
	require.NoError(t, err)
	start := time.Now()
	_, err = g.PDF(t.Context(), load)
	require.ErrorIs(t, err, render.ErrBusy)
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = render.NewGuard(render.GuardConfig{Concurrency: 1, Wait: time.Hour}).PDF(ctx, load) // free slot: taken at once
	require.NoError(t, err)
	held := render.NewGuard(render.GuardConfig{Concurrency: 1, Wait: time.Hour})
	r2, err := held.Acquire(t.Context())
	require.NoError(t, err)
	_, err = held.PDF(ctx, load) // ended context: no hour-long wait
	require.ErrorIs(t, err, render.ErrBusy)
	r2()

	release()
	// A waiter gets a slot freed within its wait (a long wait: on a loaded
	// machine the releasing goroutine may run late).
	w := render.NewGuard(render.GuardConfig{Concurrency: 1, Wait: time.Minute})
	rw, err := w.Acquire(t.Context())
	require.NoError(t, err)
	go func() { time.Sleep(10 * time.Millisecond); rw() }()
	pdf, err := w.PDF(t.Context(), load)
	require.NoError(t, err)
	require.Equal(t, "%PDF-", string(pdf[:5]))

	_, err = g.PDF(t.Context(), func() (*invoice.Invoice, *render.ANAFFacts, error) { return withLines(inv, 4), nil, nil })
	var tl *render.TooLargeError
	require.ErrorAs(t, err, &tl)
	require.Equal(t, render.TooLargeError{Lines: 4, Limit: 3}, *tl)
	require.Contains(t, err.Error(), "3-line limit")

	boom := errors.New("boom")
	_, err = g.PDF(t.Context(), func() (*invoice.Invoice, *render.ANAFFacts, error) { return nil, nil, boom })
	require.ErrorIs(t, err, boom)

	// The slot is free again after every outcome.
	r3, err := g.Acquire(t.Context())
	require.NoError(t, err)
	r3()

	require.Same(t, render.Shared(), render.Shared())
	require.Equal(t, render.MaxPDFLines, render.Shared().MaxLines())
	n := runtime.GOMAXPROCS(0)
	def := render.NewGuard(render.GuardConfig{Wait: time.Millisecond})
	for range n {
		_, err := def.Acquire(t.Context())
		require.NoError(t, err)
	}
	_, err = def.Acquire(t.Context())
	require.ErrorIs(t, err, render.ErrBusy, "the default guard has GOMAXPROCS slots")
}
