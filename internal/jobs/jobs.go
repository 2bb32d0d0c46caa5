// Package jobs runs the gateway's durable background work on River
// (github.com/riverqueue/river), on the same database as the store:
// PostgreSQL through database/sql (pgx stdlib) or SQLite.
//
// Job kinds (only those needed now):
//   - sync_company {company_id, run_id}: one bounded step (≤ StepDuration)
//     of a sync run of one company (anafsync.Engine.Step), holding the
//     company's database lease. When work remains it snoozes for 0 s (River
//     makes it available again at once, without spending an attempt), so a
//     long sync is a chain of short executions and a worker killed with
//     its process loses at most one step; the cursor is in sync_runs.
//     ANAF's quota exhausted: it snoozes until the reset. The archive's
//     storage refusing writes (store.IsStorageError: disk full, I/O
//     error): the step stops at the first refused write and the job
//     snoozes StorageBackoff, doubling per consecutive failure up to
//     StorageBackoffMax; logged once per state change (StorageCheck).
//   - schedule_syncs (periodic, every ScheduleEvery): opens a run and
//     enqueues sync_company for each company with auto-sync whose interval
//     has passed, and re-enqueues open runs whose job died (no progress for
//     StaleAfter and a free lease) — the fast path after a crash, instead
//     of River's stuck-job rescue.
//     It also queues, once per RelistEvery, a daily re-list of each synced
//     company with auto-sync (a sync run of kind relist: the last 48 hours
//     listed again, known messages not downloaded) that finds what ANAF
//     published late (issue 15; anafsync.RelistWindow, metric
//     efactura_sync_late_messages_total).
//   - validate_archive (one-off, validate.go): validates archived invoices
//     without a verdict by the current rules, in bounded steps; enqueued at
//     start when any needs it, one at a time (River's unique options).
//   - refresh_tokens (periodic, hourly): refreshes ANAF tokens expiring
//     within RefreshAhead, under the per-user cross-process lock; and prunes
//     old quota counters.
//   - send_upload, poll_upload and the periodic resume_uploads: sending
//     invoices (issue 14), see upload.go.
//   - archive_digest (periodic, hourly): every archive chain's head as
//     the day's digest (issue 20), see chaindigest.go.
//
// Uniqueness: at most one open sync run per company (a unique index in
// sync_runs), so the scheduler, the API and the web never start a second
// sync of a company; and the database lease makes two jobs of one company
// (a rescued duplicate, a foreground `efactura sync`) never work at once.
// Periodic jobs are inserted by River's elected leader only, so replicas
// do not multiply them.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/mail"
	"github.com/efactura-gateway/efactura/internal/riskcheck"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/tracing"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// QueueBackground is the queue of what tells and checks rather than
// archives and sends: event dispatch, webhook deliveries, e-mail, digests,
// supplier risk checks, daily chain heads. Its own workers
// (Options.BackgroundWorkers) so that slow webhook receivers, SMTP servers
// or ANAF's paced VAT service never hold the workers syncs and uploads
// need, and a burst of events after a large sync never queues ahead of
// the next sync step.
const QueueBackground = "background"

// Timings. A sync step stops starting messages after StepDuration; River
// cancels a job after JobTimeout and rescues one left "running" (its
// process died) after RescueAfter > JobTimeout, so a rescue never races a
// live worker. An open run without progress for StaleAfter whose lease
// (anafsync.LeaseTTL) is free is resumed by schedule_syncs.
const (
	StepDuration  = 15 * time.Second
	JobTimeout    = 30 * time.Second
	RescueAfter   = 45 * time.Second
	StaleAfter    = 20 * time.Second
	ScheduleEvery = 10 * time.Second
	RefreshEvery  = time.Hour
	// StorageBackoff is the first wait of a sync whose archive storage
	// refuses writes (disk full, I/O error); it doubles per consecutive
	// failure up to StorageBackoffMax.
	StorageBackoff    = 30 * time.Second
	StorageBackoffMax = 10 * time.Minute
	RefreshAhead      = 7 * 24 * time.Hour
	QuotaKeep         = 48 * time.Hour
	// RelistEvery is how often each company's last 48 hours are listed
	// again (late publication).
	RelistEvery = 24 * time.Hour
)

