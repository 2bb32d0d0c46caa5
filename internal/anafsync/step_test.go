package anafsync_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestStepQuotaWait: a listing quota refusal leaves the run open with
// ResumeAfter and the wait's text; the next step clears both (the run's
// ResumeAfter says it waited, not its text) and finishes the run.
func TestStepQuotaWait(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		b := setup(t, st, options{invoices: 6})
		company := b.company(t, b.busiestCIF(t))
		run, existing, err := b.engine.QueueRun(ctx, company.ID)
		require.NoError(t, err)
		require.False(t, existing)

		require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "listaMesajePaginatieFactura", Kind: anafsim.FaultQuota, Count: 100}))
		_, done, err := b.engine.Step(ctx, run.ID, "test-owner", anafsync.StepOptions{})
		var qw *anafsync.QuotaWaitError
		require.True(t, errors.As(err, &qw), "%v", err)
		require.False(t, done)
		waiting, err := st.SyncRunByID(ctx, run.ID)
		require.NoError(t, err)
		require.Nil(t, waiting.FinishedAt)
		require.NotNil(t, waiting.ResumeAfter)
		require.True(t, waiting.ResumeAfter.Equal(qw.Until))
		require.Equal(t, qw.Error(), waiting.Error)

		// Issue 15 item 3: before the reset nobody asks ANAF again, a
		// foreground sync (`efactura sync`) included.
		calls := b.sim.Stats().Calls["listaMesajePaginatieFactura"]
		_, done, err = b.engine.Step(ctx, run.ID, "test-owner", anafsync.StepOptions{})
		require.True(t, errors.As(err, &qw), "%v", err)
		require.False(t, done)
		_, err = b.engine.SyncCompany(ctx, company.ID, nil)
		require.True(t, errors.As(err, &qw), "%v", err)
		require.True(t, qw.Until.Equal(*waiting.ResumeAfter))
		require.Equal(t, calls, b.sim.Stats().Calls["listaMesajePaginatieFactura"], "no call before the reset")

		b.sim.ClearFaults()
		b.clock.Advance(qw.Until.Sub(b.clock.Now()) + time.Minute)
		var during *store.SyncRun
		progress := func(anafsync.Progress) {
			if during == nil {
				r, rerr := st.SyncRunByID(ctx, run.ID)
				require.NoError(t, rerr)
				during = r
			}
		}
		res, done, err := b.engine.Step(ctx, run.ID, "test-owner", anafsync.StepOptions{Progress: progress})
		require.NoError(t, err)
		require.True(t, done)
		require.Equal(t, len(b.rawList(t, company.CIF)), res.New)
		require.NotNil(t, during)
		require.Equal(t, store.SyncRunning, during.Status)
		require.Nil(t, during.ResumeAfter)
		require.Empty(t, during.Error, "the wait's text is cleared when the run resumes")
		finished, err := st.SyncRunByID(ctx, run.ID)
		require.NoError(t, err)
		require.Equal(t, store.SyncOK, finished.Status)
		require.Nil(t, finished.ResumeAfter)
		require.Empty(t, finished.Error)
	})
}

// TestSyncNowEnqueues: an engine built with an Enqueuer queues a job
// instead of syncing in this process.
func TestSyncNowEnqueues(t *testing.T) {
	t.Parallel()
	var got []int64
	refused := errors.New("queue down")
	e := anafsync.New(anafsync.Options{Enqueue: func(_ context.Context, companyID int64) (*store.SyncRun, error) {
		got = append(got, companyID)
		if companyID == 2 {
			return nil, refused
		}
		return &store.SyncRun{ID: 9, CompanyID: companyID}, nil
	}})
	require.NoError(t, e.SyncNow(t.Context(), 1))
	require.ErrorIs(t, e.SyncNow(t.Context(), 2), refused)
	require.Equal(t, []int64{1, 2}, got)
	e.Wait()
}

// TestStepReleasesClaimsAhead: a step that runs out of time mid-page
// leaves no download claim behind, those its look-ahead took for messages
// it did not start included (issue 16), and the steps after it archive
// every message with one download each.
func TestStepReleasesClaimsAhead(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		b := setup(t, st, options{invoices: 40, noQuotas: true})
		company := b.company(t, b.busiestCIF(t))
		run, _, err := b.engine.QueueRun(ctx, company.ID)
		require.NoError(t, err)
		steps := 0
		for done := false; !done; steps++ {
			require.Less(t, steps, 200)
			_, done, err = b.engine.Step(ctx, run.ID, "test-owner", anafsync.StepOptions{
				MaxDuration: 30 * time.Millisecond,
				Progress:    func(anafsync.Progress) { time.Sleep(5 * time.Millisecond) }, // a slow message
			})
			require.NoError(t, err)
			var claims int
			require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT count(*) FROM sync_download_claims`).Scan(&claims))
			require.Zero(t, claims, "step %d left claims", steps)
		}
		require.Greater(t, steps, 1, "the steps ran out of time")
		want := len(b.rawList(t, company.CIF))
		var n int
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT count(*) FROM invoices WHERE company_id = $1`, company.ID).Scan(&n))
		require.Equal(t, want, n)
		require.Equal(t, want, b.sim.Stats().OKCalls["descarcare"], "one download per message")
	})
}
