package jobs_test

import (
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// TestSweepEventsConnectionExpiring: sweep_events (every minute) records
// anaf.connection.expiring for every company of a user whose ANAF
// connection's grant ends within 14 days, then again within 3 days — once
// each however often it runs — and nothing before; a connection that is
// not connected (it already needs its user) gets no notice. The clock is
// injected (the Deliverer's).
func TestSweepEventsConnectionExpiring(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		discard := slog.New(slog.DiscardHandler)
		u, err := st.CreateUser(ctx, "owner@example.com", "x", false, store.UserApproved)
		require.NoError(t, err)
		c1, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SRL", u.ID)
		require.NoError(t, err)
		c2, err := st.CreateCompanyWithOwner(ctx, "14399840", "BETA SRL", u.ID)
		require.NoError(t, err)
		base := time.Now().UTC().Truncate(time.Second)
		end := base.Add(20 * 24 * time.Hour)
		require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: []byte{1}, RefreshTokenEnc: []byte{1},
			ExpiresAt: base.Add(time.Hour), RefreshExpiresAt: &end, Status: store.ANAFConnected}))
		// Another member whose connection already needs them: no expiring notice.
		v, err := st.CreateUser(ctx, "member@example.com", "x", false, store.UserApproved)
		require.NoError(t, err)
		require.NoError(t, st.AddMembership(ctx, c1.ID, v.ID, store.RoleMember))
		soon := base.Add(2 * 24 * time.Hour)
		require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: v.ID, AccessTokenEnc: []byte{1}, RefreshTokenEnc: []byte{1},
			ExpiresAt: base.Add(time.Hour), RefreshExpiresAt: &soon, Status: store.ANAFReconnectNeeded}))

		clock := base
		d := &webhook.Deliverer{Store: st, Logger: discard, Now: func() time.Time { return clock }}
		r := sweepRunner(t, st, d)

		// notices lists the days of each company's expiring notices, oldest first.
		notices := func(c *store.Company) []int {
			evs, err := st.CompanyEvents(ctx, c.ID, 100)
			require.NoError(t, err)
			var days []int
			for i := len(evs) - 1; i >= 0; i-- {
				if evs[i].Type != notify.ConnectionExpiring {
					continue
				}
				var det struct {
					UserID    int64  `json:"user_id"`
					ExpiresAt string `json:"expires_at"`
					Days      int    `json:"days"`
				}
				require.NoError(t, json.Unmarshal(evs[i].Detail, &det))
				require.Equal(t, u.ID, det.UserID)
				require.Equal(t, end.Format(time.RFC3339), det.ExpiresAt)
				days = append(days, det.Days)
			}
			return days
		}
		sweepAt := func(at time.Time, want []int) {
			t.Helper()
			clock = at
			for range 3 { // every minute: the same notice is not recorded again
				require.NoError(t, r.SweepEvents(ctx))
			}
			require.Equal(t, want, notices(c1), "at %s before the end", end.Sub(at))
			require.Equal(t, want, notices(c2), "at %s before the end", end.Sub(at))
		}
		day := 24 * time.Hour
		sweepAt(base, nil)
		sweepAt(end.Add(-14*day-time.Minute), nil)
		sweepAt(end.Add(-14*day+time.Minute), []int{14})
		sweepAt(end.Add(-4*day), []int{14})
		sweepAt(end.Add(-3*day+time.Minute), []int{14, 3})
		sweepAt(end.Add(-day), []int{14, 3})
	})
}
