// Package anafsync synchronises a company's ANAF messages into the archive:
// list every page of listaMesajePaginatieFactura over the window since the
// last successful sync, download each message not yet archived exactly
// once, parse it, and store ZIP, parsed data and ANAF's metadata in one
// transaction, idempotent on (company, ANAF message id).
//
// Only messages ANAF lists for the company's own CIF are stored. Transient
// failures are retried with Engine.Retry; a 401 triggers at most one token
// refresh per run; refreshes of one user are serialised so concurrent syncs
// never spend the same refresh token twice; a refused refresh marks the
// connection reconnect_needed and is audited (anaf.refresh_failed).
package anafsync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Overlap is how far before the end of the last synced window a new
// window starts, so messages ANAF publishes late are not missed.
const Overlap = 10 * time.Minute

// refreshMargin: an access token expiring within this is refreshed first.
const refreshMargin = 24 * time.Hour

// MaxRedownloads is how many extra times a message is downloaded in one run
// when ANAF's answer is not a readable ZIP (truncated, or not shaped like
// API.md §5). descarcare allows 10 downloads per message per day, so the
// budget is small. When the budget is spent, the last unreadable bytes are
// archived as they are, with ParseError set; when the client kept no bytes
// (anaf.ErrMalformed) the message counts as failed and the next run tries again.
const MaxRedownloads = 2

// DefaultRetry is the policy for transient download failures (5xx,
// firewall pages, resets) used when Engine.Retry is the zero value.
var DefaultRetry = anaf.RetryPolicy{MaxAttempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 10 * time.Second}

// SyncPartial is the sync_runs status of a run that archived what it could
// while some messages failed (store.SyncOK and store.SyncFailed are the others).
const SyncPartial = "partial"

// SyncOKWithWarnings is the sync_runs status of a run that archived
// everything it could, and met what the user should know of (the run's
// Warning says what): messages past ANAF's retention (expired), deferred to
// ANAF's daily quota reset, listed for another CIF, re-published
// (duplicates) or conflicting with an earlier invoice of the same identity.
const SyncOKWithWarnings = "ok_with_warnings"

// RelistWindow is how far back the daily re-list (a run of kind
// store.SyncKindRelist) lists: messages ANAF makes visible later than their
// data_creare suggests fall out of the incremental window (Overlap).
const RelistWindow = 48 * time.Hour

// ErrNoConnection means no member who lends their ANAF connection to the
// company (consent) has one that may act for its CIF.
var ErrNoConnection = errors.New("no member of this company lends it a connected ANAF account whose rights cover its CIF: " +
	"a member with SPV rights on the CIF connects ANAF (ANAF page) and turns on \"use my ANAF connection\" for the company (Companies page)")

// ErrReconnectNeeded means the ANAF refresh failed; the user must connect again.
var ErrReconnectNeeded = errors.New("the ANAF connection expired and could not be refreshed: reconnect on the ANAF page")

// ErrBusy means the company is already being synchronised.
var ErrBusy = errors.New("a sync of this company is already running")

// Progress is reported while a sync runs.
type Progress struct {
	Phase  string // "listing" | "downloading" | "done"
	Page   int    // page being processed, 1-based
	Pages  int    // total pages announced by ANAF so far (0 until known)
	Found  int    // messages listed in the window so far
	Todo   int    // messages not yet archived, on the pages seen so far
	Done   int    // of Todo, processed so far
	New    int
	Failed int
}

// Result summarises one sync run (or, for Step, one step of it).
type Result struct {
	RunID    int64
	Found    int    // messages listed
	New      int    // archived by this run
	Failed   int    // could not be downloaded or stored (retried next run)
	Reused   int    // ZIPs taken from the archive of another company instead of downloading
	Status   string // the run's outcome once it ended (ok, ok_with_warnings, partial, failed); "" before
	Warning  string // the run's warning once it ended (SyncOKWithWarnings says what it covers)
	Start    time.Time
	End      time.Time
	Duration time.Duration
}

// Lease and step timing. A sync run is worked on in steps of at most
// StepOptions.MaxDuration while holding the company's database lease
// (LeaseTTL, renewed every LeaseRenew); a step killed with its process
// leaves a lease that expires after LeaseTTL, and the run is resumed from
// its stored cursor.
const (
	LeaseTTL   = 20 * time.Second
	LeaseRenew = 5 * time.Second
	// AtRiskAge: a message listed but not archived whose data_creare is older
	// than this is reported at risk (ANAF deletes messages after 60 days).
	AtRiskAge = 50 * 24 * time.Hour
)

