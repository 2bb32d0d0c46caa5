package store

import (
	"context"
	"time"
)

// Sync run statuses ("partial" is anafsync.SyncPartial).
const (
	SyncQueued  = "queued"
	SyncRunning = "running"
	SyncOK      = "ok"
	SyncFailed  = "failed"
)

const syncRunColumns = `id, company_id, started_at, finished_at, status, found_count, new_count, failed_count, error,
	window_start, window_end, next_page, pages, total_pages, at_risk, warning, resume_after, updated_at,
	kind, expired_count, expired_text, deferred_count, deferred_until, foreign_count, foreign_cifs, duplicate_count, conflict_count`

func scanSyncRun(row interface{ Scan(...any) error }) (*SyncRun, error) {
	var r SyncRun
	err := row.Scan(&r.ID, &r.CompanyID, timeCol{&r.StartedAt}, nullTimeCol{&r.FinishedAt}, &r.Status,
		&r.Found, &r.New, &r.Failed, &r.Error,
		nullTimeCol{&r.WindowStart}, nullTimeCol{&r.WindowEnd}, &r.NextPage, &r.Pages, &r.TotalPages,
		&r.AtRisk, &r.Warning, nullTimeCol{&r.ResumeAfter}, nullTimeCol{&r.UpdatedAt},
		&r.Kind, &r.Expired, &r.ExpiredText, &r.Deferred, nullTimeCol{&r.DeferredUntil}, &r.Foreign, &r.ForeignCIFs,
		&r.Duplicates, &r.Conflicts)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// StartSyncRun records a running sync (StartedAt now, Status SyncRunning,
// NextPage 1). A run of the company still open (finished_at NULL) is first
// closed as failed ("superseded"): at most one run per company is open.
// Sync jobs use OpenSyncRun instead, which refuses a second open run.
func (s *Store) StartSyncRun(ctx context.Context, companyID int64) (*SyncRun, error) {
	var r *SyncRun
	err := s.WithTx(ctx, func(tx *Store) error {
		t := now()
		if _, err := tx.q.ExecContext(ctx, `
			UPDATE sync_runs SET finished_at = $1, updated_at = $1, status = $2, error = $3
			WHERE company_id = $4 AND finished_at IS NULL`,
			tx.tv(t), SyncFailed, "superseded by a newer sync run", companyID); err != nil {
			return tx.wrap("start sync run", err)
		}
		var err error
		r, err = tx.OpenSyncRun(ctx, companyID, SyncRunning)
		return err
	})
	return r, err
}

// OpenSyncRun records a new open run of the company with the given status
// (SyncQueued or SyncRunning), StartedAt and UpdatedAt now, NextPage 1.
// ErrAlreadyExists when the company already has an open run (the unique
// index sync_runs_one_open_idx: one open run per company, on every replica).
func (s *Store) OpenSyncRun(ctx context.Context, companyID int64, status string) (*SyncRun, error) {
	return s.OpenSyncRunKind(ctx, companyID, status, SyncKindIncremental)
}

// OpenSyncRunKind is OpenSyncRun for a run of the given kind
// (SyncKindIncremental or SyncKindRelist).
func (s *Store) OpenSyncRunKind(ctx context.Context, companyID int64, status, kind string) (*SyncRun, error) {
	t := now()
	r := &SyncRun{CompanyID: companyID, StartedAt: t, Status: status, NextPage: 1, UpdatedAt: &t, Kind: kind}
	err := s.q.QueryRowContext(ctx, `
		INSERT INTO sync_runs (company_id, started_at, status, next_page, updated_at, kind) VALUES ($1, $2, $3, 1, $2, $4) RETURNING id`,
		companyID, s.tv(r.StartedAt), r.Status, kind).Scan(&r.ID)
	if err != nil {
		return nil, s.wrap("open sync run", err)
	}
	return r, nil
}

// SaveSyncRun records a run's progress: status, counters, error, window,
// cursor, at-risk count, warning and ResumeAfter; UpdatedAt is set to now
// (also on r). FinishedAt is written as given (nil keeps the run open).
// ErrNotFound.
func (s *Store) SaveSyncRun(ctx context.Context, r *SyncRun) error {
	t := now()
	r.UpdatedAt = &t
	res, err := s.q.ExecContext(ctx, `
		UPDATE sync_runs SET finished_at = $1, status = $2, found_count = $3, new_count = $4,
			failed_count = $5, error = $6, window_start = $7, window_end = $8, next_page = $9,
			pages = $10, total_pages = $11, at_risk = $12, warning = $13, resume_after = $14, updated_at = $15,
			expired_count = $16, expired_text = $17, deferred_count = $18, deferred_until = $19, foreign_count = $20,
			foreign_cifs = $21, duplicate_count = $22, conflict_count = $23
		WHERE id = $24`,
		s.tpv(r.FinishedAt), r.Status, r.Found, r.New, r.Failed, r.Error, s.tpv(r.WindowStart), s.tpv(r.WindowEnd),
		r.NextPage, r.Pages, r.TotalPages, r.AtRisk, r.Warning, s.tpv(r.ResumeAfter), s.tv(t),
		r.Expired, r.ExpiredText, r.Deferred, s.tpv(r.DeferredUntil), r.Foreign, r.ForeignCIFs, r.Duplicates, r.Conflicts, r.ID)
	return s.mustAffect("save sync run", res, err)
}

// FinishSyncRun records the outcome (Status, counters, Error and the other
// SaveSyncRun fields from r); FinishedAt is set to now when nil, and
// UpdatedAt to FinishedAt. ErrNotFound.
func (s *Store) FinishSyncRun(ctx context.Context, r *SyncRun) error {
	if r.Status == SyncFailed {
		// sync.failed (events.go) in the run's transaction.
		return s.WithTx(ctx, func(tx *Store) error {
			if err := tx.finishSyncRun(ctx, r); err != nil {
				return err
			}
			return tx.syncFailedEvent(ctx, r)
		})
	}
	return s.finishSyncRun(ctx, r)
}

func (s *Store) finishSyncRun(ctx context.Context, r *SyncRun) error {
	if r.FinishedAt == nil {
		t := now()
		r.FinishedAt = &t
	}
	if r.NextPage == 0 {
		r.NextPage = 1
	}
	if err := s.SaveSyncRun(ctx, r); err != nil {
		return err
	}
	// Keep the caller's struct equal to what a read returns.
	_, err := s.q.ExecContext(ctx, `UPDATE sync_runs SET updated_at = finished_at WHERE id = $1`, r.ID)
	r.UpdatedAt = r.FinishedAt
	return s.wrap("finish sync run", err)
}

// SyncRunByID returns one run. ErrNotFound.
func (s *Store) SyncRunByID(ctx context.Context, id int64) (*SyncRun, error) {
	r, err := scanSyncRun(s.q.QueryRowContext(ctx, `SELECT `+syncRunColumns+` FROM sync_runs WHERE id = $1`, id))
	if err != nil {
		return nil, s.wrap("sync run by id", err)
	}
	return r, nil
}

// LastSyncRun returns the company's latest run. ErrNotFound.
func (s *Store) LastSyncRun(ctx context.Context, companyID int64) (*SyncRun, error) {
	r, err := scanSyncRun(s.queryRow(ctx, `SELECT `+syncRunColumns+` FROM sync_runs WHERE company_id = $1
		ORDER BY started_at DESC, id DESC LIMIT 1`, companyID))
	if err != nil {
		return nil, s.wrap("last sync run", err)
	}
	return r, nil
}

// OpenSyncRunOf returns the company's open run (finished_at NULL). ErrNotFound.
func (s *Store) OpenSyncRunOf(ctx context.Context, companyID int64) (*SyncRun, error) {
	r, err := scanSyncRun(s.q.QueryRowContext(ctx, `SELECT `+syncRunColumns+` FROM sync_runs
		WHERE company_id = $1 AND finished_at IS NULL`, companyID))
	if err != nil {
		return nil, s.wrap("open sync run of company", err)
	}
	return r, nil
}

// SyncRuns lists the company's latest runs, newest first, at most limit (default 20).
func (s *Store) SyncRuns(ctx context.Context, companyID int64, limit int) ([]SyncRun, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+syncRunColumns+` FROM sync_runs WHERE company_id = $1
		ORDER BY started_at DESC, id DESC LIMIT $2`, companyID, limit)
	if err != nil {
		return nil, s.wrap("sync runs", err)
	}
	return collect(rows, "sync runs", s, scanSyncRun)
}

