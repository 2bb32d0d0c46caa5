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
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/invoice"
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
	Found    int // messages listed
	New      int // archived by this run
	Failed   int // could not be downloaded or stored (retried next run)
	Reused   int // ZIPs taken from the archive of another company instead of downloading
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
	// Enqueue, when set, makes SyncNow queue a durable job (internal/jobs)
	// instead of syncing in a goroutine of this process.
	Enqueue func(ctx context.Context, companyID int64) (*store.SyncRun, error)
	// OnLease, a test hook, is called with +1 when a step takes a company's
	// lease and -1 just before it releases it.
	OnLease func(companyID int64, delta int)
	// OnRunFinished, when set, is told of every finished run: its final
	// status (ok, partial, failed) and how many new messages it archived
	// (metrics).
	OnRunFinished func(status string, archived int)

	mu        sync.Mutex
	running   map[int64]*Progress
	userLocks map[int64]*sync.Mutex
	wg        sync.WaitGroup
	ownerOnce sync.Once
	owner     string
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

// SyncNow starts a sync of the company: it queues a durable job when
// Enqueue is set, else it runs SyncCompany in a goroutine. ErrBusy when one
// runs in this process.
func (e *Engine) SyncNow(ctx context.Context, companyID int64) error {
	if _, ok := e.Running(companyID); ok {
		return ErrBusy
	}
	if e.Enqueue != nil {
		_, err := e.Enqueue(ctx, companyID)
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
	if err != nil {
		_ = e.Store.ReleaseSyncLease(context.WithoutCancel(ctx), companyID, owner)
		return nil, fmt.Errorf("recording sync run: %w", err)
	}
	res, _, err := e.step(ctx, run.ID, owner, StepOptions{Progress: progress}, true)
	return res, err
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

func (e *Engine) step(ctx context.Context, runID int64, owner string, o StepOptions, foreground bool) (res *Result, done bool, err error) {
	run, err := e.Store.SyncRunByID(ctx, runID)
	if err != nil {
		return nil, false, fmt.Errorf("loading sync run %d: %w", runID, err)
	}
	res = &Result{RunID: run.ID, Found: run.Found, New: run.New, Failed: run.Failed}
	if run.FinishedAt != nil {
		return res, true, nil
	}
	companyID := run.CompanyID
	ok, err := e.Store.AcquireSyncLease(ctx, companyID, owner, LeaseTTL)
	if err != nil {
		return res, false, err
	}
	if !ok {
		return res, false, ErrBusy
	}
	e.mu.Lock()
	if e.running == nil {
		e.running = map[int64]*Progress{}
	}
	if _, busy := e.running[companyID]; busy {
		e.mu.Unlock()
		_ = e.Store.ReleaseSyncLease(context.WithoutCancel(ctx), companyID, owner)
		return res, false, ErrBusy
	}
	prog := &Progress{Phase: "listing", Found: run.Found, New: run.New, Failed: run.Failed, Page: run.NextPage, Pages: run.TotalPages}
	e.running[companyID] = prog
	e.mu.Unlock()
	if e.OnLease != nil {
		e.OnLease(companyID, +1)
	}
	// Heartbeat: renew the lease every LeaseRenew whatever the step is
	// doing (a download waiting on ANAF's rate limit included); when the
	// lease is lost the step's context is canceled with ErrLeaseLost.
	ctx, cancelStep := context.WithCancelCause(ctx)
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		t := time.NewTicker(LeaseRenew)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				ok, err := e.Store.RenewSyncLease(ctx, companyID, owner, LeaseTTL)
				if err == nil && !ok {
					cancelStep(ErrLeaseLost)
					return
				}
				if err != nil && ctx.Err() == nil {
					e.logger().Warn("renewing the sync lease", slog.String("error", err.Error()))
				}
			}
		}
	}()
	defer func() {
		cancelStep(nil)
		<-hbDone
		if e.OnLease != nil {
			e.OnLease(companyID, -1)
		}
		e.mu.Lock()
		delete(e.running, companyID)
		e.mu.Unlock()
		if rerr := e.Store.ReleaseSyncLease(context.WithoutCancel(ctx), companyID, owner); rerr != nil {
			e.logger().Warn("releasing the sync lease", slog.String("error", rerr.Error()))
		}
	}()
	report := func(update func(p *Progress)) {
		e.mu.Lock()
		update(prog)
		p := *prog
		e.mu.Unlock()
		if o.Progress != nil {
			o.Progress(p)
		}
	}

	company, err := e.Store.CompanyByID(ctx, companyID)
	if err != nil {
		return res, false, fmt.Errorf("loading company %d: %w", companyID, err)
	}
	// The step's bound is real time (job timeouts are), whatever e.Now says.
	var deadline time.Time
	if o.MaxDuration > 0 {
		deadline = time.Now().Add(o.MaxDuration)
	}
	wctx := context.WithoutCancel(ctx)
	save := func() error {
		run.Found, run.New, run.Failed = res.Found, res.New, res.Failed
		return e.Store.SaveSyncRun(wctx, run)
	}
	finish := func(err error) (*Result, bool, error) {
		if errors.Is(context.Cause(ctx), ErrLeaseLost) {
			// Another worker owns the run now: record nothing.
			return res, false, ErrLeaseLost
		}
		if err != nil && !foreground && errors.Is(err, errInterrupted) {
			// A job stopped (shutdown, timeout, lost lease): the run stays
			// open and is resumed from its cursor.
			if serr := save(); serr != nil {
				e.logger().Error("recording sync progress", slog.String("error", serr.Error()))
			}
			return res, false, err
		}
		var qw *QuotaWaitError
		if errors.As(err, &qw) {
			run.ResumeAfter = &qw.Until
			run.Error = qw.Error()
			if serr := save(); serr != nil {
				e.logger().Error("recording sync progress", slog.String("error", serr.Error()))
			}
			e.logger().Warn("sync waits for an ANAF quota reset", slog.String("cif", company.CIF), slog.Time("until", qw.Until))
			return res, false, err
		}
		run.FinishedAt = nil // the store's clock, like StartedAt
		run.Status = store.SyncOK
		run.ResumeAfter = nil
		if err != nil {
			run.Status = store.SyncFailed
			run.Error = err.Error()
		} else if res.Failed > 0 {
			run.Status = SyncPartial
			run.Error = fmt.Sprintf("%d of %d messages could not be archived and will be retried on the next sync; first error: %s",
				res.Failed, res.Found, strings.TrimPrefix(run.Error, "first error: "))
		} else {
			run.Error = ""
		}
		if run.AtRisk > 0 {
			run.Warning = fmt.Sprintf("%d messages listed by ANAF are not archived and are older than %d days: ANAF deletes them at 60 days; sync again soon",
				run.AtRisk, int(AtRiskAge.Hours()/24))
		}
		run.Found, run.New, run.Failed = res.Found, res.New, res.Failed
		if ferr := e.Store.FinishSyncRun(wctx, run); ferr != nil {
			e.logger().Error("recording sync outcome", slog.String("error", ferr.Error()))
		}
		if e.OnRunFinished != nil {
			e.OnRunFinished(run.Status, res.New)
		}
		res.Duration = e.now().Sub(run.StartedAt)
		report(func(p *Progress) { p.Phase = "done" })
		e.logger().Info("sync finished", slog.String("cif", company.CIF), slog.Int("found", res.Found),
			slog.Int("new", res.New), slog.Int("failed", res.Failed), slog.Int("pages", run.Pages),
			slog.Duration("duration", res.Duration), slog.String("status", run.Status))
		return res, true, err
	}

	if run.WindowStart == nil || run.WindowEnd == nil {
		var last time.Time
		if company.LastSyncedUntil != nil {
			last = *company.LastSyncedUntil
		}
		start, end := anaf.Window(last, e.now(), Overlap)
		run.WindowStart, run.WindowEnd, run.NextPage = &start, &end, 1
	}
	run.Status = store.SyncRunning
	run.ResumeAfter = nil
	if strings.HasPrefix(run.Error, "ANAF quota exhausted") {
		run.Error = ""
	}
	if err := save(); err != nil {
		return res, false, fmt.Errorf("recording sync run: %w", err)
	}
	start, end := *run.WindowStart, *run.WindowEnd
	res.Start, res.End = start, end

	if e.ANAFClient == nil {
		return finish(errors.New("no ANAF client is configured"))
	}
	client, err := e.ANAFClient(ctx)
	if err != nil {
		return finish(fmt.Errorf("preparing the ANAF client: %w", err))
	}
	// Only consenting members' tokens; one ANAF refuses for the CIF is
	// marked and the next is tried.
	refused := map[int64]bool{}
	tok, err := e.token(ctx, client, companyID, refused)
	if err != nil {
		if ctx.Err() != nil {
			return finish(fmt.Errorf("%w: %w", errInterrupted, err))
		}
		return finish(err)
	}
	// One refresh per step for a token ANAF refuses although it should be
	// valid; a second refusal ends the run instead of looping.
	refreshed := false
	reauth := func(cause error) error {
		if refreshed {
			return fmt.Errorf("ANAF refused the access token again right after a refresh: %w", cause)
		}
		refreshed = true
		nt, err := e.refresh(ctx, client, tok)
		if err != nil {
			return err
		}
		tok = nt
		return nil
	}
	covered := false // the token's coverage of the CIF was recorded in this step
	lastSave := time.Now()
	checkpoint := func() error {
		// Record New/Failed every LeaseRenew (real time), so a crash loses little.
		if time.Since(lastSave) < LeaseRenew {
			return nil
		}
		lastSave = time.Now()
		return save()
	}
	quotaWait := func(err error) error {
		var ae *anaf.Error
		until := e.now().Add(time.Hour)
		if errors.As(err, &ae) {
			switch {
			case !ae.ResetAt.IsZero():
				until = ae.ResetAt
			case ae.RetryAfter > 0:
				until = e.now().Add(ae.RetryAfter)
			}
		}
		return &QuotaWaitError{Until: until.UTC(), Err: err}
	}
	interrupted := func(err error) error { return fmt.Errorf("%w: %w", errInterrupted, err) }

	for {
		page := run.NextPage
		if page > anaf.MaxPages {
			return finish(fmt.Errorf("listing ANAF messages for CIF %s: more than %d pages", company.CIF, anaf.MaxPages))
		}
		if err := ctx.Err(); err != nil {
			return finish(interrupted(err))
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			if err := save(); err != nil {
				return res, false, err
			}
			return res, false, nil
		}
		report(func(p *Progress) { p.Phase = "listing"; p.Page = page })
		list := func() (msgs []anaf.Message, total int, err error) {
			err = anaf.Retry(ctx, e.retry(), func() error {
				msgs, total, err = client.ListMessagesPage(ctx, tok.access, company.CIF, start, end, page)
				return err
			})
			return msgs, total, err
		}
		msgs, total, err := list()
		if errors.Is(err, anaf.ErrUnauthorized) {
			if err = reauth(err); err != nil {
				return finish(err)
			}
			msgs, total, err = list()
		}
		for errors.Is(err, anaf.ErrNoRights) {
			// This member's rights do not cover the CIF: mark it and try the
			// next consenting member's connection, never anyone else's.
			e.notCovered(wctx, company, tok.userID, err)
			refused[tok.userID] = true
			next, terr := e.token(ctx, client, companyID, refused)
			if terr != nil {
				if errors.Is(terr, ErrNoConnection) {
					return finish(fmt.Errorf("%w (ANAF: %w)", ErrNoConnection, err))
				}
				return finish(terr)
			}
			tok, refreshed = next, false
			msgs, total, err = list()
		}
		if err == nil && !covered {
			covered = true
			e.covered(wctx, company, tok.userID)
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return finish(interrupted(err))
		case errors.Is(err, anaf.ErrQuota):
			return finish(quotaWait(err))
		case err != nil:
			return finish(fmt.Errorf("listing ANAF messages for CIF %s: %w", company.CIF, err))
		}
		if len(msgs) == 0 {
			break // no messages, or past the last page
		}
		run.TotalPages = max(run.TotalPages, total)
		own := e.ownMessages(company, msgs)
		ids := make([]string, len(own))
		for i, m := range own {
			ids[i] = m.ID
		}
		have, err := e.Store.ExistingANAFIDs(ctx, companyID, ids)
		if err != nil {
			if ctx.Err() != nil {
				return finish(interrupted(err))
			}
			return finish(fmt.Errorf("reading the archive: %w", err))
		}
		var todo []anaf.Message
		for _, m := range own {
			if !have[m.ID] {
				todo = append(todo, m)
			}
		}
		report(func(p *Progress) {
			p.Phase = "downloading"
			p.Pages = run.TotalPages
			p.Found = res.Found + len(own)
			p.Todo += len(todo)
		})
		pageFailed, pageAtRisk := 0, 0
		for i, m := range todo {
			if err := ctx.Err(); err != nil {
				return finish(interrupted(err))
			}
			if i > 0 && !deadline.IsZero() && time.Now().After(deadline) {
				// Out of time mid-page: archived messages are counted; the
				// page is listed again next step (archived ones are skipped).
				if err := save(); err != nil {
					return res, false, err
				}
				return res, false, nil
			}
			if err := checkpoint(); err != nil {
				if ctx.Err() != nil {
					return finish(interrupted(err))
				}
				return finish(fmt.Errorf("recording sync progress: %w", err))
			}
			inserted, reused, err := e.archive(ctx, client, tok, company, m, owner)
			if errors.Is(err, anaf.ErrUnauthorized) {
				if err := reauth(err); err != nil {
					return finish(err)
				}
				inserted, reused, err = e.archive(ctx, client, tok, company, m, owner)
				if errors.Is(err, anaf.ErrUnauthorized) {
					return finish(fmt.Errorf("ANAF refused the access token again right after a refresh: %w", err))
				}
			}
			if err != nil && ctx.Err() != nil {
				return finish(interrupted(err))
			}
			if err != nil && errors.Is(err, anaf.ErrQuota) && !perMessageQuota(err) {
				// The rate limit or another run-wide quota: wait for its
				// reset instead of failing every remaining message.
				if serr := save(); serr != nil {
					return finish(fmt.Errorf("recording sync progress: %w", serr))
				}
				return finish(quotaWait(err))
			}
			if err != nil && store.IsStorageError(err) {
				// The archive's storage refuses writes (disk full, I/O
				// error): every further message would fail the same way.
				// Stop the step at once with the run open (this page is
				// listed again; archived ones are skipped) and let the
				// caller back off. The save may fail for the same reason:
				// the last saved cursor then stands.
				if serr := save(); serr != nil && !store.IsStorageError(serr) {
					e.logger().Error("recording sync progress", slog.String("error", serr.Error()))
				}
				return res, false, fmt.Errorf("archiving message %s of CIF %s: %w", m.ID, company.CIF, err)
			}
			if err != nil {
				pageFailed++
				if !m.CreatedAt.IsZero() && e.now().Sub(m.CreatedAt) > AtRiskAge {
					pageAtRisk++
				}
				if res.Failed+pageFailed == 1 {
					run.Error = "first error: " + err.Error()
				}
				e.logger().Warn("archiving message failed", slog.String("cif", company.CIF), slog.String("id", m.ID), slog.String("error", err.Error()))
			} else if inserted {
				res.New++
			}
			if reused && err == nil {
				res.Reused++
			}
			report(func(p *Progress) { p.Done++; p.New = res.New; p.Failed = res.Failed + pageFailed })
		}
		res.Found += len(own)
		res.Failed += pageFailed
		run.AtRisk += pageAtRisk
		run.Pages++
		run.NextPage = page + 1
		if total == 0 && len(msgs) >= anaf.PageSize && page >= run.TotalPages {
			run.TotalPages = page + 1 // a full page without a total: ask for the next one
		}
		if err := save(); err != nil {
			return finish(fmt.Errorf("recording sync progress: %w", err))
		}
		if run.NextPage > run.TotalPages {
			break
		}
	}
	if res.Failed == 0 {
		if err := e.Store.SetCompanySyncedUntil(wctx, companyID, end); err != nil {
			return finish(fmt.Errorf("recording the synced window: %w", err))
		}
	}
	return finish(nil)
}

