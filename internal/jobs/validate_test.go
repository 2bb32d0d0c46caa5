package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestValidateArchiveJob: invoices archived without a verdict are
// validated by the one-off validate_archive job, in steps (a tiny step
// bound makes it snooze and resume many times), only one job at a time.
func TestValidateArchiveJob(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		e := newEnv(t, st, 6, nil)
		eng := e.syncAll(t, st)
		want := map[int64]store.InvoiceValidation{}
		for _, c := range e.cos {
			list, _, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID})
			require.NoError(t, err)
			for _, inv := range list {
				v, err := st.InvoiceValidation(ctx, c.ID, inv.ID)
				require.NoError(t, err)
				require.Equal(t, anafsync.ValidatedWith, v.ValidatedWith, "sync stores the verdict")
				want[inv.ID] = *v
			}
		}
		require.NotEmpty(t, want)
		_, err := st.ResetInvoiceValidation(ctx, 0)
		require.NoError(t, err)

		require.NoError(t, jobs.Migrate(ctx, st, nil))
		r, err := jobs.New(jobs.Options{Store: st, Engine: eng, Logger: slog.New(slog.DiscardHandler),
			StepDuration: 20 * time.Millisecond})
		require.NoError(t, err)
		// Not started yet: the first insert waits, the second is a duplicate.
		ok, err := r.EnqueueValidation(ctx)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = r.EnqueueValidation(ctx)
		require.NoError(t, err)
		require.False(t, ok, "a second validate_archive job while one waits")

		require.NoError(t, r.Start(ctx))
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = r.Stop(sctx)
		})
		waitJobs(t, r, 60*time.Second)
		has, err := st.HasInvoicesToValidate(ctx, anafsync.ValidatedWith)
		require.NoError(t, err)
		require.False(t, has)
		for id, w := range want {
			var got *store.InvoiceValidation
			for _, c := range e.cos {
				if got, err = st.InvoiceValidation(ctx, c.ID, id); err == nil {
					break
				}
			}
			require.NotNil(t, got)
			require.Equal(t, w.State, got.State)
			require.Equal(t, w.Warnings, got.Warnings)
			require.JSONEq(t, string(w.Report), string(got.Report))
		}

		// Nothing left: nothing enqueued.
		ok, err = r.EnqueueValidation(ctx)
		require.NoError(t, err)
		require.False(t, ok)
	})
}

// waitJobs waits until no validate_archive job is waiting or running.
func waitJobs(t *testing.T, r *jobs.Runner, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		res, err := r.Client().JobList(t.Context(), river.NewJobListParams().Kinds(jobs.ValidateArchiveArgs{}.Kind()).First(100))
		require.NoError(t, err)
		open := 0
		for _, j := range res.Jobs {
			switch j.State {
			case rivertype.JobStateCompleted:
			case rivertype.JobStateDiscarded, rivertype.JobStateCancelled:
				t.Fatalf("validate_archive job %d ended %s: %v", j.ID, j.State, j.Errors)
			default:
				open++
			}
		}
		if open == 0 && len(res.Jobs) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("validate_archive still open after %v", within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestValidateArchiveEnqueuedAtStart: a server's runner (Schedule on)
// enqueues validate_archive at start when invoices lack a verdict, and
// they get one without anybody asking.
func TestValidateArchiveEnqueuedAtStart(t *testing.T) {
	t.Parallel()
	st := storetest.NewSQLite(t)
	ctx := t.Context()
	e := newEnv(t, st, 3, nil)
	eng := e.syncAll(t, st)
	n, err := st.ResetInvoiceValidation(ctx, 0)
	require.NoError(t, err)
	require.Positive(t, n)

	require.NoError(t, jobs.Migrate(ctx, st, nil))
	r, err := jobs.New(jobs.Options{Store: st, Engine: eng, Logger: slog.New(slog.DiscardHandler), Schedule: true,
		ScheduleEvery: time.Hour})
	require.NoError(t, err)
	require.NoError(t, r.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Stop(sctx)
	})
	waitJobs(t, r, 60*time.Second)
	has, err := st.HasInvoicesToValidate(ctx, anafsync.ValidatedWith)
	require.NoError(t, err)
	require.False(t, has)
}
