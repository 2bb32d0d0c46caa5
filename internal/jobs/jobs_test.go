package jobs_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

const (
	clientID     = "jobs-test-client"
	clientSecret = "jobs-test-secret"
)

var fastRetry = anaf.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Jitter: -1}

type env struct {
	st     *store.Store
	sim    *anafsim.Server
	srv    *httptest.Server
	keys   *secretbox.Keyring
	userID int64
	cos    map[string]*store.Company // by CIF
}

// newEnv starts a simulator loaded with n generated invoices, connects a
// user to it and creates a company (owned by the user) per simulator CIF.
func newEnv(t *testing.T, st *store.Store, n int, adjust func(*anafsim.Options)) *env {
	t.Helper()
	ctx := t.Context()
	o := anafsim.Options{ClientID: clientID, ClientSecret: clientSecret, AutoApprove: true,
		Logger: slog.New(slog.DiscardHandler), Hang: 50 * time.Millisecond}
	for _, c := range invoicegen.Companies {
		o.KnownCIFs = append(o.KnownCIFs, c.CIF)
	}
	if adjust != nil {
		adjust(&o)
	}
	sim, err := anafsim.New(o)
	require.NoError(t, err)
	_, err = sim.LoadFiles(invoicegen.Generate(n, 7))
	require.NoError(t, err)
	e := &env{st: st, sim: sim, cos: map[string]*store.Company{}}
	e.srv = httptest.NewServer(sim.Handler())
	t.Cleanup(e.srv.Close)
	spec, err := secretbox.Generate("test")
	require.NoError(t, err)
	e.keys, err = secretbox.Parse(spec)
	require.NoError(t, err)
	u, err := st.CreateUser(ctx, "owner@example.com", "x", false, store.UserApproved)
	require.NoError(t, err)
	e.userID = u.ID

	client := e.client()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(client.AuthCodeURL("s"))
	require.NoError(t, err)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	tok, err := client.Exchange(ctx, loc.Query().Get("code"))
	require.NoError(t, err)
	require.NoError(t, anafsync.SaveToken(ctx, st, e.keys, e.userID, tok))

	for cif := range sim.CIFs() {
		c, err := st.CreateCompany(ctx, cif, "Companie "+cif)
		require.NoError(t, err)
		require.NoError(t, st.AddMembership(ctx, c.ID, e.userID, store.RoleOwner))
		e.cos[cif] = c
	}
	return e
}

func (e *env) client() *anaf.Client {
	return anaf.New(anaf.Config{BaseURL: e.srv.URL, OAuthURL: e.srv.URL, Env: anaf.EnvTest,
		ClientID: clientID, ClientSecret: clientSecret, RedirectURI: "http://127.0.0.1:9/cb",
		Timeout: 5 * time.Second, Quota: anaf.UnlimitedQuota})
}

func (e *env) engine(st *store.Store) *anafsync.Engine {
	return &anafsync.Engine{Store: st, Secrets: e.keys, Logger: slog.New(slog.DiscardHandler), Retry: fastRetry,
		ANAFClient: func(context.Context) (*anaf.Client, error) { return e.client(), nil }}
}

// syncAll syncs every company of e once by a new engine, and returns it.
func (e *env) syncAll(t *testing.T, st *store.Store) *anafsync.Engine {
	t.Helper()
	eng := e.engine(st)
	for _, c := range e.cos {
		_, err := eng.SyncCompany(t.Context(), c.ID, nil)
		require.NoError(t, err)
	}
	return eng
}

func (e *env) runner(t *testing.T, st *store.Store, eng *anafsync.Engine) *jobs.Runner {
	t.Helper()
	require.NoError(t, jobs.Migrate(t.Context(), st, nil))
	r, err := jobs.New(jobs.Options{Store: st, Engine: eng, Logger: slog.New(slog.DiscardHandler),
		StepDuration: 150 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, r.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Stop(ctx)
	})
	return r
}