// SyncCompanyArgs is the sync_company job: one step of run RunID of company CompanyID.
type SyncCompanyArgs struct {
	CompanyID int64 `json:"company_id"`
	RunID     int64 `json:"run_id"`
}

// Kind is "sync_company".
func (SyncCompanyArgs) Kind() string { return "sync_company" }

// InsertOpts: up to 10 attempts (failures that are not ANAF refusals:
// database errors, a crash). Snoozes do not count.
func (SyncCompanyArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// ScheduleSyncsArgs is the periodic schedule_syncs job.
type ScheduleSyncsArgs struct{}

// Kind is "schedule_syncs".
func (ScheduleSyncsArgs) Kind() string { return "schedule_syncs" }

// InsertOpts: one pending schedule at a time.
func (ScheduleSyncsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: ScheduleEvery}}
}

// RefreshTokensArgs is the periodic refresh_tokens job.
type RefreshTokensArgs struct{}

// Kind is "refresh_tokens".
func (RefreshTokensArgs) Kind() string { return "refresh_tokens" }

// InsertOpts: one per period.
func (RefreshTokensArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: RefreshEvery}}
}

// Options configure Runner.
type Options struct {
	Store  *store.Store
	Engine *anafsync.Engine
	Logger *slog.Logger
	// Workers is how many jobs of the default queue (syncs, uploads,
	// validation, scheduling) run at once in this process (default 4).
	Workers int
	// BackgroundWorkers is how many jobs of QueueBackground run at once
	// (default 2).
	BackgroundWorkers int
	// Schedule enables the periodic jobs (schedule_syncs, refresh_tokens);
	// the CLI's one-off uses leave it off.
	Schedule bool
	// StepDuration overrides the sync step bound (tests); default StepDuration.
	StepDuration time.Duration
	// ScheduleEvery overrides the scheduler period (tests); default ScheduleEvery.
	ScheduleEvery time.Duration
	// ResumeUploadsEvery overrides the resume_uploads period (tests); default ResumeUploadsEvery.
	ResumeUploadsEvery time.Duration
	// StorageBackoff overrides the first storage back-off (tests); default StorageBackoff.
	StorageBackoff time.Duration
	// RelistEvery overrides the daily re-list period (tests); default RelistEvery.
	RelistEvery time.Duration
	// Risk, when set, computes supplier risk flags (risk.go: the periodic
	// check_risks job); CheckRisksEvery overrides its period (tests).
	Risk            *riskcheck.Checker
	CheckRisksEvery time.Duration
	// Mail, when set, sends e-mail (send_mail) and, with Schedule and SMTP
	// configured, the daily digests (mail_digest); mail.go.
	Mail *mail.Service
	// Webhooks, when set, dispatches events and delivers webhooks
	// (events.go); the runner becomes the store's event queue.
	Webhooks *webhook.Deliverer
	// Observe, when set, is told of every job execution: its kind, outcome
	// ("ok", "snoozed", "cancelled", "error") and run time (metrics).
	Observe func(kind, outcome string, d time.Duration)
}

// Runner is the River client of this process.
type Runner struct {
	opts   Options
	client *river.Client[*sql.Tx]
	log    *slog.Logger

	storageMu    sync.Mutex
	storageErr   error     // the last storage error of a sync step; nil once a step succeeds again
	storageSince time.Time // when storageErr began
	storageFails int       // consecutive steps stopped by a storage error
}

func driverFor(st *store.Store) riverdriver.Driver[*sql.Tx] {
	if st.Dialect() == store.Postgres {
		return riverdatabasesql.New(st.DB())
	}
	return riversqlite.New(st.DB())
}

// riverMigrateLock is the PostgreSQL advisory lock key held while River's
// schema is migrated, so replicas starting together migrate it once.
const riverMigrateLock int64 = 0x6566726976657200 // "efriver"

