package anafsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/store"
)

// syncStep is one step of a sync run (Engine.step): it holds the
// company's lease for its duration, lists pages from the run's cursor,
// archives the messages not yet archived and records its progress. Its
// methods end the step in one of three ways: work remains (errYield, the
// run stays open), a stop with the run open (*stayOpen: lease, storage,
// the run's own records), or finish, which records the run's outcome.
type syncStep struct {
	e          *Engine
	o          StepOptions
	owner      string
	foreground bool // SyncCompany: an interruption fails the run

	ctx    context.Context // canceled with ErrLeaseLost when the lease is lost
	wctx   context.Context // ctx without its cancellation, for records that must land
	cancel context.CancelCauseFunc
	hbDone chan struct{}

	run      *store.SyncRun
	res      *Result
	prog     *Progress
	company  *store.Company
	deadline time.Time // no new message after it (real time); zero: none
	lastSave time.Time // of the last checkpoint (real time)

	client    *anaf.Client
	tok       *token
	refused   map[int64]bool // members whose token ANAF refused for the CIF in this step
	refreshed bool           // the token was refreshed once in this step
	covered   bool           // the token's coverage of the CIF was recorded in this step

	pageFailed, pageAtRisk int // of the page being archived
	// Of the page being archived: messages deferred to ANAF's daily quota
	// reset (and the latest reset), expired (with ANAF's last text), and
	// listed for another CIF. Added to the run when the page is done.
	pageDeferred, pageExpired int
	pageDeferredUntil         time.Time
	pageExpiredText           string
	states                    map[string]*store.MessageState // recorded states of the page's messages to do
	afterQuota                bool                           // the run waited for a quota reset before this step
}

// errYield ends a step that ran out of time: the cursor is recorded and
// work remains.
var errYield = errors.New("step out of time")

// stayOpen ends a step with the run open and err returned as it is,
// without recording an outcome.
type stayOpen struct{ err error }

func (s *stayOpen) Error() string { return s.err.Error() }
func (s *stayOpen) Unwrap() error { return s.err }

func interrupted(err error) error { return fmt.Errorf("%w: %w", errInterrupted, err) }

func (e *Engine) step(ctx context.Context, runID int64, owner string, o StepOptions, foreground bool) (res *Result, done bool, err error) {
	run, err := e.Store.SyncRunByID(ctx, runID)
	if err != nil {
		return nil, false, fmt.Errorf("loading sync run %d: %w", runID, err)
	}
	res = &Result{RunID: run.ID, Found: run.Found, New: run.New, Failed: run.Failed}
	if run.FinishedAt != nil {
		return res, true, nil
	}
	if err := e.waiting(run); err != nil {
		return res, false, err
	}
	s := &syncStep{e: e, o: o, owner: owner, foreground: foreground, run: run, res: res, refused: map[int64]bool{}}
	if err := s.begin(ctx); err != nil {
		return res, false, err
	}
	defer s.end()
	err = s.prepare()
	if err == nil {
		err = s.listPages()
	}
	if err == nil && res.Failed == 0 && run.Deferred == 0 {
		// Deferred messages are listed again (not downloaded) until
		// their quota reset: the window stays where it was.
		if serr := e.Store.SetCompanySyncedUntil(s.wctx, run.CompanyID, *run.WindowEnd); serr != nil {
			err = fmt.Errorf("recording the synced window: %w", serr)
		}
	}
	var open *stayOpen
	switch {
	case errors.As(err, &open):
		return res, false, open.err
	case errors.Is(err, errYield):
		return res, false, nil
	}
	return s.finish(err)
}

