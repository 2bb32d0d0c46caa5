package store

import "context"

// Sync run statuses.
const (
	SyncRunning = "running"
	SyncOK      = "ok"
	SyncFailed  = "failed"
)

// StartSyncRun records a running sync (StartedAt now, Status SyncRunning).
func (s *Store) StartSyncRun(ctx context.Context, companyID int64) (*SyncRun, error) {
	r := &SyncRun{CompanyID: companyID, StartedAt: now(), Status: SyncRunning}
	err := s.q.QueryRowContext(ctx, `
		INSERT INTO sync_runs (company_id, started_at, status) VALUES ($1, $2, $3) RETURNING id`,
		companyID, s.tv(r.StartedAt), r.Status).Scan(&r.ID)
	if err != nil {
		return nil, s.wrap("start sync run", err)
	}
	return r, nil
}

// FinishSyncRun records the outcome (Status, counters, Error, FinishedAt from r;
// FinishedAt is set to now when nil). ErrNotFound.
func (s *Store) FinishSyncRun(ctx context.Context, r *SyncRun) error {
	if r.FinishedAt == nil {
		t := now()
		r.FinishedAt = &t
	}
	res, err := s.q.ExecContext(ctx, `
		UPDATE sync_runs SET finished_at = $1, status = $2, found_count = $3, new_count = $4,
			failed_count = $5, error = $6
		WHERE id = $7`,
		s.tpv(r.FinishedAt), r.Status, r.Found, r.New, r.Failed, r.Error, r.ID)
	return s.mustAffect("finish sync run", res, err)
}

// LastSyncRun returns the company's latest run. ErrNotFound.
func (s *Store) LastSyncRun(ctx context.Context, companyID int64) (*SyncRun, error) {
	var r SyncRun
	err := s.q.QueryRowContext(ctx, `
		SELECT id, company_id, started_at, finished_at, status, found_count, new_count, failed_count, error
		FROM sync_runs WHERE company_id = $1
		ORDER BY started_at DESC, id DESC LIMIT 1`, companyID).
		Scan(&r.ID, &r.CompanyID, timeCol{&r.StartedAt}, nullTimeCol{&r.FinishedAt}, &r.Status,
			&r.Found, &r.New, &r.Failed, &r.Error)
	if err != nil {
		return nil, s.wrap("last sync run", err)
	}
	return &r, nil
}