// ownMessages keeps the messages ANAF listed for the company's own CIF.
// A message whose cif is another CIF (or missing) is dropped and logged:
// it is never stored under this company.
func (e *Engine) ownMessages(company *store.Company, msgs []anaf.Message) []anaf.Message {
	want, err := cif.Normalize(company.CIF)
	if err != nil {
		want = strings.TrimSpace(company.CIF)
	}
	own := make([]anaf.Message, 0, len(msgs))
	for _, m := range msgs {
		if got, err := cif.Normalize(m.CIF); err == nil && got == want {
			own = append(own, m)
			continue
		}
		e.logger().Warn("ANAF listed a message for another CIF; ignored",
			slog.String("cif", company.CIF), slog.String("message_cif", m.CIF), slog.String("id", m.ID))
	}
	return own
}

// archive downloads (or reuses) one message's ZIP, parses it and stores it.
// reused reports a ZIP taken from another company's archive.
func (e *Engine) archive(ctx context.Context, client *anaf.Client, tok *token, company *store.Company, m anaf.Message, owner string) (inserted, reused bool, err error) {
	zipBytes, err := e.Store.ArchivedZIP(ctx, m.ID)
	if errors.Is(err, store.ErrNotFound) {
		// Another worker may be downloading the same id for the other
		// party's company: claim it, or wait for its ZIP in the archive.
		var claimed bool
		zipBytes, claimed, err = e.claimOrWait(ctx, m.ID, owner)
		if claimed {
			defer func() { _ = e.Store.ReleaseDownload(context.WithoutCancel(ctx), m.ID, owner) }()
		}
	}
	switch {
	case err == nil:
		reused = true
	case errors.Is(err, store.ErrNotFound):
		zipBytes, err = e.download(ctx, client, tok.access, m.ID)
		if err != nil {
			return false, false, fmt.Errorf("downloading message %s: %w", m.ID, err)
		}
	default:
		return false, false, fmt.Errorf("looking for message %s in the archive: %w", m.ID, err)
	}
	inv := BuildInvoice(company.ID, m, zipBytes)
	inv.SyncedAt = e.now().UTC()
	inserted, err = e.Store.InsertInvoice(ctx, inv)
	if err != nil {
		return false, reused, fmt.Errorf("storing message %s: %w", m.ID, err)
	}
	return inserted, reused, nil
}