// Migrate applies River's own schema migrations (after the store's). On
// PostgreSQL under a session advisory lock: concurrent starts are safe.
func Migrate(ctx context.Context, st *store.Store, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	migrate := func() error {
		m, err := rivermigrate.New(driverFor(st), &rivermigrate.Config{Logger: logger})
		if err != nil {
			return fmt.Errorf("jobs: river migrator: %w", err)
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("jobs: migrating River's schema: %w", err)
		}
		return nil
	}
	if st.Dialect() != store.Postgres {
		return st.WithSQLiteMigrationLock(ctx, migrate)
	}
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		return fmt.Errorf("jobs: migration lock: %w", err)
	}
	// Close returns the connection to the pool; the lock's outcome is
	// the error that matters.
	defer func() { _ = conn.Close() }()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, riverMigrateLock); err != nil {
		return fmt.Errorf("jobs: migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, riverMigrateLock)
	}()
	return migrate()
}

// New builds the runner (River's schema must be migrated: see Migrate).
func New(o Options) (*Runner, error) {
	if o.Store == nil || o.Engine == nil {
		return nil, errors.New("jobs: Store and Engine are required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.BackgroundWorkers <= 0 {
		o.BackgroundWorkers = 2
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.StepDuration <= 0 {
		o.StepDuration = StepDuration
	}
	if o.ScheduleEvery <= 0 {
		o.ScheduleEvery = ScheduleEvery
	}
	if o.ResumeUploadsEvery <= 0 {
		o.ResumeUploadsEvery = ResumeUploadsEvery
	}
	if o.StorageBackoff <= 0 {
		o.StorageBackoff = StorageBackoff
	}
	if o.RelistEvery <= 0 {
		o.RelistEvery = RelistEvery
	}
	if o.CheckRisksEvery <= 0 {
		o.CheckRisksEvery = CheckRisksEvery
	}
	r := &Runner{opts: o, log: o.Logger}
	workers := river.NewWorkers()
	river.AddWorker(workers, &syncWorker{r: r})
	river.AddWorker(workers, &scheduleWorker{r: r})
	river.AddWorker(workers, &refreshWorker{r: r})
	river.AddWorker(workers, &validateWorker{r: r}) // validate.go
	addUploadWorkers(workers, r)                    // upload.go
	addDigestWorker(workers, r)                     // chaindigest.go
	river.AddWorker(workers, &riskWorker{r: r})     // risk.go
	addMailWorkers(workers, r)                      // mail.go
	if o.Webhooks != nil {
		addEventWorkers(workers, r) // events.go
	}
	cfg := &river.Config{
		Logger: o.Logger.With(slog.String("component", "river")),
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.Workers},
			QueueBackground: {MaxWorkers: o.BackgroundWorkers}},
		Workers:              workers,
		JobTimeout:           JobTimeout,
		RescueStuckJobsAfter: RescueAfter,
	}
	// A span per job execution (a no-op one while tracing is off), then the metrics.
	cfg.Middleware = []rivertype.Middleware{&traceMiddleware{}}
	if o.Observe != nil {
		cfg.Middleware = append(cfg.Middleware, &observeMiddleware{observe: o.Observe})
	}
	if o.Schedule {
		cfg.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(o.ScheduleEvery), func() (river.JobArgs, *river.InsertOpts) {
				return ScheduleSyncsArgs{}, nil
			}, &river.PeriodicJobOpts{ID: "schedule_syncs", RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(RefreshEvery), func() (river.JobArgs, *river.InsertOpts) {
				return RefreshTokensArgs{}, nil
			}, &river.PeriodicJobOpts{ID: "refresh_tokens", RunOnStart: true}),
		}
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, uploadPeriodicJobs(o.ResumeUploadsEvery)...)
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, digestPeriodicJobs()...) // chaindigest.go
		if o.Risk != nil {
			cfg.PeriodicJobs = append(cfg.PeriodicJobs, riskPeriodicJobs(o.CheckRisksEvery)...)
		}
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, mailPeriodicJobs(r)...)
		if o.Webhooks != nil {
			cfg.PeriodicJobs = append(cfg.PeriodicJobs, eventPeriodicJobs()...)
		}
	}
	client, err := river.NewClient(driverFor(o.Store), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	r.client = client
	if o.Webhooks != nil {
		o.Store.SetEventQueue(r) // events commit with their dispatch_event job
	}
	return r, nil
}

// Start starts working jobs (and the periodic ones when Options.Schedule).
func (r *Runner) Start(ctx context.Context) error {
	if err := r.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	if r.opts.Schedule {
		// Archived invoices without a verdict (validate.go); never fails the start.
		if _, err := r.EnqueueValidation(ctx); err != nil {
			r.log.Warn("enqueueing validate_archive", slog.String("error", err.Error()))
		}
	}
	return nil
}