// QuotaWaitError means ANAF's (or the gateway's own) quota for listing
// is spent: the run stays open, with ResumeAfter = Until, and must be
// resumed then (the job snoozes until Until).
type QuotaWaitError struct {
	Until time.Time
	Err   error
}

func (e *QuotaWaitError) Error() string {
	return fmt.Sprintf("ANAF quota exhausted; the sync resumes after %s: %v", e.Until.UTC().Format(time.RFC3339), e.Err)
}

func (e *QuotaWaitError) Unwrap() error { return e.Err }

// ErrLeaseLost means the company's lease expired during a step and
// another worker took it; the step stopped at once.
var ErrLeaseLost = errors.New("the company's sync lease was lost to another worker")

// errInterrupted marks a step stopped by its context; the run stays open.
var errInterrupted = errors.New("sync interrupted")

// StepOptions bound one step.
type StepOptions struct {
	// MaxDuration: no new message is started after it (0: no bound, the
	// whole run in one step). Each message takes at most a few seconds
	// (the retry policy's delays), so a job timeout of MaxDuration + 15 s
	// is never reached in practice.
	MaxDuration time.Duration
	// Progress, when set, is called after each message and page.
	Progress func(Progress)
}

// Engine runs syncs. Safe for concurrent use; one sync per company at a
// time across processes (the database lease), and token refreshes
// serialised per user across processes (see WithUserTokenLock).
type Engine struct {
	Store      *store.Store
	Secrets    *secretbox.Keyring
	ANAFClient func(ctx context.Context) (*anaf.Client, error)
	Logger     *slog.Logger
	Now        func() time.Time // clock; default time.Now
	// Retry is the backoff for transient download failures; the zero value
	// means DefaultRetry (4 attempts, 500 ms doubling up to 10 s).
	Retry anaf.RetryPolicy
	// OnLease, a test hook, is called with +1 when a step takes a company's
	// lease and -1 just before it releases it.
	OnLease func(companyID int64, delta int)
	// OnRunFinished, when set, is told of every finished run: its final
	// status (ok, partial, failed) and how many new messages it archived
	// (metrics).
	OnRunFinished func(status string, archived int)
	// OnRelist, when set, is told of every finished daily re-list: the
	// company's CIF and how many messages it found that the incremental
	// runs had missed (metrics).
	OnRelist func(cif string, missed int)
	// UploadPolls are the waits between stareMesaj calls of a pending
	// upload (nil: DefaultUploadPolls); ReconcilePolls those between the
	// reconciliation rounds of an unknown one (nil: DefaultReconcilePolls).
	UploadPolls    []time.Duration
	ReconcilePolls []time.Duration
	// PollLease bounds one poll step's hold on its upload (0: DefaultPollLease).
	PollLease time.Duration
	// OnUpload, when set, is told of every state change of an upload.
	OnUpload func(UploadEvent)
	// Concurrency is how many messages of a company one sync step fetches
	// at once (download, parse, validate) while it stores the fetched
	// ones (0: DefaultConcurrency). Each download still counts against
	// ANAF's quotas as before (the client's quota accounting).
	Concurrency int
	// BatchSize is how many fetched messages are stored in one transaction
	// (0: DefaultBatchSize).
	BatchSize int

	// enqueue, set by New, makes SyncNow queue a durable job instead of
	// syncing in a goroutine of this process.
	enqueue Enqueuer

	// Rows inserted since the last ANALYZE (AnalyzeEvery), and whether one runs.
	sinceAnalyze atomic.Int64
	analyzing    atomic.Bool

	mu        sync.Mutex
	running   map[int64]*Progress
	userLocks map[int64]*sync.Mutex
	wg        sync.WaitGroup
	ownerOnce sync.Once
	owner     string
}

// Enqueuer queues a durable job that works on the company's sync run and
// returns the run (internal/jobs: Runner.StartSync).
type Enqueuer func(ctx context.Context, companyID int64) (*store.SyncRun, error)