// waitRuns waits until every listed run is finished and returns them.
func waitRuns(t *testing.T, st *store.Store, ids []int64, within time.Duration) []*store.SyncRun {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var out []*store.SyncRun
		open := 0
		for _, id := range ids {
			r, err := st.SyncRunByID(t.Context(), id)
			require.NoError(t, err)
			if r.FinishedAt == nil {
				open++
			}
			out = append(out, r)
		}
		if open == 0 {
			return out
		}
		if time.Now().After(deadline) {
			for _, r := range out {
				t.Logf("run %d: %s page %d/%d found %d new %d failed %d err %q", r.ID, r.Status, r.NextPage, r.TotalPages, r.Found, r.New, r.Failed, r.Error)
			}
			t.Fatalf("%d runs still open after %v", open, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// syncAll queues a run per company and waits for them; it repeats for
// companies whose run was partial (messages failed under faults), up to 5 times.
func syncAll(t *testing.T, e *env, r *jobs.Runner) {
	t.Helper()
	todo := map[int64]bool{}
	for _, c := range e.cos {
		todo[c.ID] = true
	}
	for round := 0; len(todo) > 0; round++ {
		require.Less(t, round, 5, "companies still not fully synced: %v", todo)
		var ids []int64
		for cid := range todo {
			run, err := r.StartSync(t.Context(), cid)
			require.NoError(t, err)
			ids = append(ids, run.ID)
		}
		for _, run := range waitRuns(t, e.st, ids, 90*time.Second) {
			if run.Status == store.SyncOK {
				delete(todo, run.CompanyID)
			}
		}
	}
}

// requireArchiveMatches checks each company's archive holds exactly the
// simulator's messages of its CIF: the same count, each id once, every ZIP readable.
func requireArchiveMatches(t *testing.T, e *env) {
	t.Helper()
	for cif, n := range e.sim.CIFs() {
		c := e.cos[cif]
		list, total, err := e.st.Invoices(t.Context(), store.InvoiceFilter{CompanyID: c.ID, Limit: 10000})
		require.NoError(t, err)
		require.Equal(t, n, total, "CIF %s", cif)
		seen := map[string]bool{}
		for _, inv := range list {
			require.False(t, seen[inv.ANAFID], "message %s archived twice", inv.ANAFID)
			seen[inv.ANAFID] = true
			require.Empty(t, inv.ParseError, "message %s", inv.ANAFID)
		}
	}
}

// TestSoak: 30 invoices (60 messages over 6 CIFs) with 30 % random faults
// and latency, synced in 150 ms job steps; the archive equals the
// simulator's messages and no message was downloaded twice.
func TestSoak(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 30, func(o *anafsim.Options) {
			o.FaultRate, o.Seed, o.Latency, o.NoQuotas = 0.3, 42, 2*time.Millisecond, true
		})
		r := e.runner(t, st, e.engine(st))
		syncAll(t, e, r)
		requireArchiveMatches(t, e)
		// The simulator counts every download it served, corrupted ones
		// included (which must be fetched again); ok_calls counts those
		// that delivered a ZIP: exactly one per download id (seller and
		// buyer share one).
		stats := e.sim.Stats()
		require.Equal(t, len(stats.Downloads), stats.OKCalls["descarcare"], "a message was successfully downloaded twice")
		require.Equal(t, 30, len(stats.Downloads))
		runs, err := st.SyncRuns(t.Context(), e.cos[firstCIF(e)].ID, 10)
		require.NoError(t, err)
		require.NotEmpty(t, runs)
		require.NotNil(t, runs[0].WindowStart)
	})
}

func firstCIF(e *env) string {
	cifs := make([]string, 0, len(e.cos))
	for c := range e.cos {
		cifs = append(cifs, c)
	}
	sort.Strings(cifs)
	return cifs[0]
}

// TestTwoWorkers: two engines with their own River clients (as two
// gateway processes) on one database, every job queued twice: the same
// archive, and never two workers on one company at once.
func TestTwoWorkers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 24, func(o *anafsim.Options) { o.Latency, o.NoQuotas = time.Millisecond, true })
		var mu sync.Mutex
		holders, maxHolders := map[int64]int{}, 0
		hook := func(cid int64, d int) {
			mu.Lock()
			defer mu.Unlock()
			holders[cid] += d
			maxHolders = max(maxHolders, holders[cid])
		}
		e1, e2 := e.engine(st), e.engine(st)
		e1.OnLease, e2.OnLease = hook, hook
		r1, r2 := e.runner(t, st, e1), e.runner(t, st, e2)
		var ids []int64
		for _, c := range e.cos {
			run, err := r1.StartSync(t.Context(), c.ID)
			require.NoError(t, err)
			again, err := r2.StartSync(t.Context(), c.ID)
			require.NoError(t, err)
			require.Equal(t, run.ID, again.ID, "a second sync of a company was opened")
			// A duplicate job for the same run (as a rescue would make).
			_, err = r2.Client().Insert(t.Context(), jobs.SyncCompanyArgs{CompanyID: c.ID, RunID: run.ID}, nil)
			require.NoError(t, err)
			ids = append(ids, run.ID)
		}
		for _, run := range waitRuns(t, st, ids, 90*time.Second) {
			require.Equal(t, store.SyncOK, run.Status, run.Error)
		}
		requireArchiveMatches(t, e)
		require.Equal(t, 1, maxHolders, "a company was synced by two workers at once")
		require.LessOrEqual(t, e.sim.Stats().MaxDownloadsPerMessage, 1)
	})
}