// perMessageQuota reports a quota of one message (descarcare: 10
// downloads per id per day): that message fails, the run goes on.
func perMessageQuota(err error) bool {
	var ae *anaf.Error
	return errors.As(err, &ae) && ae.Quota == anaf.QuotaDownload
}

// downloadClaimTTL bounds how long a worker waits for another's download
// of the same message (a dead worker's claim expires after it).
const downloadClaimTTL = 15 * time.Second

// claimOrWait claims the download of id (claimed true, err
// store.ErrNotFound: download it), or waits for the claimant to archive it
// and returns its ZIP (err nil). After downloadClaimTTL the claim is taken over.
func (e *Engine) claimOrWait(ctx context.Context, id, owner string) (zip []byte, claimed bool, err error) {
	for {
		ok, err := e.Store.ClaimDownload(ctx, id, owner, downloadClaimTTL)
		if err != nil {
			return nil, false, err
		}
		if ok {
			// The previous claimant may have archived it and released
			// its claim since our first look.
			zip, err = e.Store.ArchivedZIP(ctx, id)
			return zip, true, err
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false, ctx.Err()
		case <-t.C:
		}
		zip, err = e.Store.ArchivedZIP(ctx, id)
		if !errors.Is(err, store.ErrNotFound) {
			return zip, false, err
		}
	}
}

