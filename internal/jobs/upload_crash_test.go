package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// Environment of the worker process TestUploadCrash starts (this test
// binary again, running TestUploadWorkerProcess).
const (
	envWorkerDB   = "EFACTURA_UPLOAD_WORKER_DB"
	envWorkerKeys = "EFACTURA_UPLOAD_WORKER_KEYS"
	envWorkerSim  = "EFACTURA_UPLOAD_WORKER_SIM"
)

// TestUploadWorkerProcess is the job worker of TestUploadCrash: it runs
// River (with the periodic jobs) on the given database until killed.
func TestUploadWorkerProcess(t *testing.T) {
	dbURL := os.Getenv(envWorkerDB)
	if dbURL == "" {
		t.Skip("the worker process of TestUploadCrash")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL, store.PoolConfig{})
	require.NoError(t, err)
	keys, err := secretbox.Parse(os.Getenv(envWorkerKeys))
	require.NoError(t, err)
	simURL := os.Getenv(envWorkerSim)
	eng := &anafsync.Engine{Store: st, Secrets: keys, Logger: slog.New(slog.DiscardHandler), Retry: fastRetry,
		UploadPolls: []time.Duration{300 * time.Millisecond}, PollLease: 2 * time.Second,
		ANAFClient: func(context.Context) (*anaf.Client, error) {
			return anaf.New(anaf.Config{BaseURL: simURL, OAuthURL: simURL, Env: anaf.EnvTest, ClientID: clientID,
				ClientSecret: clientSecret, RedirectURI: "http://127.0.0.1:9/cb", Timeout: 5 * time.Second,
				Quota: anaf.UnlimitedQuota}), nil
		}}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng.Logger = logger
	r, err := jobs.New(jobs.Options{Store: st, Engine: eng, Logger: logger, Schedule: true,
		ResumeUploadsEvery: time.Second})
	require.NoError(t, err)
	require.NoError(t, r.Start(ctx))
	fmt.Fprintf(os.Stderr, "upload worker %d started on %s\n", os.Getpid(), st.Dialect())
	time.Sleep(2 * time.Minute) // killed long before
}

// TestUploadCrash: a worker process SIGKILLed while it polls an upload;
// a new one resumes it, and the upload ends ok exactly once, uploaded once
// and archived once. SQLite and PostgreSQL.
func TestUploadCrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs worker processes")
	}
	run := func(t *testing.T, d store.Dialect) {
		ctx := t.Context()
		st, dbURL := storetest.Fresh(t, d)
		require.NoError(t, st.Migrate(ctx))
		require.NoError(t, jobs.Migrate(ctx, st, nil))
		// The simulator takes 10 s to judge: the worker polls "in
		// prelucrare" before the kill and the upload is still pending after it.
		e := &upEnv{st: st, clock: &offsetClock{}, cos: map[string]*store.Company{}}
		o := anafsim.Options{ClientID: clientID, ClientSecret: clientSecret, AutoApprove: true,
			Logger: slog.New(slog.DiscardHandler), ProcessingDelay: 10 * time.Second, RejectAll: anafsim.NativeRejections}
		for _, c := range invoicegen.Companies {
			o.KnownCIFs = append(o.KnownCIFs, c.CIF)
		}
		sim, err := anafsim.New(o)
		require.NoError(t, err)
		e.sim = sim
		e.srv = httptest.NewServer(sim.Handler())
		t.Cleanup(e.srv.Close)
		spec, err := secretbox.Generate("test")
		require.NoError(t, err)
		e.keys, err = secretbox.Parse(spec)
		require.NoError(t, err)
		e.user, err = st.CreateUser(ctx, "owner@example.com", "x", false, store.UserApproved)
		require.NoError(t, err)
		e.connect(t)
		const seller = "12345674"
		co, err := st.CreateCompanyWithOwner(ctx, seller, "ALFA SOFT SRL", e.user.ID)
		require.NoError(t, err)
		_, err = st.SetCompanyVerified(ctx, co.ID, e.user.ID)
		require.NoError(t, err)
		// This process only queues (a River client that is not started).
		eng := &anafsync.Engine{Store: st, Secrets: e.keys}
		queue, err := jobs.New(jobs.Options{Store: st, Engine: eng, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		e.gw = &gateway.Service{Store: st, UploadQueuer: queue.EnqueueUpload}

		up, err := e.gw.UploadInvoice(ctx, e.principal(), gateway.UploadRequest{CompanyID: co.ID, XML: sellerDocs(t, seller)[0]})
		require.NoError(t, err)
		require.Equal(t, gateway.UploadSending, up.State)

		start := func() *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^TestUploadWorkerProcess$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), envWorkerDB+"="+dbURL, envWorkerKeys+"="+spec, envWorkerSim+"="+e.srv.URL)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			require.NoError(t, cmd.Start())
			t.Cleanup(func() {
				_ = cmd.Process.Signal(syscall.SIGKILL)
				_ = cmd.Wait()
			})
			return cmd
		}
		polled := time.Now()
		first := start()
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			u, err := st.UploadByID(ctx, up.ID)
			if err == nil && u.State == store.UploadPending && u.Polls >= 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the worker did not poll: %s", dumpJobs(t, st))
			}
		}
		t.Logf("%s: polling after %v", d, time.Since(polled).Round(time.Millisecond))
		require.NoError(t, first.Process.Signal(syscall.SIGKILL))
		_, _ = first.Process.Wait() // dead before the state is read
		u, err := st.UploadByID(ctx, up.ID)
		require.NoError(t, err)
		require.Equal(t, store.UploadPending, u.State, "killed mid-poll")

		t.Logf("killed: polls=%d next_poll_at=%v", u.Polls, u.NextPollAt)
		restarted := time.Now()
		start()
		require.Eventually(t, func() bool {
			u, err := st.UploadByID(ctx, up.ID)
			return err == nil && u.State == store.UploadOK
		}, 60*time.Second, 50*time.Millisecond, "the restarted worker did not finish the upload")
		t.Logf("%s: ok %v after the restart", d, time.Since(restarted).Round(time.Millisecond))

		stats := sim.Stats()
		require.Equal(t, 1, stats.Calls["upload"], "uploaded once")
		var oks, sent int
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events
			WHERE target = $1 AND details LIKE '%→ ok%'`, store.TargetUpload(up.ID)).Scan(&oks))
		require.Equal(t, 1, oks, "ok exactly once: %s", dumpAudit(t, st))
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM invoices WHERE company_id = $1 AND message_type = $2`,
			co.ID, store.TypeSent).Scan(&sent))
		require.Equal(t, 1, sent, "archived once")
	}
	t.Run("SQLite", func(t *testing.T) { t.Parallel(); run(t, store.SQLite) })
	t.Run("PostgreSQL", func(t *testing.T) { t.Parallel(); run(t, store.Postgres) })
}