// begin takes the company's lease, registers the step's progress in this
// process and starts the lease's heartbeat. Errors: ErrBusy, the store's.
func (s *syncStep) begin(ctx context.Context) error {
	e, companyID := s.e, s.run.CompanyID
	ok, err := e.Store.AcquireSyncLease(ctx, companyID, s.owner, LeaseTTL)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBusy
	}
	e.mu.Lock()
	if e.running == nil {
		e.running = map[int64]*Progress{}
	}
	if _, busy := e.running[companyID]; busy {
		e.mu.Unlock()
		_ = e.Store.ReleaseSyncLease(context.WithoutCancel(ctx), companyID, s.owner)
		return ErrBusy
	}
	run := s.run
	s.prog = &Progress{Phase: "listing", Found: run.Found, New: run.New, Failed: run.Failed, Page: run.NextPage, Pages: run.TotalPages}
	e.running[companyID] = s.prog
	e.mu.Unlock()
	if e.OnLease != nil {
		e.OnLease(companyID, +1)
	}
	s.ctx, s.cancel = context.WithCancelCause(ctx)
	s.wctx = context.WithoutCancel(s.ctx)
	s.hbDone = make(chan struct{})
	go s.heartbeat()
	return nil
}

// heartbeat renews the lease every LeaseRenew whatever the step is doing
// (a download waiting on ANAF's rate limit included); when the lease is
// lost the step's context is canceled with ErrLeaseLost.
func (s *syncStep) heartbeat() {
	defer close(s.hbDone)
	t := time.NewTicker(LeaseRenew)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			ok, err := s.e.Store.RenewSyncLease(s.ctx, s.run.CompanyID, s.owner, LeaseTTL)
			if err == nil && !ok {
				s.cancel(ErrLeaseLost)
				return
			}
			if err != nil && s.ctx.Err() == nil {
				s.e.logger().Warn("renewing the sync lease", slog.String("error", err.Error()))
			}
		}
	}
}

// end stops the heartbeat, unregisters the step and releases the lease.
func (s *syncStep) end() {
	e, companyID := s.e, s.run.CompanyID
	s.cancel(nil)
	<-s.hbDone
	if e.OnLease != nil {
		e.OnLease(companyID, -1)
	}
	e.mu.Lock()
	delete(e.running, companyID)
	e.mu.Unlock()
	if err := e.Store.ReleaseSyncLease(s.wctx, companyID, s.owner); err != nil {
		e.logger().Warn("releasing the sync lease", slog.String("error", err.Error()))
	}
}

// report updates the step's progress and tells StepOptions.Progress.
func (s *syncStep) report(update func(p *Progress)) {
	s.e.mu.Lock()
	update(s.prog)
	p := *s.prog
	s.e.mu.Unlock()
	if s.o.Progress != nil {
		s.o.Progress(p)
	}
}

// save records the run's cursor and counts.
func (s *syncStep) save() error {
	s.run.Found, s.run.New, s.run.Failed = s.res.Found, s.res.New, s.res.Failed
	return s.e.Store.SaveSyncRun(s.wctx, s.run)
}

// checkpoint records New/Failed every LeaseRenew (real time), so a crash
// loses little.
func (s *syncStep) checkpoint() error {
	if time.Since(s.lastSave) < LeaseRenew {
		return nil
	}
	s.lastSave = time.Now()
	return s.save()
}

// yield records the cursor and ends the step with work remaining.
func (s *syncStep) yield() error {
	if err := s.save(); err != nil {
		return &stayOpen{err}
	}
	return errYield
}

// outOfTime reports the step's bound has passed.
func (s *syncStep) outOfTime() bool {
	return !s.deadline.IsZero() && time.Now().After(s.deadline)
}

