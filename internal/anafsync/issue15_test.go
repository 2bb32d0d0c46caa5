package anafsync_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// logBuffer collects the engine's log lines (text handler) for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger(testing.TB) *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// syncedFromScratch makes the company's next incremental run list its
// whole 60 days again (as after a restore), to prove what is not asked again.
func syncedFromScratch(t *testing.T, b *testBundle, companyID int64) {
	t.Helper()
	require.NoError(t, b.st.SetCompanySyncedUntil(t.Context(), companyID, b.clock.Now().Add(-59*24*time.Hour)))
}

// Item 3: a message refused for ANAF's daily download limit is deferred to
// the quota reset (Bucharest midnight): not asked again before it by any
// run, the window not advanced past it, downloaded after it; a refusal
// after the assumed reset is logged.
func TestSyncDefersDailyDownloadQuota(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		logs := &logBuffer{}
		b := setup(t, st, options{invoices: 6, logger: logs.logger})
		cif := b.busiestCIF(t)
		n := b.sim.CIFs()[cif]
		company := b.company(t, cif)
		require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "descarcare", Kind: anafsim.FaultQuota, Count: 1}))

		res, err := b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Zero(t, res.Failed, "a deferral is not a failure")
		require.Equal(t, n-1, res.New)
		run := b.lastRun(t, company.ID)
		require.Equal(t, anafsync.SyncOKWithWarnings, run.Status)
		require.Equal(t, 1, run.Deferred)
		reset := anaf.NextQuotaReset(b.clock.Now())
		require.NotNil(t, run.DeferredUntil)
		require.True(t, run.DeferredUntil.Equal(reset), "%v, want %v", run.DeferredUntil, reset)
		require.Contains(t, run.Warning, "daily download limit")
		c, err := st.CompanyByID(ctx, company.ID)
		require.NoError(t, err)
		require.Nil(t, c.LastSyncedUntil, "the window stays before the deferred message")

		// The next hourly runs list it again but do not ask for it.
		calls := b.sim.Stats().Calls["descarcare"]
		for range 3 {
			b.clock.Advance(time.Hour)
			res, err = b.engine.SyncCompany(ctx, company.ID, nil)
			require.NoError(t, err)
			require.Zero(t, res.New)
			require.Equal(t, 1, b.lastRun(t, company.ID).Deferred)
		}
		require.Equal(t, calls, b.sim.Stats().Calls["descarcare"], "no download before the quota reset")

		// After the reset ANAF still refuses: logged, deferred again.
		b.clock.Advance(reset.Sub(b.clock.Now()) + time.Minute)
		require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "descarcare", Kind: anafsim.FaultQuota, Count: 1}))
		_, err = b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Contains(t, logs.String(), "ANAF still refuses a download after the assumed daily quota reset")
		run = b.lastRun(t, company.ID)
		require.Equal(t, 1, run.Deferred)
		next := anaf.NextQuotaReset(b.clock.Now())
		require.True(t, run.DeferredUntil.Equal(next))

		// After the next reset it is archived and the window moves on.
		b.clock.Advance(next.Sub(b.clock.Now()) + time.Minute)
		res, err = b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Equal(t, 1, res.New)
		run = b.lastRun(t, company.ID)
		require.Equal(t, store.SyncOK, run.Status)
		require.Zero(t, run.Deferred)
		require.Len(t, b.invoices(t, company.ID), n)
		c, err = st.CompanyByID(ctx, company.ID)
		require.NoError(t, err)
		require.NotNil(t, c.LastSyncedUntil)
		left, err := st.MessagesInState(ctx, company.ID, store.MessageDeferred, 0)
		require.NoError(t, err)
		require.Empty(t, left)
	})
}

// Item 7: HTTP 429 without Retry-After: the run waits about a minute (with
// jitter), not an hour, and nobody (a foreground sync included) asks ANAF
// before that; then it finishes.
func TestSync429WithoutRetryAfterWaitsAboutAMinute(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		b := setup(t, st, options{invoices: 6, engine: func(e *anafsync.Engine) {
			e.Retry = anaf.RetryPolicy{MaxAttempts: 1} // the run's own wait, not the in-step backoff
		}})
		cif := b.busiestCIF(t)
		n := b.sim.CIFs()[cif]
		company := b.company(t, cif)
		require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "descarcare", Kind: anafsim.FaultHTTP429, Count: 1}))

		_, err := b.engine.SyncCompany(ctx, company.ID, nil)
		var qw *anafsync.QuotaWaitError
		require.True(t, errors.As(err, &qw), "%v", err)
		wait := qw.Until.Sub(b.clock.Now())
		require.GreaterOrEqual(t, wait, anaf.RateLimitWait-time.Second)
		require.LessOrEqual(t, wait, anaf.RateLimitWait+anaf.RateLimitJitter)
		run := b.lastRun(t, company.ID)
		require.Nil(t, run.FinishedAt)
		require.NotNil(t, run.ResumeAfter)
		require.True(t, run.ResumeAfter.Equal(qw.Until))

		calls := b.sim.Stats().Calls
		_, err = b.engine.SyncCompany(ctx, company.ID, nil)
		require.True(t, errors.As(err, &qw), "a sync before the wait ends waits too: %v", err)
		require.Equal(t, calls, b.sim.Stats().Calls, "ANAF not called before the wait ends")

		b.clock.Advance(wait + time.Second)
		res, err := b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Equal(t, n, res.New)
		require.Equal(t, store.SyncOK, b.lastRun(t, company.ID).Status)
	})
}

