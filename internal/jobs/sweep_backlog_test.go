package jobs_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// TestSweepEventsBacklog: events recorded without a queue (the CLI, a
// restore, a seeded archive) are queued by sweep_events SweepEventsChunk
// to a job, not one job per event (which ran a few events a second on
// SQLite), and all of them end dispatched.
func TestSweepEventsBacklog(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u, err := st.CreateUser(ctx, "owner@example.com", "x", false, store.UserApproved)
		require.NoError(t, err)
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SRL", u.ID)
		require.NoError(t, err)
		const n = 2*jobs.SweepEventsChunk + 7
		old := time.Now().UTC().Add(-time.Hour)
		for i := range n {
			_, err := st.RecordEvent(ctx, &store.Event{CompanyID: c.ID, Type: store.EventSyncFailed, SubjectID: int64(i + 1), CreatedAt: old})
			require.NoError(t, err)
		}
		r := sweepRunner(t, st, &webhook.Deliverer{Store: st, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, r.SweepEvents(ctx))

		res, err := r.Client().JobList(ctx, river.NewJobListParams().Kinds("dispatch_event").First(100))
		require.NoError(t, err)
		require.Len(t, res.Jobs, 3, "%d events: 3 jobs of at most %d", n, jobs.SweepEventsChunk)

		require.NoError(t, r.Start(ctx))
		t.Cleanup(func() { _ = r.Stop(t.Context()) })
		require.Eventually(t, func() bool {
			left, err := st.UndispatchedEvents(ctx, time.Now().Add(time.Hour), 1000)
			require.NoError(t, err)
			return len(left) == 0
		}, 60*time.Second, 50*time.Millisecond, "every event dispatched")
	})
}

// sweepRunner is a job runner over st whose events go to d (not started),
// as the sweep tests need it.
func sweepRunner(t *testing.T, st *store.Store, d *webhook.Deliverer) *jobs.Runner {
	t.Helper()
	discard := slog.New(slog.DiscardHandler)
	require.NoError(t, jobs.Migrate(t.Context(), st, nil))
	r, err := jobs.New(jobs.Options{Store: st, Engine: &anafsync.Engine{Store: st, Logger: discard}, Logger: discard, Webhooks: d})
	require.NoError(t, err)
	t.Cleanup(func() { st.SetEventQueue(nil) })
	return r
}