// TestFaults: quota exhaustion snoozes the job until the reset; a CIF
// without SPV rights fails with ANAF's text; an access token that expires
// mid-sync is refreshed and the sync goes on.
func TestFaults(t *testing.T) {
	t.Parallel()
	t.Run("QuotaSnoozes", func(t *testing.T) {
		t.Parallel()
		st := storetest.New(t)
		e := newEnv(t, st, 12, func(o *anafsim.Options) { o.PageSize = 2 })
		cif := firstCIF(e)
		r := e.runner(t, st, e.engine(st))
		require.NoError(t, e.sim.InjectFault(anafsim.Fault{Endpoint: "listaMesajePaginatieFactura", Kind: anafsim.FaultQuota, Count: 100}))
		run, err := r.StartSync(t.Context(), e.cos[cif].ID)
		require.NoError(t, err)
		var job *rivertype.JobRow
		require.Eventually(t, func() bool {
			res, err := r.Client().JobList(t.Context(), riverList())
			require.NoError(t, err)
			for _, j := range res.Jobs {
				if j.State == rivertype.JobStateScheduled && j.ScheduledAt.After(time.Now().Add(time.Minute)) {
					job = j
					return true
				}
			}
			return false
		}, 30*time.Second, 50*time.Millisecond)
		require.Empty(t, job.Errors, "a snooze is not a failed attempt")
		got, err := st.SyncRunByID(t.Context(), run.ID)
		require.NoError(t, err)
		require.Nil(t, got.FinishedAt, "the run waits, it does not fail")
		require.NotNil(t, got.ResumeAfter)
		require.WithinDuration(t, job.ScheduledAt, *got.ResumeAfter, 5*time.Second)
		require.Contains(t, got.Error, "quota")
		// The scheduler does not resume a run waiting for its quota.
		stale, err := st.StaleSyncRuns(t.Context(), time.Now().Add(time.Hour), time.Now())
		require.NoError(t, err)
		require.Empty(t, stale)
	})
	t.Run("NoRightsAndExpiredToken", func(t *testing.T) {
		t.Parallel()
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			var rights []string
			for _, c := range invoicegen.Companies[1:] {
				rights = append(rights, c.CIF)
			}
			e := newEnv(t, st, 12, func(o *anafsim.Options) { o.RightsCIFs = rights })
			r := e.runner(t, st, e.engine(st))
			denied := invoicegen.Companies[0].CIF
			other := invoicegen.Companies[1].CIF
			// The access token "expires" on the second download: one refresh, and on.
			require.NoError(t, e.sim.InjectFault(anafsim.Fault{Endpoint: "descarcare", Kind: anafsim.FaultExpiredToken, Count: 1}))
			runA, err := r.StartSync(t.Context(), e.cos[denied].ID)
			require.NoError(t, err)
			runB, err := r.StartSync(t.Context(), e.cos[other].ID)
			require.NoError(t, err)
			runs := waitRuns(t, st, []int64{runA.ID, runB.ID}, 60*time.Second)
			require.Equal(t, store.SyncFailed, runs[0].Status)
			require.Contains(t, runs[0].Error, "Nu aveti drept", "ANAF's own text")
			require.Equal(t, store.SyncOK, runs[1].Status, runs[1].Error)
			require.Equal(t, e.sim.CIFs()[other], runs[1].New)
			row, err := st.ANAFTokenByUser(t.Context(), e.userID)
			require.NoError(t, err)
			require.Equal(t, anafsync.StatusConnected, row.Status)
		})
	})
}

func riverList() *river.JobListParams {
	return river.NewJobListParams().Kinds(jobs.SyncCompanyArgs{}.Kind()).First(100)
}