// Item 4: a message ANAF refuses as past its 60-day retention is recorded
// expired with ANAF's text, the run ends ok_with_warnings, and it is never
// requested again.
func TestSyncRecordsExpiredMessages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		b := setup(t, st, options{invoices: 6})
		cif := b.busiestCIF(t)
		n := b.sim.CIFs()[cif]
		company := b.company(t, cif)
		expired := b.rawList(t, cif)[0].ID
		require.NoError(t, b.sim.Expire(expired))

		res, err := b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Zero(t, res.Failed)
		require.Equal(t, n-1, res.New)
		run := b.lastRun(t, company.ID)
		require.Equal(t, anafsync.SyncOKWithWarnings, run.Status)
		require.Equal(t, 1, run.Expired)
		const text = "Fisierul nu mai poate fi descarcat pentru ca a trecut perioada de 60 de zile in care este disponibil"
		require.Equal(t, text, run.ExpiredText)
		require.Contains(t, run.Warning, text)
		require.Empty(t, run.Error)
		c, err := st.CompanyByID(ctx, company.ID)
		require.NoError(t, err)
		require.NotNil(t, c.LastSyncedUntil, "expired is terminal: the window moves on")
		states, err := st.MessagesInState(ctx, company.ID, store.MessageExpired, 0)
		require.NoError(t, err)
		require.Len(t, states, 1)
		require.Equal(t, expired, states[0].ANAFID)
		require.Equal(t, text, states[0].ANAFText)

		// Listed again (the whole window): not requested again.
		calls := b.sim.Stats().Calls["descarcare"]
		syncedFromScratch(t, b, company.ID)
		b.clock.Advance(time.Minute)
		res, err = b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Zero(t, res.New)
		require.Zero(t, res.Failed)
		require.Equal(t, calls, b.sim.Stats().Calls["descarcare"], "an expired message is never requested again")
		run = b.lastRun(t, company.ID)
		require.Equal(t, anafsync.SyncOKWithWarnings, run.Status)
		require.Equal(t, 1, run.Expired)
	})
}

// Item 5: messages ANAF lists for another CIF are dropped, counted in the
// run, named in its warning and logged once per run.
func TestSyncCountsMessagesListedForAnotherCIF(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		logs := &logBuffer{}
		b := setup(t, st, options{invoices: 12, logger: logs.logger})
		cif := b.busiestCIF(t)
		n := b.sim.CIFs()[cif]
		company := b.company(t, cif)
		own := map[string]bool{}
		for _, m := range b.rawList(t, cif) {
			own[m.ID] = true
		}
		var foreign []string
		var other string
		for c := range b.sim.CIFs() {
			if c == cif {
				continue
			}
			for _, m := range b.rawList(t, c) {
				if !own[m.ID] && len(foreign) < 2 {
					require.NoError(t, b.sim.ListAlsoFor(m.ID, c, cif))
					foreign, other = append(foreign, m.ID), c
				}
			}
			if len(foreign) == 2 {
				break
			}
		}
		require.Len(t, foreign, 2)

		res, err := b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Equal(t, n, res.Found)
		require.Equal(t, n, res.New)
		got := b.invoices(t, company.ID)
		for _, id := range foreign {
			require.NotContains(t, got, id, "never stored under this company")
		}
		run := b.lastRun(t, company.ID)
		require.Equal(t, anafsync.SyncOKWithWarnings, run.Status)
		require.Equal(t, 2, run.Foreign)
		require.Contains(t, run.ForeignCIFs, other)
		require.Contains(t, run.Warning, "ANAF listed 2 messages for another CIF")
		require.Contains(t, run.Warning, other)
		require.Equal(t, 1, strings.Count(logs.String(), "ANAF listed messages for another CIF"), "logged once per run")
	})
}