// download fetches a message's ZIP, retrying transient failures with the
// Engine's policy, and re-downloading at most MaxRedownloads times when the
// answer is not a readable ANAF ZIP: either the client refused it as
// malformed (anaf.ErrMalformed: it does not open as a ZIP, and the client
// keeps no bytes) or invoice.ReadArchive refuses its content. Re-downloading
// stops early when ANAF sends the same unreadable bytes twice (more
// attempts would only spend the per-message quota). When the budget is
// spent and some unreadable bytes were received, they are returned (the
// caller archives them with ParseError): the bytes are never lost and the
// message is not downloaded again on the next run.
func (e *Engine) download(ctx context.Context, client *anaf.Client, access, id string) ([]byte, error) {
	var (
		kept    []byte // last unreadable bytes received
		lastErr error
	)
	for attempt := 0; attempt <= MaxRedownloads; attempt++ {
		if attempt > 0 {
			e.logger().Warn("ANAF sent an unreadable ZIP; downloading it again",
				slog.String("id", id), slog.Int("attempt", attempt+1), slog.Int("budget", MaxRedownloads+1))
		}
		b, err := e.downloadWithRetry(ctx, client, access, id)
		switch {
		case err == nil:
			if _, rerr := invoice.ReadArchive(b); rerr == nil {
				return b, nil
			}
			if kept != nil && bytes.Equal(kept, b) {
				return b, nil
			}
			kept, lastErr = b, nil
		case errors.Is(err, anaf.ErrMalformed):
			lastErr = err
		case kept != nil && !errors.Is(err, anaf.ErrUnauthorized) && ctx.Err() == nil:
			// E.g. the daily quota: keep what ANAF already sent.
			e.logger().Warn("re-download failed; archiving the unreadable ZIP received earlier",
				slog.String("id", id), slog.String("error", err.Error()))
			return kept, nil
		default:
			return nil, err
		}
	}
	if kept != nil {
		return kept, nil
	}
	return nil, fmt.Errorf("still unreadable after %d downloads: %w", MaxRedownloads+1, lastErr)
}