// StaleSyncRuns lists open runs whose last progress is older than before,
// whose ResumeAfter (if any) has passed by now, and whose company's sync
// lease is free: runs whose job died (crash) or was never enqueued. The
// scheduler enqueues a continuation for each.
func (s *Store) StaleSyncRuns(ctx context.Context, before, at time.Time) ([]SyncRun, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+prefixed("r.", syncRunColumns)+` FROM sync_runs r
		JOIN companies c ON c.id = r.company_id
		WHERE r.finished_at IS NULL AND (r.updated_at IS NULL OR r.updated_at < $1)
			AND (r.resume_after IS NULL OR r.resume_after <= $2)
			AND (c.sync_lease_until IS NULL OR c.sync_lease_until < $2)
		ORDER BY r.id`, s.tv(before), s.tv(at))
	if err != nil {
		return nil, s.wrap("stale sync runs", err)
	}
	return collect(rows, "stale sync runs", s, scanSyncRun)
}

// CompaniesDueForSync lists companies with auto-sync on, no open run, and
// whose latest run started at least their interval (default 60 min) before
// at, or that never ran; ordered by id.
func (s *Store) CompaniesDueForSync(ctx context.Context, at time.Time) ([]Company, error) {
	cs, err := s.Companies(ctx)
	if err != nil {
		return nil, err
	}
	var due []Company
	for _, c := range cs {
		if !c.AutoSync {
			continue
		}
		interval := time.Duration(c.SyncIntervalMinutes) * time.Minute
		if interval <= 0 {
			interval = DefaultSyncIntervalMinutes * time.Minute
		}
		last, err := s.LastSyncRun(ctx, c.ID)
		if isNotFound(err) {
			due = append(due, c)
			continue
		}
		if err != nil {
			return nil, err
		}
		if last.FinishedAt == nil || at.Sub(last.StartedAt) < interval {
			continue
		}
		due = append(due, c)
	}
	return due, nil
}

