package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// portfolioWorld: user u with verified companies c1 (10 invoices, one an
// ANAF error list, a finished run with 2 messages at risk, u consents) and
// c2 (u does not consent; no invoice, one deferred message 55 days old and one 10 days old,
// added 60 days ago, never synced); c3, another user's, with 5 invoices.
type portfolioWorld struct {
	u          *store.User
	c1, c2, c3 *store.Company
	now        time.Time
}

func newPortfolioWorld(t *testing.T, st *store.Store) *portfolioWorld {
	t.Helper()
	ctx := t.Context()
	w := &portfolioWorld{now: time.Now().UTC()}
	var err error
	w.u, err = st.CreateUser(ctx, "acct@example.ro", "h", false, store.UserApproved)
	require.NoError(t, err)
	other, err := st.CreateUser(ctx, "other@example.ro", "h", false, store.UserApproved)
	require.NoError(t, err)
	for i, dst := range []**store.Company{&w.c1, &w.c2, &w.c3} {
		*dst, err = st.CreateCompany(ctx, fmt.Sprintf("1000000%d", i), fmt.Sprintf("Firma %d", i))
		require.NoError(t, err)
		_, err = st.DB().ExecContext(ctx, `UPDATE companies SET status = 'verified' WHERE id = $1`, (*dst).ID)
		require.NoError(t, err)
	}
	require.NoError(t, st.AddMembership(ctx, w.c1.ID, w.u.ID, store.RoleOwner))
	require.NoError(t, st.AddMembership(ctx, w.c2.ID, w.u.ID, store.RoleOwner))
	require.NoError(t, st.AddMembership(ctx, w.c3.ID, other.ID, store.RoleOwner))
	require.NoError(t, st.SetConsent(ctx, w.c1.ID, w.u.ID, true))
	require.NoError(t, st.SetConsent(ctx, w.c2.ID, w.u.ID, false))
	bulkInvoices(t, st, w.c1.ID, 10)
	bulkInvoices(t, st, w.c3.ID, 5)
	_, err = st.DB().ExecContext(ctx, `UPDATE invoices SET message_type = $1 WHERE company_id = $2 AND anaf_id = '4000000009'`, store.TypeErrors, w.c1.ID)
	require.NoError(t, err)
	// bulkInvoices' synced_at: 2026-01-01 00:00:i.
	require.NoError(t, st.MarkCompanyVisited(ctx, w.u.ID, w.c1.ID, time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC)))
	run, err := st.StartSyncRun(ctx, w.c1.ID)
	require.NoError(t, err)
	run.Status, run.AtRisk = store.SyncOK, 2
	require.NoError(t, st.FinishSyncRun(ctx, run))
	old, recent := w.now.Add(-55*24*time.Hour), w.now.Add(-10*24*time.Hour)
	require.NoError(t, st.SetMessageState(ctx, &store.MessageState{CompanyID: w.c2.ID, ANAFID: "1", State: store.MessageDeferred, ANAFCreatedAt: &old}))
	require.NoError(t, st.SetMessageState(ctx, &store.MessageState{CompanyID: w.c2.ID, ANAFID: "2", State: store.MessageDeferred, ANAFCreatedAt: &recent}))
	_, err = st.DB().ExecContext(ctx, `UPDATE companies SET created_at = $1 WHERE id = $2`, st.TimeValue(w.now.Add(-60*24*time.Hour)), w.c2.ID)
	require.NoError(t, err)
	return w
}

// TestPortfolio: the figures of every company of a user, none of
// another's, and the SPV 60-day edge (per company and installation-wide).
func TestPortfolio(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		w := newPortfolioWorld(t, st)
		got, err := st.Portfolio(ctx, w.u.ID, w.now)
		require.NoError(t, err)
		require.Len(t, got, 2, "the user's companies only")
		f1, f2 := got[w.c1.ID], got[w.c2.ID]
		require.Equal(t, 3, f1.NewInvoices, "synced after the visit at :05, the error list aside")
		require.Equal(t, 1, f1.NewErrors)
		require.NotNil(t, f1.LastVisit)
		require.NotNil(t, f1.LastRun)
		require.Equal(t, store.SyncOK, f1.LastRun.Status)
		require.NotNil(t, f1.LastSuccess)
		require.Equal(t, 2, f1.AtRisk, "the last finished run's")
		require.Equal(t, []int64{w.u.ID}, f1.Consenting)
		require.False(t, f1.Stale(w.c1.CreatedAt, w.now))

		require.Nil(t, f2.LastVisit)
		require.Nil(t, f2.LastRun)
		require.Zero(t, f2.NewInvoices)
		require.Equal(t, 1, f2.AtRisk, "the deferred message over 50 days old")
		require.Empty(t, f2.Consenting)
		require.True(t, f2.Stale(w.now.Add(-60*24*time.Hour), w.now))

		msgs, stale, err := st.SPVAtRisk(ctx, w.now)
		require.NoError(t, err)
		require.Equal(t, 3, msgs)
		require.Equal(t, 1, stale, "c2: added 60 days ago, never synced (c3, just added, is not)")
		one, err := st.CompanySPVAtRisk(ctx, w.c1.ID, w.now)
		require.NoError(t, err)
		require.Equal(t, 2, one.Messages)
		require.NotNil(t, one.LastSuccess)
		two, err := st.CompanySPVAtRisk(ctx, w.c2.ID, w.now)
		require.NoError(t, err)
		require.Equal(t, 1, two.Messages)
		require.Nil(t, two.LastSuccess)
	})
}