// prepare loads the company, fixes the run's window on its first step,
// marks the run running, and gets the ANAF client and a consenting
// member's token.
func (s *syncStep) prepare() error {
	e, run := s.e, s.run
	company, err := e.Store.CompanyByID(s.ctx, run.CompanyID)
	if err != nil {
		return &stayOpen{fmt.Errorf("loading company %d: %w", run.CompanyID, err)}
	}
	s.company = company
	// The step's bound is real time (job timeouts are), whatever e.Now says.
	if s.o.MaxDuration > 0 {
		s.deadline = time.Now().Add(s.o.MaxDuration)
	}
	if run.WindowStart == nil || run.WindowEnd == nil {
		var last time.Time
		if company.LastSyncedUntil != nil {
			last = *company.LastSyncedUntil
		}
		start, end := anaf.Window(last, e.now(), Overlap)
		if run.Kind == store.SyncKindRelist && end.Sub(start) < RelistWindow {
			// The daily re-list: the last 48 hours (or more when the last
			// success is older), listing only what the incremental runs
			// already archived.
			start = end.Add(-RelistWindow)
		}
		run.WindowStart, run.WindowEnd, run.NextPage = &start, &end, 1
	} else if oldest, _ := anaf.Window(time.Time{}, e.now(), 0); run.WindowStart.Before(oldest) {
		// A run resumed long after its window was fixed (it waited for a
		// quota reset): ANAF refuses a start older than 60 days, and what
		// is older cannot be listed anymore. List again from page 1
		// (archived messages are skipped).
		run.WindowStart, run.NextPage, run.TotalPages = &oldest, 1, 0
	}
	run.Status = store.SyncRunning
	s.afterQuota = run.ResumeAfter != nil
	if run.ResumeAfter != nil {
		// The run waited for a quota reset: its error was that wait.
		run.Error = ""
	}
	run.ResumeAfter = nil
	if err := s.save(); err != nil {
		return &stayOpen{fmt.Errorf("recording sync run: %w", err)}
	}
	s.res.Start, s.res.End = *run.WindowStart, *run.WindowEnd

	if e.ANAFClient == nil {
		return errors.New("no ANAF client is configured")
	}
	if s.client, err = e.ANAFClient(s.ctx); err != nil {
		return fmt.Errorf("preparing the ANAF client: %w", err)
	}
	// Only consenting members' tokens; one ANAF refuses for the CIF is
	// marked and the next is tried.
	if s.tok, err = e.token(s.ctx, s.client, run.CompanyID, s.refused); err != nil {
		if s.ctx.Err() != nil {
			return interrupted(err)
		}
		return err
	}
	s.lastSave = time.Now()
	return nil
}

// quotaWait turns a quota refusal into a *QuotaWaitError until its reset
// (an hour when ANAF does not say).
func (s *syncStep) quotaWait(err error) error {
	var ae *anaf.Error
	until := s.e.now().Add(time.Hour)
	if errors.As(err, &ae) {
		switch {
		case !ae.ResetAt.IsZero():
			until = ae.ResetAt
		case ae.RetryAfter > 0:
			until = s.e.now().Add(ae.RetryAfter)
		}
		if s.afterQuota && ae.Quota != anaf.QuotaRate {
			// The reset is an assumption (anaf.QuotaResetHour): say so
			// when ANAF still refuses after it.
			s.e.logger().Warn("ANAF still refuses after the assumed daily quota reset (midnight, Europe/Bucharest)",
				slog.String("cif", s.company.CIF), slog.String("quota", string(ae.Quota)), slog.String("anaf", ae.Text))
		}
	}
	// Microseconds: the time as the run row stores it.
	return &QuotaWaitError{Until: until.UTC().Truncate(time.Microsecond), Err: err}
}

// finish ends the step on err (nil: the run's work is done). A lost
// lease records nothing; an interrupted job step and a quota wait record
// the cursor and leave the run open; anything else records the run's
// outcome (finishRun).
func (s *syncStep) finish(err error) (*Result, bool, error) {
	if errors.Is(context.Cause(s.ctx), ErrLeaseLost) {
		// Another worker owns the run now: record nothing.
		return s.res, false, ErrLeaseLost
	}
	if err != nil && !s.foreground && errors.Is(err, errInterrupted) {
		// A job stopped (shutdown, timeout, lost lease): the run stays
		// open and is resumed from its cursor.
		if serr := s.save(); serr != nil {
			s.e.logger().Error("recording sync progress", slog.String("error", serr.Error()))
		}
		return s.res, false, err
	}
	var qw *QuotaWaitError
	if errors.As(err, &qw) {
		s.run.ResumeAfter = &qw.Until
		s.run.Error = qw.Error()
		if serr := s.save(); serr != nil {
			s.e.logger().Error("recording sync progress", slog.String("error", serr.Error()))
		}
		s.e.logger().Warn("sync waits for an ANAF quota reset", slog.String("cif", s.company.CIF), slog.Time("until", qw.Until))
		return s.res, false, err
	}
	s.finishRun(err)
	return s.res, true, err
}