// Options configure New; see the Engine fields of the same names.
type Options struct {
	Store         *store.Store
	Secrets       *secretbox.Keyring
	ANAFClient    func(ctx context.Context) (*anaf.Client, error)
	Logger        *slog.Logger
	Now           func() time.Time
	Retry         anaf.RetryPolicy
	OnLease       func(companyID int64, delta int)
	OnRunFinished func(status string, archived int)
	OnRelist      func(cif string, missed int)
	// Enqueue, when set, makes SyncNow queue a durable job (internal/jobs)
	// instead of syncing in a goroutine of this process. The job runner is
	// built with the engine, so a server passes a small func that forwards
	// to the runner it builds next (see internal/app's Serve).
	Enqueue Enqueuer
}

// New builds an Engine. An Engine literal (without an Enqueuer) works too.
func New(o Options) *Engine {
	return &Engine{
		Store: o.Store, Secrets: o.Secrets, ANAFClient: o.ANAFClient, Logger: o.Logger, Now: o.Now,
		Retry: o.Retry, OnLease: o.OnLease, OnRunFinished: o.OnRunFinished, OnRelist: o.OnRelist, enqueue: o.Enqueue,
	}
}

// Sync throughput (issue 16).
const (
	// DefaultConcurrency: messages of one company fetched at once.
	DefaultConcurrency = 4
	// DefaultBatchSize: fetched messages stored per transaction.
	DefaultBatchSize = 100
	// AnalyzeEvery: after this many rows inserted by this process since
	// the last time, the sync refreshes PostgreSQL's planner statistics of
	// invoices (store.AnalyzeInvoices).
	AnalyzeEvery = 5000
)

func (e *Engine) concurrency() int {
	if e.Concurrency > 0 {
		return e.Concurrency
	}
	return DefaultConcurrency
}

func (e *Engine) batchSize() int {
	if e.BatchSize > 0 {
		return e.BatchSize
	}
	return DefaultBatchSize
}

// inserted counts n rows the sync inserted and, every AnalyzeEvery, runs
// ANALYZE on invoices (one at a time; a failure is logged).
func (e *Engine) inserted(ctx context.Context, n int) {
	if n <= 0 || e.sinceAnalyze.Add(int64(n)) < AnalyzeEvery || !e.analyzing.CompareAndSwap(false, true) {
		return
	}
	defer e.analyzing.Store(false)
	e.sinceAnalyze.Store(0)
	if err := e.Store.AnalyzeInvoices(ctx); err != nil {
		e.logger().Warn("refreshing the planner statistics of invoices", slog.String("error", err.Error()))
	}
}