// LastSyncRunOfKind returns the start of the company's latest run of the
// kind; ErrNotFound when it never ran one.
func (s *Store) LastSyncRunOfKind(ctx context.Context, companyID int64, kind string) (*SyncRun, error) {
	r, err := scanSyncRun(s.q.QueryRowContext(ctx, `SELECT `+syncRunColumns+` FROM sync_runs WHERE company_id = $1 AND kind = $2
		ORDER BY started_at DESC, id DESC LIMIT 1`, companyID, kind))
	if err != nil {
		return nil, s.wrap("last sync run of kind", err)
	}
	return r, nil
}

// SyncOutcome is the latest sync run of one company.
type SyncOutcome struct {
	CompanyID   int64
	CompanyName string
	CIF         string
	Run         SyncRun
}

// SystemFigures are the installation-wide numbers of the admin page.
type SystemFigures struct {
	UsersByStatus map[string]int // UserPending | UserApproved | UserRejected → count
	Admins        int
	Companies     int
	Invoices      int
	LastSyncs     []SyncOutcome // the latest run of each company, newest first, at most 20
}

// SystemFigures counts users, companies and invoices and lists each
// company's latest sync run.
func (s *Store) SystemFigures(ctx context.Context) (*SystemFigures, error) {
	f := &SystemFigures{UsersByStatus: map[string]int{}}
	if err := func() error {
		rows, err := s.q.QueryContext(ctx, `SELECT status, count(*) FROM users GROUP BY status`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				st string
				n  int
			)
			if err := rows.Scan(&st, &n); err != nil {
				return err
			}
			f.UsersByStatus[st] = n
		}
		return rows.Err()
	}(); err != nil {
		return nil, s.wrap("system figures: users", err)
	}
	for _, q := range []struct {
		dst   *int
		query string
		args  []any
	}{
		{&f.Admins, `SELECT count(*) FROM users WHERE is_admin = $1`, []any{true}},
		{&f.Companies, `SELECT count(*) FROM companies`, nil},
		{&f.Invoices, `SELECT count(*) FROM invoices`, nil},
	} {
		if err := s.q.QueryRowContext(ctx, q.query, q.args...).Scan(q.dst); err != nil {
			return nil, s.wrap("system figures: counts", err)
		}
	}
	rows, err := s.q.QueryContext(ctx, `
		SELECT c.id, c.name, c.cif, r.id, r.started_at, r.finished_at, r.status, r.found_count, r.new_count, r.failed_count, r.error
		FROM sync_runs r JOIN companies c ON c.id = r.company_id
		WHERE r.id = (SELECT max(r2.id) FROM sync_runs r2 WHERE r2.company_id = r.company_id)
		ORDER BY r.started_at DESC, r.id DESC LIMIT 20`)
	if err != nil {
		return nil, s.wrap("system figures: syncs", err)
	}
	list, err := collect(rows, "system figures: syncs", s, func(row interface{ Scan(...any) error }) (*SyncOutcome, error) {
		var o SyncOutcome
		err := row.Scan(&o.CompanyID, &o.CompanyName, &o.CIF, &o.Run.ID, timeCol{&o.Run.StartedAt}, nullTimeCol{&o.Run.FinishedAt},
			&o.Run.Status, &o.Run.Found, &o.Run.New, &o.Run.Failed, &o.Run.Error)
		o.Run.CompanyID = o.CompanyID
		return &o, err
	})
	if err != nil {
		return nil, err
	}
	f.LastSyncs = list
	return f, nil
}