// runWarning is the run's warning: one sentence per kind of thing the user
// should know of (English, for the API and the logs; the pages write their
// own from the run's counters); "" when none.
func runWarning(run *store.SyncRun) string {
	var w []string
	if run.AtRisk > 0 {
		w = append(w, fmt.Sprintf("%d messages listed by ANAF are not archived and are older than %d days: ANAF deletes them at 60 days; sync again soon.",
			run.AtRisk, int(AtRiskAge.Hours()/24)))
	}
	if run.Expired > 0 {
		w = append(w, fmt.Sprintf("%d messages are past ANAF's 60-day retention and can no longer be downloaded (ANAF: %q); they are recorded as expired and not requested again.",
			run.Expired, run.ExpiredText))
	}
	if run.Deferred > 0 && run.DeferredUntil != nil {
		w = append(w, fmt.Sprintf("%d messages reached ANAF's daily download limit; they are downloaded after the reset at %s.",
			run.Deferred, run.DeferredUntil.In(anaf.Bucharest()).Format("02.01.2006 15:04 MST")))
	}
	if run.Foreign > 0 {
		w = append(w, fmt.Sprintf("ANAF listed %d messages for another CIF (%s); they were not stored under this company.",
			run.Foreign, run.ForeignCIFs))
	}
	if run.Duplicates > 0 {
		w = append(w, fmt.Sprintf("%d messages repeat an invoice already archived under another message id (ANAF re-published it); they are marked duplicate_of and left out of figures and exports.",
			run.Duplicates))
	}
	if run.Conflicts > 0 {
		w = append(w, fmt.Sprintf("%d invoices have the seller, number and issue date of an archived invoice but another total; check them.",
			run.Conflicts))
	}
	return strings.Join(w, " ")
}

// finishRun records the run's outcome: ok, partial (some messages
// failed) or failed (err), with its at-risk warning.
func (s *syncStep) finishRun(err error) {
	e, run, res := s.e, s.run, s.res
	run.FinishedAt = nil // the store's clock, like StartedAt
	run.Status = store.SyncOK
	run.ResumeAfter = nil
	run.Warning = runWarning(run)
	switch {
	case err != nil:
		run.Status = store.SyncFailed
		run.Error = err.Error()
	case res.Failed > 0:
		run.Status = SyncPartial
		run.Error = fmt.Sprintf("%d of %d messages could not be archived and will be retried on the next sync; first error: %s",
			res.Failed, res.Found, strings.TrimPrefix(run.Error, "first error: "))
	case run.Warning != "":
		run.Status = SyncOKWithWarnings
		run.Error = ""
	default:
		run.Error = ""
	}
	if run.Foreign > 0 {
		// Once per run, not per message.
		e.logger().Warn("ANAF listed messages for another CIF; they were not stored under this company",
			slog.String("cif", s.company.CIF), slog.Int("messages", run.Foreign), slog.String("listed_cifs", run.ForeignCIFs))
	}
	if run.Kind == store.SyncKindRelist && err == nil {
		missed := res.New + res.Failed
		e.logger().Info("daily re-list of the last 48 hours finished", slog.String("cif", s.company.CIF),
			slog.Int("listed", res.Found), slog.Int("missed_by_incremental_syncs", missed))
		if e.OnRelist != nil {
			e.OnRelist(s.company.CIF, missed)
		}
	}
	run.Found, run.New, run.Failed = res.Found, res.New, res.Failed
	res.Status, res.Warning = run.Status, run.Warning
	if ferr := e.Store.FinishSyncRun(s.wctx, run); ferr != nil {
		e.logger().Error("recording sync outcome", slog.String("error", ferr.Error()))
	}
	if e.OnRunFinished != nil {
		e.OnRunFinished(run.Status, res.New)
	}
	res.Duration = e.now().Sub(run.StartedAt)
	s.report(func(p *Progress) { p.Phase = "done" })
	e.logger().Info("sync finished", slog.String("cif", s.company.CIF), slog.Int("found", res.Found),
		slog.Int("new", res.New), slog.Int("failed", res.Failed), slog.Int("pages", run.Pages),
		slog.Duration("duration", res.Duration), slog.String("status", run.Status))
}