// TestSearchInvoices: one list over several companies (never others'),
// by name or number text, by amount as people type it, with the list's
// filters and order.
func TestSearchInvoices(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		w := newPortfolioWorld(t, st)
		bulkInvoices(t, st, w.c2.ID, 4)
		ids := []int64{w.c1.ID, w.c2.ID}
		all, n, err := st.SearchInvoices(ctx, ids, store.InvoiceFilter{}, "", "")
		require.NoError(t, err)
		require.Equal(t, 14, n)
		require.Len(t, all, 14)
		for _, inv := range all {
			require.NotEqual(t, w.c3.ID, inv.CompanyID)
		}
		// search_text "f-000003\nalfa 3\nbeta" in c1 and c2 (and c3: not listed).
		got, n, err := st.SearchInvoices(ctx, ids, store.InvoiceFilter{SortBy: "invoice_number"}, "", "ALFA 3")
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.ElementsMatch(t, []int64{w.c1.ID, w.c2.ID}, []int64{got[0].CompanyID, got[1].CompanyID})
		// i=2: total 15838.02 in each company.
		for _, typed := range []string{"15838.02", "15.838,02", "15,838.02", "15838,02", "15 838,02"} {
			_, n, err = st.SearchInvoices(ctx, ids, store.InvoiceFilter{}, "", typed)
			require.NoError(t, err)
			require.Equal(t, 2, n, typed)
		}
		_, n, err = st.SearchInvoices(ctx, []int64{w.c1.ID}, store.InvoiceFilter{MessageType: store.TypeErrors}, "", "")
		require.NoError(t, err)
		require.Equal(t, 1, n)
		page, n, err := st.SearchInvoices(ctx, ids, store.InvoiceFilter{SortBy: "synced_at", SortDesc: true, Limit: 5, Offset: 5}, "", "")
		require.NoError(t, err)
		require.Equal(t, 14, n)
		require.Len(t, page, 5)
		require.False(t, page[0].SyncedAt.Before(page[4].SyncedAt))
		none, n, err := st.SearchInvoices(ctx, nil, store.InvoiceFilter{}, "", "x")
		require.NoError(t, err)
		require.Zero(t, n)
		require.Empty(t, none)
		// Text the databases must take as a parameter, never as SQL.
		for _, odd := range []string{"%", "_", `\`, "'; DROP TABLE invoices; --", "\x00", "ț", "-1", "1e9"} {
			_, _, err = st.SearchInvoices(ctx, ids, store.InvoiceFilter{}, "", odd)
			require.NoError(t, err, odd)
		}
	})
}

// BenchmarkPortfolio50: the portfolio of a user with 50 companies of 200
// invoices each (a fixed number of queries, not one per company).
func BenchmarkPortfolio50(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			st := benchStore(b, d)
			ctx := context.Background()
			u, err := st.CreateUser(ctx, "bench@example.ro", "h", false, store.UserApproved)
			require.NoError(b, err)
			ids := make([]int64, 50)
			for i := range ids {
				c, err := st.CreateCompany(ctx, fmt.Sprintf("2000%04d", i), fmt.Sprintf("Client %d", i))
				require.NoError(b, err)
				_, err = st.DB().ExecContext(ctx, `UPDATE companies SET status = 'verified' WHERE id = $1`, c.ID)
				require.NoError(b, err)
				require.NoError(b, st.AddMembership(ctx, c.ID, u.ID, store.RoleOwner))
				bulkInvoices(b, st, c.ID, 200)
				ids[i] = c.ID
			}
			now := time.Now()
			b.Run("portfolio", func(b *testing.B) {
				for b.Loop() {
					got, err := st.Portfolio(ctx, u.ID, now)
					require.NoError(b, err)
					require.Len(b, got, 50)
				}
			})
			b.Run("search", func(b *testing.B) {
				for b.Loop() {
					_, n, err := st.SearchInvoices(ctx, ids, store.InvoiceFilter{Limit: 50}, "", "alfa 3")
					require.NoError(b, err)
					require.Positive(b, n)
				}
			})
		})
	}
}

func benchStore(b *testing.B, d store.Dialect) *store.Store {
	if d == store.SQLite {
		return storetest.NewSQLite(b)
	}
	return storetest.NewPostgres(b)
}

// FuzzParseAmount: the search's amount reading never panics, and an
// amount it reads is one the databases compare (a decimal text).
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1234.56", "1.234,56", "1,234.56", "1 234,56", "-5", "1,2,3", "..", "", "12a", "1e5", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := store.ParseAmount(s)
		if ok && d.String() == "" {
			t.Fatalf("ParseAmount(%q) gave an empty decimal", s)
		}
	})
}

// FuzzSearchText: any text typed into the cross-company search reaches
// SQLite as parameters only and never fails the query (LIKE wildcards,
// quotes, NUL, invalid UTF-8, amounts, CIFs).
func FuzzSearchText(f *testing.F) {
	st := storetest.NewSQLite(f)
	ctx := context.Background()
	c, err := st.CreateCompany(ctx, "12345674", "ALFA")
	require.NoError(f, err)
	bulkInvoices(f, st, c.ID, 20)
	for _, s := range []string{"alfa 3", "F-000001", "RO12345674", "1.234,56", "%", "_", `\`, "'", "\x00", "\xff", "ț", "-0", ""} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, text, partner string) {
		_, n, err := st.SearchInvoices(ctx, []int64{c.ID}, store.InvoiceFilter{Limit: 5}, partner, text)
		require.NoError(t, err)
		require.LessOrEqual(t, n, 20)
	})
}

// TestRecordSPVAtRisk: spv.messages_at_risk is recorded for each verified
// company with messages at risk or (syncing on its own) stale, at most
// once a Romanian day, with the figures the API shows; none for the
// company without either.
func TestRecordSPVAtRisk(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		w := newPortfolioWorld(t, st)
		n, err := st.RecordSPVAtRisk(ctx, w.now)
		require.NoError(t, err)
		require.Equal(t, 2, n, "c1 (2 at risk) and c2 (1 at risk, stale); not c3")
		n, err = st.RecordSPVAtRisk(ctx, w.now.Add(time.Minute))
		require.NoError(t, err)
		require.Zero(t, n, "once a day")

		var detail string
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT detail FROM events WHERE company_id = $1 AND type = $2`,
			w.c2.ID, store.EventSPVAtRisk).Scan(&detail))
		var d struct {
			AtRisk int     `json:"at_risk_messages"`
			Stale  bool    `json:"stale"`
			Last   *string `json:"last_successful_sync_at"`
		}
		require.NoError(t, json.Unmarshal([]byte(detail), &d))
		require.Equal(t, 1, d.AtRisk)
		require.True(t, d.Stale, "added 60 days ago, never synced, auto-sync on")
		require.Nil(t, d.Last)
		var c3 int
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT count(*) FROM events WHERE company_id = $1 AND type = $2`,
			w.c3.ID, store.EventSPVAtRisk).Scan(&c3))
		require.Zero(t, c3)

		n, err = st.RecordSPVAtRisk(ctx, w.now.Add(24*time.Hour))
		require.NoError(t, err)
		require.Equal(t, 2, n, "the next day again")
	})
}

// TestMarkCompanyVisitedKept: a second visit within VisitMarkEvery while
// the company's invoices stay the same keeps the mark (no write: the
// portfolio counts the same); after an insert, or later, the mark moves.
func TestMarkCompanyVisitedKept(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		w := newPortfolioWorld(t, st)
		visited := func() time.Time {
			t.Helper()
			got, err := st.Portfolio(ctx, w.u.ID, w.now)
			require.NoError(t, err)
			require.NotNil(t, got[w.c1.ID].LastVisit)
			return got[w.c1.ID].LastVisit.UTC()
		}
		t0 := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
		require.NoError(t, st.MarkCompanyVisited(ctx, w.u.ID, w.c1.ID, t0))
		require.Equal(t, t0, visited())
		require.NoError(t, st.MarkCompanyVisited(ctx, w.u.ID, w.c1.ID, t0.Add(30*time.Second)))
		require.Equal(t, t0, visited(), "same invoices, within the minute: kept")
		_, err := st.InsertInvoice(ctx, sampleInvoice(w.c1.ID, "3999999999"))
		require.NoError(t, err)
		require.NoError(t, st.MarkCompanyVisited(ctx, w.u.ID, w.c1.ID, t0.Add(40*time.Second)))
		require.Equal(t, t0.Add(40*time.Second), visited(), "an invoice since: written")
		require.NoError(t, st.MarkCompanyVisited(ctx, w.u.ID, w.c1.ID, t0.Add(2*time.Minute)))
		require.Equal(t, t0.Add(2*time.Minute), visited(), "a minute later: written")
	})
}