func (e *Engine) downloadWithRetry(ctx context.Context, client *anaf.Client, access, id string) ([]byte, error) {
	var out []byte
	err := anaf.Retry(ctx, e.retry(), func() error {
		b, err := client.Download(ctx, access, id)
		if err == nil {
			out = b
		}
		return err
	})
	return out, err
}

// BuildInvoice turns an ANAF message and its ZIP into an archive row. A ZIP
// or document that cannot be read is kept, with ParseError saying why.
func BuildInvoice(companyID int64, m anaf.Message, zipBytes []byte) *store.Invoice {
	sum := sha256.Sum256(zipBytes)
	inv := &store.Invoice{
		CompanyID:     companyID,
		ANAFID:        m.ID,
		UploadID:      m.UploadID,
		MessageType:   m.Type,
		Details:       m.Details,
		CIFEmitent:    m.CIFEmitent,
		CIFBeneficiar: m.CIFBeneficiar,
		ANAFCreatedAt: m.CreatedAt.UTC(),
		ZIP:           zipBytes,
		ZIPSHA256:     sum[:],
	}
	arch, err := invoice.ReadArchive(zipBytes)
	if err != nil {
		inv.ParseError = "the ZIP from ANAF could not be read: " + err.Error()
		return inv
	}
	if m.Type == store.TypeErrors || isANAFErrors(arch.Document) {
		inv.DocumentType = "ANAFErrors"
		ae, err := invoice.ParseANAFErrors(arch.Document)
		if err != nil {
			inv.ParseError = "ANAF's error list could not be read: " + err.Error()
			return inv
		}
		if inv.CIFEmitent == "" {
			inv.CIFEmitent = ae.CIFEmitent
		}
		inv.ParsedJSON, _ = json.Marshal(struct {
			DocumentType string   `json:"document_type"`
			UploadID     string   `json:"upload_id,omitempty"`
			CIFEmitent   string   `json:"cif_emitent,omitempty"`
			Errors       []string `json:"errors"`
		}{"ANAFErrors", ae.UploadID, ae.CIFEmitent, ae.Messages})
		return inv
	}
	doc, err := invoice.Parse(arch.Document)
	if err != nil {
		inv.ParseError = err.Error()
		return inv
	}
	inv.DocumentType = string(doc.DocumentType)
	inv.InvoiceNumber = doc.Number
	inv.IssueDate = doc.IssueDate
	inv.DueDate = doc.DueDate
	inv.Currency = doc.Currency
	inv.IssuerName = doc.Seller.Name
	inv.ReceiverName = doc.Buyer.Name
	inv.SupplierCIF = invoice.PartyCIF(doc.Seller)
	if inv.SupplierCIF == "" {
		inv.SupplierCIF = firstNonEmpty(doc.Seller.VATID, doc.Seller.LegalID)
	}
	if inv.CIFEmitent == "" {
		inv.CIFEmitent = inv.SupplierCIF
	}
	if inv.CIFBeneficiar == "" {
		inv.CIFBeneficiar = firstNonEmpty(invoice.PartyCIF(doc.Buyer), doc.Buyer.VATID, doc.Buyer.LegalID)
	}
	inv.TotalAmount = doc.Totals.TaxInclusive
	inv.VATAmount = doc.Totals.VAT
	inv.ParsedJSON, _ = json.Marshal(doc)
	return inv
}

func isANAFErrors(doc []byte) bool {
	head := doc
	if len(head) > 512 {
		head = head[:512]
	}
	return strings.Contains(string(head), "mesajEroriFactuta")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