func (e *Engine) retry() anaf.RetryPolicy {
	if e.Retry == (anaf.RetryPolicy{}) {
		return DefaultRetry
	}
	return e.Retry
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

// Owner is this engine's lease owner name: host, pid and a random suffix.
func (e *Engine) Owner() string {
	e.ownerOnce.Do(func() {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		e.owner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	})
	return e.owner
}

// Running returns the progress of a sync of the company running in this process, if any.
func (e *Engine) Running(companyID int64) (Progress, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.running[companyID]
	if !ok {
		return Progress{}, false
	}
	return *p, true
}

// SyncNow starts a sync of the company: it queues a durable job when the
// engine has an Enqueuer (Options.Enqueue), else it runs SyncCompany in a
// goroutine. ErrBusy when one runs in this process.
func (e *Engine) SyncNow(ctx context.Context, companyID int64) error {
	if _, ok := e.Running(companyID); ok {
		return ErrBusy
	}
	if e.enqueue != nil {
		_, err := e.enqueue(ctx, companyID)
		return err
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		ctx := context.WithoutCancel(ctx)
		if _, err := e.SyncCompany(ctx, companyID, nil); err != nil && !errors.Is(err, ErrBusy) {
			e.logger().Warn("sync failed", slog.Int64("company_id", companyID), slog.String("error", err.Error()))
		}
	}()
	return nil
}

// Wait blocks until background syncs started with SyncNow have finished.
func (e *Engine) Wait() { e.wg.Wait() }

// QueueRun opens a queued run of the company, or returns its open run
// (existing = true) when there is one. The caller enqueues the job that
// works on it. Errors: the store's ErrNotFound for an unknown company.
func (e *Engine) QueueRun(ctx context.Context, companyID int64) (run *store.SyncRun, existing bool, err error) {
	if _, err := e.Store.CompanyByID(ctx, companyID); err != nil {
		return nil, false, fmt.Errorf("loading company %d: %w", companyID, err)
	}
	for range 3 {
		run, err = e.Store.OpenSyncRun(ctx, companyID, store.SyncQueued)
		if err == nil {
			return run, false, nil
		}
		if !errors.Is(err, store.ErrAlreadyExists) {
			return nil, false, err
		}
		run, err = e.Store.OpenSyncRunOf(ctx, companyID)
		if err == nil {
			return run, true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, false, err
		}
		// It finished in between: try again.
	}
	return nil, false, fmt.Errorf("opening a sync run of company %d: %w", companyID, ErrBusy)
}

// SyncCompany synchronises one company in the foreground; progress, when
// non-nil, is called after each step. It continues the company's open run
// (one queued by the scheduler, or left by a crash) or opens one, and works
// on it until it ends, holding the company's lease. Every run is recorded in
// sync_runs with status ok, partial (Result.Failed > 0; the company's
// LastSyncedUntil is then not advanced, so the failed messages are listed
// again next time) or failed with a readable error.
//
// Errors: ErrBusy (another worker holds the lease; no run recorded), the
// store's ErrNotFound for an unknown company (no run recorded),
// ErrNoConnection, ErrReconnectNeeded, *QuotaWaitError (the run stays open
// and the server resumes it after the reset), wrapped anaf errors (listing,
// a second 401 after one refresh) or context errors (run recorded failed).
func (e *Engine) SyncCompany(ctx context.Context, companyID int64, progress func(Progress)) (*Result, error) {
	if _, ok := e.Running(companyID); ok {
		return nil, ErrBusy
	}
	if _, err := e.Store.CompanyByID(ctx, companyID); err != nil {
		return nil, fmt.Errorf("loading company %d: %w", companyID, err)
	}
	owner := e.Owner() + "/fg"
	ok, err := e.Store.AcquireSyncLease(ctx, companyID, owner, LeaseTTL)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrBusy
	}
	run, err := e.Store.OpenSyncRunOf(ctx, companyID)
	if errors.Is(err, store.ErrNotFound) {
		run, err = e.Store.OpenSyncRun(ctx, companyID, store.SyncRunning)
	}
	if err == nil {
		// A run waiting for ANAF's quota reset waits for every caller,
		// `efactura sync` included.
		err = e.waiting(run)
	}
	if err != nil {
		_ = e.Store.ReleaseSyncLease(context.WithoutCancel(ctx), companyID, owner)
		var qw *QuotaWaitError
		if errors.As(err, &qw) {
			return &Result{RunID: run.ID, Found: run.Found, New: run.New, Failed: run.Failed}, err
		}
		return nil, fmt.Errorf("recording sync run: %w", err)
	}
	res, _, err := e.step(ctx, run.ID, owner, StepOptions{Progress: progress}, true)
	return res, err
}

// waiting returns a *QuotaWaitError when the run waits for an ANAF quota
// reset that has not come yet (its ResumeAfter): nothing is asked of ANAF
// before it, whoever asks (the scheduler, "sync now", `efactura sync`).
func (e *Engine) waiting(run *store.SyncRun) error {
	if run.ResumeAfter == nil || !e.now().Before(*run.ResumeAfter) {
		return nil
	}
	cause := errors.New(strings.TrimSpace(run.Error))
	if run.Error == "" {
		cause = anaf.ErrQuota
	}
	return &QuotaWaitError{Until: run.ResumeAfter.UTC(), Err: cause}
}

// QueueRelist opens a queued daily re-list run of the company (kind
// store.SyncKindRelist: the last RelistWindow listed again, known messages
// not downloaded). existing is true, and the run the company's open one,
// when another run is open: the re-list waits for the next day's turn.
func (e *Engine) QueueRelist(ctx context.Context, companyID int64) (run *store.SyncRun, existing bool, err error) {
	run, err = e.Store.OpenSyncRunKind(ctx, companyID, store.SyncQueued, store.SyncKindRelist)
	if errors.Is(err, store.ErrAlreadyExists) {
		run, err = e.Store.OpenSyncRunOf(ctx, companyID)
		return run, err == nil, err
	}
	return run, false, err
}

// Step works on an open run for at most o.MaxDuration, holding the
// company's lease under owner, and records its cursor. done is true when
// the run has ended (ok, partial or failed: then err is the failure, as
// SyncCompany's) or was already finished. When done is false and err is
// nil, work remains: call Step again. Errors with done false: ErrBusy
// (another worker holds the lease), ErrLeaseLost, *QuotaWaitError, or the
// context's error (the run stays open, resumable).
func (e *Engine) Step(ctx context.Context, runID int64, owner string, o StepOptions) (res *Result, done bool, err error) {
	return e.step(ctx, runID, owner, o, false)
}
