package anafcontract

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
)

var fastRetry = &anaf.RetryPolicy{MaxAttempts: 4, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}

// TestRetryTransient: with Config.Retry the read-only calls retry
// transient failures (two queued HTTP 500s, then success: three calls at
// the simulator); a non-transient answer is not retried; Upload never
// retries (its failure is outcome unknown).
func TestRetryTransient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, func(o *setupOpts) { o.client = func(c *anaf.Config) { c.Retry = fastRetry } })
	m := b.anyMessage(t, cifAlfa, anaf.TypeSent)

	b.postFault(t, "descarcare", anafsim.FaultHTTP500, 2)
	before := b.calls("descarcare")
	_, err := b.client.Download(ctx, b.token, m.ID)
	require.NoError(t, err)
	require.Equal(t, 3, b.calls("descarcare")-before)

	b.postFault(t, "listaMesajePaginatieFactura", anafsim.FaultWAFHTML, 1)
	require.Len(t, b.list(t, cifAlfa, anaf.ListOptions{}), 4)

	// Four faults, four attempts: the last error is returned.
	b.postFault(t, "stareMesaj", anafsim.FaultHTTP503HTML, 4)
	before = b.calls("stareMesaj")
	_, err = b.client.Status(ctx, b.token, m.UploadID)
	requireANAFError(t, err, anaf.ErrTransient, anaf.KindTransient, "503 Service Unavailable Service Unavailable")
	require.Equal(t, 4, b.calls("stareMesaj")-before)

	// Not transient: one call.
	before = b.calls("descarcare")
	_, err = b.client.Download(ctx, b.token, "3099999999")
	require.ErrorIs(t, err, anaf.ErrNotFound)
	require.Equal(t, 1, b.calls("descarcare")-before)

	b.postFault(t, "upload", anafsim.FaultHTTP500, 1)
	before = b.calls("upload")
	_, err = b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, b.fresh(t, "gen-01"))
	require.ErrorIs(t, err, anaf.ErrOutcomeUnknown)
	require.Equal(t, 1, b.calls("upload")-before, "upload never retries")
}

// TestRetryHonoursRetryAfter: the simulator's per-minute limit
// (Options.RatePerMinute 2, wall clock) answers HTTP 429 with Retry-After
// = the seconds left in the minute; the client maps it to a transient
// ErrQuota (QuotaRate) carrying RetryAfter, and Retry does not call again
// before Retry-After: with a caller deadline shorter than Retry-After it
// gives up at once without a second call.
func TestRetryHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, func(o *setupOpts) { o.sim = func(so *anafsim.Options) { so.RatePerMinute = 2 } })
	listOnce := func(c *anaf.Client, ctx context.Context) error {
		_, err := c.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
		return err
	}
	// Reach the limit (a minute boundary may reset the count: try a few).
	var e *anaf.Error
	for i := 0; i < 6 && e == nil; i++ {
		if err := listOnce(b.client, ctx); err != nil {
			e = requireANAFError(t, err, anaf.ErrQuota, anaf.KindQuota, "Too Many Requests")
		}
	}
	require.NotNil(t, e, "no HTTP 429 after 6 calls with RatePerMinute 2")
	require.Equal(t, anaf.QuotaRate, e.Quota)
	require.Equal(t, http.StatusTooManyRequests, e.HTTPStatus)
	require.True(t, anaf.IsTransient(e))
	require.ErrorIs(t, e, anaf.ErrTransient)
	require.Greater(t, e.RetryAfter, time.Duration(0))
	require.LessOrEqual(t, e.RetryAfter, time.Minute)

	cfg := b.cfg
	cfg.Retry = &anaf.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}
	retrying := anaf.New(cfg)
	const deadline = 1500 * time.Millisecond
	dctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	before := b.calls("listaMesajeFactura")
	start := time.Now()
	err := listOnce(retrying, dctx)
	elapsed := time.Since(start)
	var e2 *anaf.Error
	if err != nil && errors.As(err, &e2) && e2.RetryAfter > deadline {
		// Retry-After is beyond the caller's deadline: no second attempt.
		require.ErrorIs(t, err, anaf.ErrQuota)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, 1, b.calls("listaMesajeFactura")-before, "no retry before Retry-After")
		require.Less(t, elapsed, deadline)
		return
	}
	// The minute was about to end (Retry-After ≤ 1 s): the retry waited
	// for it and then went through.
	t.Logf("minute boundary: retried after %v (err %v)", elapsed, err)
	if e2 != nil && err != nil {
		require.ErrorIs(t, err, anaf.ErrQuota)
	}
}
