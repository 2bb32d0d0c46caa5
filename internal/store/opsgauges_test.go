package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestOpsGauges: the alerts' figures on SQLite and PostgreSQL — the
// oldest successful sync among verified auto-syncing companies, the first
// ANAF connection to end (refresh exp, else consent + 365 days), the
// oldest unfinished upload by state, and invoices past their deadline.
func TestOpsGauges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		now := time.Now().UTC().Truncate(time.Second)
		db := st.DB()
		exec := func(q string, args ...any) {
			t.Helper()
			_, err := db.ExecContext(ctx, q, args...)
			require.NoError(t, err, q)
		}

		// Sync: nothing to look at yet.
		age, n, err := st.OldestSyncSuccess(ctx, now)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Zero(t, age)
		a, err := st.CreateCompany(ctx, "12345674", "ALFA")
		require.NoError(t, err)
		b, err := st.CreateCompany(ctx, "98765438", "BETA")
		require.NoError(t, err)
		c, err := st.CreateCompany(ctx, "11111110", "GAMMA")
		require.NoError(t, err)
		exec(`UPDATE companies SET status = 'verified', created_at = $1`, st.TimeValue(now.Add(-100*time.Hour)))
		exec(`UPDATE companies SET auto_sync = $1 WHERE id = $2`, false, c.ID) // GAMMA never syncs on its own
		run := func(company int64, status string, ago time.Duration) {
			exec(`INSERT INTO sync_runs (company_id, started_at, finished_at, status) VALUES ($1, $2, $2, $3)`,
				company, st.TimeValue(now.Add(-ago)), status)
		}
		run(a.ID, "ok", 2*time.Hour)
		run(a.ID, "failed", time.Hour)
		run(b.ID, "partial", 30*time.Hour)
		run(b.ID, "failed", 10*time.Minute)
		age, n, err = st.OldestSyncSuccess(ctx, now)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.Equal(t, 30*time.Hour, age, "BETA's last success, 30 h ago")
		run(b.ID, "ok_with_warnings", time.Hour)
		age, _, err = st.OldestSyncSuccess(ctx, now)
		require.NoError(t, err)
		require.Equal(t, 2*time.Hour, age)
		d, err := st.CreateCompany(ctx, "22222220", "DELTA") // verified, never synced: counts from creation
		require.NoError(t, err)
		exec(`UPDATE companies SET status = 'verified', created_at = $1 WHERE id = $2`, st.TimeValue(now.Add(-50*time.Hour)), d.ID)
		age, n, err = st.OldestSyncSuccess(ctx, now)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		require.Equal(t, 50*time.Hour, age)

		// ANAF connections.
		end, err := st.EarliestANAFConnectionEnd(ctx)
		require.NoError(t, err)
		require.Nil(t, end)
		u1, err := st.CreateUser(ctx, "u1@example.ro", "h", false, "approved")
		require.NoError(t, err)
		u2, err := st.CreateUser(ctx, "u2@example.ro", "h", false, "approved")
		require.NoError(t, err)
		refreshExp := now.Add(380 * 24 * time.Hour)
		require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u1.ID, AccessTokenEnc: []byte("a"), RefreshTokenEnc: []byte("r"),
			ExpiresAt: now.Add(time.Hour), RefreshExpiresAt: &refreshExp, Status: "connected", UpdatedAt: now}))
		end, err = st.EarliestANAFConnectionEnd(ctx)
		require.NoError(t, err)
		require.WithinDuration(t, refreshExp, *end, time.Second)
		// u2's token has no exp: consent 360 days ago + 365 days = 5 days from now.
		require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u2.ID, AccessTokenEnc: []byte("a"), RefreshTokenEnc: []byte("r"),
			ExpiresAt: now.Add(time.Hour), Status: "connected", UpdatedAt: now}))
		end, err = st.EarliestANAFConnectionEnd(ctx)
		require.NoError(t, err)
		require.WithinDuration(t, now.Add(365*24*time.Hour), *end, time.Second, "no consent recorded: the row's update time")
		require.NoError(t, st.Audit(ctx, &store.AuditEvent{At: now.Add(-360 * 24 * time.Hour), ActorID: &u2.ID,
			Action: store.ActionANAFConnect, Target: store.TargetUser(u2.ID)}))
		end, err = st.EarliestANAFConnectionEnd(ctx)
		require.NoError(t, err)
		require.WithinDuration(t, now.Add(5*24*time.Hour), *end, time.Second)
		exec(`UPDATE anaf_tokens SET status = 'reconnect_needed' WHERE user_id = $1`, u2.ID) // alerted on its own
		end, err = st.EarliestANAFConnectionEnd(ctx)
		require.NoError(t, err)
		require.WithinDuration(t, refreshExp, *end, time.Second)

		// Uploads.
		ages, err := st.OldestUnfinishedUploads(ctx, now)
		require.NoError(t, err)
		require.Equal(t, map[string]time.Duration{"sending": 0, "unknown": 0, "pending": 0}, ages)
		past, err := st.PastDeadlineUploads(ctx, now)
		require.NoError(t, err)
		require.Zero(t, past)
		upload := func(number, issue, state string, stateAgo time.Duration) {
			t.Helper()
			u := &store.Upload{CompanyID: a.ID, SellerCIF: "12345674", InvoiceNumber: number, IssueDate: issue,
				State: state, DocSHA256: []byte{1}}
			require.NoError(t, st.CreateUpload(ctx, u))
			exec(`UPDATE uploads SET state_at = $1 WHERE id = $2`, st.TimeValue(now.Add(-stateAgo)), u.ID)
		}
		day := func(daysAgo int) string { return now.AddDate(0, 0, -daysAgo).Format(time.DateOnly) }
		upload("F1", day(0), "sending", 3*time.Hour)
		upload("F2", day(0), "pending", 20*time.Minute)
		upload("F3", day(30), "nok", 29*24*time.Hour) // refused, never sent again: past its deadline
		upload("F4", day(30), "nok", 29*24*time.Hour) // refused, then accepted
		upload("F4", day(30), "ok", 28*24*time.Hour)
		upload("F5", day(90), "nok", 89*24*time.Hour)    // outside the window
		upload("F6", day(1), "nok", time.Hour)           // still within its five working days
		upload("F7", "2026-13-45", "invalid", time.Hour) // no date: skipped
		upload("F8", day(20), "unknown", 19*24*time.Hour)
		ages, err = st.OldestUnfinishedUploads(ctx, now)
		require.NoError(t, err)
		require.Equal(t, 3*time.Hour, ages["sending"])
		require.Equal(t, 20*time.Minute, ages["pending"])
		require.Equal(t, 19*24*time.Hour, ages["unknown"])
		past, err = st.PastDeadlineUploads(ctx, now)
		require.NoError(t, err)
		require.Equal(t, 2, past, "F3 and F8")
	})
}