// Stop stops fetching jobs, waits for running ones until ctx ends, then
// cancels them (a sync step then records its cursor and snoozes: the next
// process continues it).
func (r *Runner) Stop(ctx context.Context) error {
	soft, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := r.client.Stop(soft)
	if err == nil {
		return nil
	}
	if err := r.client.StopAndCancel(ctx); err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	return nil
}

// Client exposes the River client (tests, metrics).
func (r *Runner) Client() *river.Client[*sql.Tx] { return r.client }

// StartSync opens (or finds) the company's open run and enqueues a
// sync_company job for it; it returns the run. A company already being
// synced gets its current run back, no second job. This is api.Deps.StartSync
// and the sync engine's Enqueuer (anafsync.Options.Enqueue).
func (r *Runner) StartSync(ctx context.Context, companyID int64) (*store.SyncRun, error) {
	run, existing, err := r.opts.Engine.QueueRun(ctx, companyID)
	if err != nil {
		return nil, err
	}
	if existing {
		return run, nil
	}
	if _, err := r.client.Insert(ctx, SyncCompanyArgs{CompanyID: companyID, RunID: run.ID}, nil); err != nil {
		// The run is open without a job: schedule_syncs resumes it once stale.
		return run, fmt.Errorf("jobs: enqueue sync of company %d: %w", companyID, err)
	}
	return run, nil
}

// ---- sync_company

type syncWorker struct {
	river.WorkerDefaults[SyncCompanyArgs]
	r *Runner
}

func (w *syncWorker) Timeout(*river.Job[SyncCompanyArgs]) time.Duration { return JobTimeout }

func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncCompanyArgs]) error {
	e := w.r.opts.Engine
	owner := fmt.Sprintf("%s/job-%d", e.Owner(), job.ID)
	sctx, span := tracing.Start(ctx, "sync step", trace.WithAttributes(
		attribute.Int64("sync.run_id", job.Args.RunID), attribute.Int64("sync.company_id", job.Args.CompanyID)))
	res, done, err := e.Step(sctx, job.Args.RunID, owner, anafsync.StepOptions{MaxDuration: w.r.opts.StepDuration})
	if res != nil && span.IsRecording() {
		span.SetAttributes(attribute.Int("sync.found", res.Found), attribute.Int("sync.new", res.New),
			attribute.Int("sync.failed", res.Failed), attribute.String("sync.status", res.Status))
	}
	span.SetAttributes(attribute.Bool("sync.done", done))
	tracing.End(span, err)
	var qw *anafsync.QuotaWaitError
	if err == nil {
		w.r.storageRecovered()
	}
	switch {
	case done:
		// Finished (ok, partial or failed: the run row says how); a failed
		// run is not retried by River — the next scheduled run tries again.
		if store.IsStorageError(err) {
			w.r.storageFailed(err)
		}
		return nil
	case err == nil:
		return river.JobSnooze(0) // more pages: continue at once, in a fresh short execution
	case store.IsStorageError(err):
		// The archive's disk is full or failing: the step stopped at the
		// first refused write; wait (longer each time) instead of retrying.
		return river.JobSnooze(w.r.storageFailed(err))
	case errors.As(err, &qw):
		return river.JobSnooze(max(time.Until(qw.Until), time.Second))
	case errors.Is(err, anafsync.ErrBusy), errors.Is(err, anafsync.ErrLeaseLost):
		// Another worker holds the company (a duplicate job, or the CLI):
		// look again shortly; when it has finished the run, this job ends.
		return river.JobSnooze(5 * time.Second)
	case ctx.Err() != nil:
		return river.JobSnooze(0) // shutdown or timeout: the cursor is saved
	case errors.Is(err, store.ErrNotFound):
		return river.JobCancel(err) // run or company deleted
	default:
		w.r.log.Warn("sync step failed", slog.Int64("run_id", job.Args.RunID), slog.String("error", err.Error()))
		_ = res
		return err
	}
}