// Item 6: a ZIP of another layout is archived once, byte for byte, with
// its parse error (parse status unreadable), and never downloaded again.
func TestSyncArchivesUnreadableZIPOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		b := setup(t, st, options{invoices: 6})
		cif := b.busiestCIF(t)
		n := b.sim.CIFs()[cif]
		company := b.company(t, cif)
		id := b.rawList(t, cif)[0].ID
		require.NoError(t, b.sim.OtherLayout(id))

		res, err := b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Equal(t, n, res.New)
		require.Zero(t, res.Failed)
		require.Equal(t, 1, b.sim.Stats().Downloads[id], "downloaded once")
		inv := b.invoices(t, company.ID)[id]
		require.NotNil(t, inv)
		require.NotEmpty(t, inv.ParseError)
		require.Equal(t, store.ParseUnreadable, inv.ParseStatus())
		require.Equal(t, b.rawGet(t, "/test/FCTEL/rest/descarcare?id="+id), inv.ZIP, "byte for byte")

		// Listed again: not downloaded again.
		syncedFromScratch(t, b, company.ID)
		b.clock.Advance(time.Minute)
		res, err = b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Zero(t, res.New)
		require.Equal(t, 2, b.sim.Stats().Downloads[id], "only the test's own download since")
	})
}

// Item 8: the same invoice listed twice by ANAF (re-published under
// another message id) is kept twice, the later marked duplicate_of the
// first, and counted once in figures and exports.
func TestSyncMarksRepublishedInvoiceDuplicate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		b := setup(t, st, options{invoices: 6})
		cif := b.busiestCIF(t)
		n := b.sim.CIFs()[cif]
		company := b.company(t, cif)
		orig := b.rawList(t, cif)[0].ID
		again, err := b.sim.Republish(orig, b.clock.Now().Add(-2*time.Minute))
		require.NoError(t, err)

		res, err := b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Equal(t, n+1, res.New, "both of ANAF's records are kept")
		got := b.invoices(t, company.ID)
		require.NotZero(t, got[orig].ID)
		require.Zero(t, got[orig].DuplicateOf, "the first one is the original")
		require.Equal(t, got[orig].ID, got[again].DuplicateOf)
		require.Zero(t, got[again].ConflictOf)
		run := b.lastRun(t, company.ID)
		require.Equal(t, anafsync.SyncOKWithWarnings, run.Status)
		require.Equal(t, 1, run.Duplicates)

		_, all, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: company.ID})
		require.NoError(t, err)
		require.Equal(t, n+1, all)
		_, once, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: company.ID, ExcludeDuplicates: true})
		require.NoError(t, err)
		require.Equal(t, n, once)
		amounts, err := st.InvoiceAmounts(ctx, company.ID, "2000-01-01")
		require.NoError(t, err)
		parsed := 0
		for _, inv := range got {
			if inv.IssueDate != "" && inv.DuplicateOf == 0 {
				parsed++
			}
		}
		require.Len(t, amounts, parsed, "figures count the invoice once")
	})
}

// Item 9: a message ANAF makes visible later than its data_creare falls
// out of the incremental window; the daily re-list of the last 48 hours
// finds it (downloading only it) and reports it.
func TestDailyRelistFindsLatePublication(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		logs := &logBuffer{}
		var mu sync.Mutex
		missed := map[string]int{}
		b := setup(t, st, options{invoices: 6, logger: logs.logger, engine: func(e *anafsync.Engine) {
			e.OnRelist = func(cif string, n int) { mu.Lock(); missed[cif] += n; mu.Unlock() }
		}})
		cif := b.busiestCIF(t)
		n := b.sim.CIFs()[cif]
		company := b.company(t, cif)
		late := b.rawList(t, cif)[0].ID
		now := b.clock.Now()
		require.NoError(t, b.sim.SetCreated(late, now.Add(-3*time.Hour)))
		require.NoError(t, b.sim.HideUntil(late, now.Add(time.Hour)))

		res, err := b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Equal(t, n-1, res.New)
		b.clock.Advance(2 * time.Hour)
		res, err = b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Zero(t, res.New, "the incremental window starts after its data_creare")
		require.NotContains(t, b.invoices(t, company.ID), late)

		downloads := b.sim.Stats().Calls["descarcare"]
		run, existing, err := b.engine.QueueRelist(ctx, company.ID)
		require.NoError(t, err)
		require.False(t, existing)
		res, done, err := b.engine.Step(ctx, run.ID, "relist-test", anafsync.StepOptions{})
		require.NoError(t, err)
		require.True(t, done)
		require.Equal(t, 1, res.New)
		require.Contains(t, b.invoices(t, company.ID), late)
		require.Equal(t, downloads+1, b.sim.Stats().Calls["descarcare"], "only the missed message is downloaded")
		finished, err := st.SyncRunByID(ctx, run.ID)
		require.NoError(t, err)
		require.Equal(t, store.SyncKindRelist, finished.Kind)
		require.GreaterOrEqual(t, finished.WindowEnd.Sub(*finished.WindowStart), anafsync.RelistWindow)
		mu.Lock()
		require.Equal(t, 1, missed[cif])
		mu.Unlock()
		require.Contains(t, logs.String(), "missed_by_incremental_syncs=1")

		// The window is not moved back by a re-list.
		c, err := st.CompanyByID(ctx, company.ID)
		require.NoError(t, err)
		require.True(t, c.LastSyncedUntil.Equal(*finished.WindowEnd))
	})
}

var _ = context.Background
