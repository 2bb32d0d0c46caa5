package jobs_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestDailyRelist (issue 15 item 9): schedule_syncs queues, once a day,
// a re-list of each synced company's last 48 hours; it lists without
// downloading what is archived, and is not queued again the same day.
func TestDailyRelist(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		e := newEnv(t, st, 6, nil)
		r := e.runner(t, st, e.engine(st))
		syncAll(t, e, r)
		downloads := e.sim.Stats().Calls["descarcare"]

		require.NoError(t, r.ScheduleOnce(ctx))
		var ids []int64
		for _, c := range e.cos {
			run, err := st.LastSyncRunOfKind(ctx, c.ID, store.SyncKindRelist)
			require.NoError(t, err, "a re-list of %s is queued", c.CIF)
			ids = append(ids, run.ID)
		}
		for _, run := range waitRuns(t, st, ids, 60*time.Second) {
			require.Equal(t, store.SyncKindRelist, run.Kind)
			require.Equal(t, store.SyncOK, run.Status, run.Error)
			require.Zero(t, run.New, "nothing was missed")
			require.LessOrEqual(t, run.Found, e.sim.CIFs()[cifOf(e, run.CompanyID)], "the last 48 hours listed again")
			require.NotNil(t, run.WindowStart)
			require.GreaterOrEqual(t, run.WindowEnd.Sub(*run.WindowStart), 48*time.Hour)
		}
		require.Equal(t, downloads, e.sim.Stats().Calls["descarcare"], "known messages are not downloaded")

		// Once a day: the next tick queues none.
		require.NoError(t, r.ScheduleOnce(ctx))
		for i, c := range e.cos {
			run, err := st.LastSyncRunOfKind(ctx, c.ID, store.SyncKindRelist)
			require.NoError(t, err)
			require.Contains(t, ids, run.ID, "company %s re-listed twice in a day", i)
		}
	})
}

func cifOf(e *env, companyID int64) string {
	for cif, c := range e.cos {
		if c.ID == companyID {
			return cif
		}
	}
	return ""
}