// storageFailed records a sync step stopped by a storage error and
// returns how long to wait: StorageBackoff, doubled per consecutive
// failure, at most StorageBackoffMax. Logged once when the state begins
// (and at most every StorageBackoffMax while it lasts), not per step.
func (r *Runner) storageFailed(err error) time.Duration {
	r.storageMu.Lock()
	defer r.storageMu.Unlock()
	first := r.storageErr == nil
	if first {
		r.storageSince = time.Now()
	}
	r.storageErr = err
	r.storageFails++
	wait := r.opts.StorageBackoff
	for i := 1; i < r.storageFails && wait < StorageBackoffMax; i++ {
		wait *= 2
	}
	wait = min(wait, StorageBackoffMax)
	if first {
		r.log.Error("sync stopped: the archive's storage refuses writes (disk full or failing); syncs back off until it accepts them again",
			slog.String("error", err.Error()), slog.Duration("retry_in", wait))
	}
	return wait
}

// storageRecovered ends the storage-failure state after a step that
// stored what it had to (logged once).
func (r *Runner) storageRecovered() {
	r.storageMu.Lock()
	defer r.storageMu.Unlock()
	if r.storageErr == nil {
		return
	}
	r.log.Info("the archive's storage accepts writes again; syncs resumed",
		slog.Duration("failing_for", time.Since(r.storageSince).Round(time.Second)), slog.Int("steps_backed_off", r.storageFails))
	r.storageErr, r.storageFails = nil, 0
}

// StorageCheck reports the storage error that stopped this process's last
// sync step, or nil when none did since the last successful step: the
// "storage" check of /api/v1/health (degraded) and of the metrics.
func (r *Runner) StorageCheck(context.Context) error {
	r.storageMu.Lock()
	defer r.storageMu.Unlock()
	if r.storageErr != nil {
		return fmt.Errorf("since %s: %w", r.storageSince.UTC().Format(time.RFC3339), r.storageErr)
	}
	return nil
}

// ---- schedule_syncs

type scheduleWorker struct {
	river.WorkerDefaults[ScheduleSyncsArgs]
	r *Runner
}

func (w *scheduleWorker) Work(ctx context.Context, job *river.Job[ScheduleSyncsArgs]) error {
	return w.r.ScheduleOnce(ctx)
}

// ScheduleOnce is schedule_syncs' work: enqueue due companies and resume stale runs.
func (r *Runner) ScheduleOnce(ctx context.Context) error {
	st := r.opts.Store
	now := time.Now()
	stale, err := st.StaleSyncRuns(ctx, now.Add(-StaleAfter), now)
	if err != nil {
		return err
	}
	var queued map[int64]bool
	if len(stale) > 0 {
		// A run whose job is still waiting in the queue (a backlog) is not
		// stale; a job left "running" by a dead process does not count (a
		// live one holds the lease or saved progress within StaleAfter).
		queued = map[int64]bool{}
		res, err := r.client.JobList(ctx, river.NewJobListParams().Kinds(SyncCompanyArgs{}.Kind()).
			States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateScheduled).
			First(10000))
		if err != nil {
			return fmt.Errorf("jobs: listing queued syncs: %w", err)
		}
		for _, j := range res.Jobs {
			var a SyncCompanyArgs
			if json.Unmarshal(j.EncodedArgs, &a) == nil {
				queued[a.RunID] = true
			}
		}
	}
	for _, run := range stale {
		if queued[run.ID] {
			continue
		}
		r.log.Info("resuming an interrupted sync run", slog.Int64("run_id", run.ID), slog.Int64("company_id", run.CompanyID),
			slog.Int("next_page", run.NextPage))
		// Mark progress so the next tick does not enqueue it again before the job starts.
		if err := st.SaveSyncRun(ctx, &run); err != nil {
			return err
		}
		if _, err := r.client.Insert(ctx, SyncCompanyArgs{CompanyID: run.CompanyID, RunID: run.ID}, nil); err != nil {
			return fmt.Errorf("jobs: resume run %d: %w", run.ID, err)
		}
	}
	due, err := st.CompaniesDueForSync(ctx, now)
	if err != nil {
		return err
	}
	for _, c := range due {
		if _, err := r.StartSync(ctx, c.ID); err != nil {
			r.log.Warn("scheduling a sync", slog.String("cif", c.CIF), slog.String("error", err.Error()))
		}
	}
	return r.scheduleRelists(ctx, now)
}

