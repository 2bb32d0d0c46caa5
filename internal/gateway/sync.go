package gateway

import (
	"context"
	"errors"
	"strings"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/store"
)

// ErrSyncUnavailable: this process runs no background synchronisation.
var ErrSyncUnavailable = &Error{Kind: KindUnavailable, Code: "service_unavailable", Msg: "Background synchronisation is not running in this process."}

// SyncCompany is the tenant check of the sync use cases: a company the
// user belongs to, or a key's own (0: the key's), verified or not (a sync
// is how ANAF verifies it). ErrNotFound otherwise.
func (s *Service) SyncCompany(ctx context.Context, p Principal, companyID int64) (*Company, error) {
	return s.memberCompany(ctx, p, companyID)
}

// LastSync is the company's latest sync run; nil when it never synced.
func (s *Service) LastSync(ctx context.Context, p Principal, companyID int64) (*SyncRun, error) {
	c, err := s.memberCompany(ctx, p, companyID)
	if err != nil {
		return nil, err
	}
	return s.lastSyncOf(ctx, c)
}

// lastSyncOf is LastSync of a company the caller checked.
func (s *Service) lastSyncOf(ctx context.Context, c *Company) (*SyncRun, error) {
	run, err := s.Store.LastSyncRun(ctx, c.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return unverifiedRun(c, run), nil
}

// unverifiedRun hides what a run learnt from ANAF while the company is
// unverified (a run of an installation older than verification may have
// listed messages with a token that did not consent): its status, time
// and error stay, its counts are zero.
func unverifiedRun(c *Company, run *SyncRun) *SyncRun {
	if c.Verified() || run == nil {
		return run
	}
	r := *run
	r.Found, r.New, r.Failed, r.AtRisk, r.Pages, r.TotalPages = 0, 0, 0, 0, 0, 0
	r.Expired, r.Deferred, r.Foreign, r.Duplicates, r.Conflicts = 0, 0, 0, 0, 0
	r.Warning, r.ExpiredText, r.ForeignCIFs, r.DeferredUntil = "", "", "", nil
	return &r
}

// SyncRuns are the company's latest limit sync runs, newest first.
func (s *Service) SyncRuns(ctx context.Context, p Principal, companyID int64, limit int) ([]SyncRun, error) {
	c, err := s.memberCompany(ctx, p, companyID)
	if err != nil {
		return nil, err
	}
	runs, err := s.Store.SyncRuns(ctx, c.ID, limit)
	for i := range runs {
		runs[i] = *unverifiedRun(c, &runs[i])
	}
	return runs, err
}

// StartSync queues a sync of the company now (a key needs the write
// scope) and returns its run: the company's current one when a sync is
// already queued or running. ErrSyncUnavailable without Service.SyncStarter.
// A run opened but not queued (the scheduler resumes it) is logged, not an error.
func (s *Service) StartSync(ctx context.Context, p Principal, companyID int64) (*SyncRun, error) {
	if err := p.requireScope(ScopeWrite); err != nil {
		return nil, err
	}
	c, err := s.memberCompany(ctx, p, companyID)
	if err != nil {
		return nil, err
	}
	if s.SyncStarter == nil {
		return nil, ErrSyncUnavailable
	}
	id, err := s.SyncStarter(ctx, c.ID)
	if err != nil && id == 0 {
		return nil, err
	}
	if err != nil {
		s.logger().WarnContext(ctx, "sync run opened but not queued; the scheduler resumes it", "error", err.Error())
	}
	s.SyncStarted(ctx, p, c)
	return s.Store.SyncRunByID(ctx, id)
}

// SyncStarted records (audit) that the principal started a sync of the
// company outside StartSync (the web pages start it with the sync engine).
func (s *Service) SyncStarted(ctx context.Context, p Principal, c *Company) {
	details := ""
	if k, ok := p.Key(); ok {
		details = "api " + store.TargetKey(k.KeyID)
	}
	s.audit(ctx, p.actor, store.ActionCompanySync, c, details)
}

// IsSyncBusy reports whether a sync could not start because one of the
// company is already running in this process.
func IsSyncBusy(err error) bool { return errors.Is(err, anafsync.ErrBusy) }

// SyncErrorCode names what a sync run's error means, for the pages to
// say in the user's language what happened and what to do, never the
// error chain itself: "refused" (ANAF refused every lent connection for
// the CIF), "no_connection" (no member lends a live one), "needs_attention"
// (ANAF refuses a fresh access token), "key_missing" (the lent connection's
// encryption key is missing), "reconnect" (ANAF refused the
// refresh), "no_rights" (ANAF: no SPV rights on the CIF), "unauthorized"
// (ANAF refused the access token), "quota" (a quota is spent; the run
// resumes after it resets), "unavailable" (ANAF unreachable, maintenance,
// 5xx), "partial" (some messages could not be archived; retried), "other"
// for anything else; "" for no error.
func SyncErrorCode(msg string) string {
	switch {
	case msg == "":
		return ""
	case strings.HasPrefix(msg, anafsync.ErrAllRefused.Error()):
		return "refused"
	case msg == anafsync.ErrNoConnection.Error():
		return "no_connection"
	case strings.HasPrefix(msg, anafsync.ErrNoConnection.Error()) && strings.Contains(msg, ": no rights"):
		return "no_rights" // the last lent connection ANAF refused for the CIF
	case strings.HasPrefix(msg, anafsync.ErrNoConnection.Error()):
		return "no_connection"
	case strings.HasPrefix(msg, anafsync.ErrKeyMissing.Error()):
		return "key_missing"
	case strings.Contains(msg, anafsync.ErrNeedsAttention.Error()):
		return "needs_attention"
	case strings.Contains(msg, anafsync.ErrReconnectNeeded.Error()):
		return "reconnect"
	case strings.Contains(msg, "messages could not be archived"):
		return "partial"
	case strings.Contains(msg, ": no rights"), strings.Contains(msg, anafsync.ErrNotCovered.Error()):
		return "no_rights"
	case strings.Contains(msg, ": unauthorized"):
		return "unauthorized"
	case strings.Contains(msg, "quota"):
		return "quota"
	case strings.Contains(msg, "transient failure"), strings.Contains(msg, "outcome unknown"):
		return "unavailable"
	}
	return "other"
}

// SyncWaiting is how the pages show a run that failed only because no
// member lends the company a live ANAF connection yet (a company added
// before ANAF was connected): waiting for the ANAF connection, not failed.
const SyncWaiting = "waiting"

// SyncShownStatus is the status the pages show for a run: SyncWaiting
// for a run that failed for want of an ANAF connection, else its status.
func SyncShownStatus(run *SyncRun) string {
	if run == nil {
		return ""
	}
	if run.Status == store.SyncFailed && run.Error == anafsync.ErrNoConnection.Error() {
		return SyncWaiting
	}
	return run.Status
}