// dumpJobs describes the River jobs and uploads (failure messages).
func dumpJobs(t *testing.T, st *store.Store) string {
	t.Helper()
	out := ""
	rows, err := st.DB().QueryContext(context.Background(), `SELECT kind, state, attempt, COALESCE(CAST(errors AS TEXT), '') FROM river_job ORDER BY id`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	for rows.Next() {
		var kind, state, errs string
		var attempt int
		_ = rows.Scan(&kind, &state, &attempt, &errs)
		out += fmt.Sprintf("\n%s %s attempt=%d %s", kind, state, attempt, errs)
	}
	if st.Dialect() == store.Postgres {
		r2, err := st.DB().QueryContext(context.Background(), `SELECT pid, state, COALESCE(wait_event_type,''), LEFT(query, 120), COALESCE(CAST(xact_start AS TEXT),'') FROM pg_stat_activity WHERE datname = current_database()`)
		if err == nil {
			for r2.Next() {
				var pid int
				var a, b, c, d string
				_ = r2.Scan(&pid, &a, &b, &c, &d)
				out += fmt.Sprintf("\nPG %d %s %s %s %q", pid, a, b, d, c)
			}
			r2.Close()
		}
		var q string
		_ = st.DB().QueryRowContext(context.Background(), `SELECT COALESCE(string_agg(name || ':' || CAST(paused_at IS NOT NULL AS TEXT), ','), '') FROM river_queue`).Scan(&q)
		var sched string
		_ = st.DB().QueryRowContext(context.Background(), `SELECT CAST(scheduled_at AS TEXT) || ' now=' || CAST(now() AS TEXT) FROM river_job ORDER BY id LIMIT 1`).Scan(&sched)
		out += "\nqueues " + q + " scheduled " + sched
	}
	var state string
	var polls int
	_ = st.DB().QueryRowContext(context.Background(), `SELECT state, polls FROM uploads ORDER BY id LIMIT 1`).Scan(&state, &polls)
	return out + fmt.Sprintf("\nupload %s polls=%d", state, polls)
}

func dumpAudit(t *testing.T, st *store.Store) string {
	t.Helper()
	rows, err := st.DB().QueryContext(context.Background(), `SELECT at, action, target, details FROM audit_events ORDER BY id`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	out := ""
	for rows.Next() {
		var at time.Time
		var a, tg, d string
		_ = rows.Scan(&at, &a, &tg, &d)
		out += fmt.Sprintf("\n%s %s %s %s", at.Format(time.RFC3339Nano), a, tg, d)
	}
	return out
}