// scheduleRelists queues the daily re-list of each company with auto-sync
// that synced successfully at least once and whose last re-list started
// RelistEvery ago or never ran. A company with a run open waits for the
// next tick.
func (r *Runner) scheduleRelists(ctx context.Context, now time.Time) error {
	st := r.opts.Store
	cs, err := st.Companies(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if !c.AutoSync || c.LastSyncedUntil == nil {
			continue
		}
		last, err := st.LastSyncRunOfKind(ctx, c.ID, store.SyncKindRelist)
		switch {
		case err == nil && now.Sub(last.StartedAt) < r.opts.RelistEvery:
			continue
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		run, existing, err := r.opts.Engine.QueueRelist(ctx, c.ID)
		if err != nil {
			r.log.Warn("scheduling the daily re-list", slog.String("cif", c.CIF), slog.String("error", err.Error()))
			continue
		}
		if existing {
			continue
		}
		if _, err := r.client.Insert(ctx, SyncCompanyArgs{CompanyID: c.ID, RunID: run.ID}, nil); err != nil {
			// The run is open without a job: this function's next tick
			// does not see it due, schedule_syncs resumes it once stale.
			return fmt.Errorf("jobs: enqueue the re-list of company %d: %w", c.ID, err)
		}
	}
	return nil
}

// ---- refresh_tokens

type refreshWorker struct {
	river.WorkerDefaults[RefreshTokensArgs]
	r *Runner
}

func (w *refreshWorker) Work(ctx context.Context, job *river.Job[RefreshTokensArgs]) error {
	return w.r.RefreshOnce(ctx)
}

// RefreshOnce is refresh_tokens' work: refresh connected ANAF tokens
// expiring within RefreshAhead (one failure does not stop the others; a
// refused refresh marks the connection reconnect_needed and is audited by
// the engine), then prune quota counters older than QuotaKeep.
func (r *Runner) RefreshOnce(ctx context.Context) error {
	st, e := r.opts.Store, r.opts.Engine
	if _, err := st.QuotaPrune(ctx, time.Now().Add(-QuotaKeep)); err != nil {
		r.log.Warn("pruning quota counters", slog.String("error", err.Error()))
	}
	toks, err := st.ANAFTokensExpiringBefore(ctx, time.Now().Add(RefreshAhead))
	if err != nil {
		return err
	}
	var client *anaf.Client
	for _, t := range toks {
		if t.Status != anafsync.StatusConnected {
			continue
		}
		if client == nil {
			if e.ANAFClient == nil {
				return errors.New("jobs: no ANAF client is configured")
			}
			if client, err = e.ANAFClient(ctx); err != nil {
				return fmt.Errorf("jobs: ANAF client: %w", err)
			}
		}
		if err := e.RefreshUser(ctx, client, t.UserID); err != nil {
			r.log.Warn("refreshing an ANAF token ahead of expiry", slog.Int64("user_id", t.UserID), slog.String("error", err.Error()))
		}
	}
	return nil
}

// traceMiddleware wraps each job execution in a span "job KIND" with the
// job's id, attempt and outcome (ok, snoozed, cancelled, error).
type traceMiddleware struct{ river.MiddlewareDefaults }

func (m *traceMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	ctx, span := tracing.Start(ctx, "job "+job.Kind, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("job.kind", job.Kind), attribute.Int64("job.id", job.ID),
			attribute.Int("job.attempt", job.Attempt)))
	err := doInner(ctx)
	outcome := jobOutcome(err)
	span.SetAttributes(attribute.String("job.outcome", outcome))
	if outcome == "error" {
		tracing.End(span, err)
	} else {
		span.End() // a snooze or a cancel is no failure of the span
	}
	return err
}

// jobOutcome names how a job execution ended.
func jobOutcome(err error) string {
	var snooze *river.JobSnoozeError
	var cancel *river.JobCancelError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &snooze):
		return "snoozed"
	case errors.As(err, &cancel):
		return "cancelled"
	}
	return "error"
}

// observeMiddleware reports each execution to Options.Observe.
type observeMiddleware struct {
	river.MiddlewareDefaults
	observe func(kind, outcome string, d time.Duration)
}

func (m *observeMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	err := doInner(ctx)
	m.observe(job.Kind, jobOutcome(err), time.Since(start))
	return err
}
