package store

import (
	"context"
	"strconv"
	"time"

	"github.com/efactura-gateway/efactura/internal/deadline"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// The accountant's portfolio: one row of figures per company of a user,
// read for all of the user's companies in a fixed number of queries
// (never one query per company), and the SPV 60-day edge.

// SPVAtRiskAge is the age after which a message ANAF listed but the
// gateway did not archive is at risk: ANAF keeps messages for 60 days.
// A company whose last successful sync is older than this may already
// have lost messages.
const SPVAtRiskAge = 50 * 24 * time.Hour

// syncSuccessStatuses are the statuses of a run that ended well.
const syncSuccessStatuses = `('ok', 'ok_with_warnings', 'partial')`

// PortfolioFigures are one company's portfolio counts for a user.
type PortfolioFigures struct {
	CompanyID   int64
	LastVisit   *time.Time // the user's last visit of the company's dashboard; nil: never
	LastSuccess *time.Time // when the last sync that ended well finished; nil: never
	LastRun     *SyncRun   // the latest sync run; nil: never synced
	// NewInvoices are the messages other than ANAF error lists archived
	// since LastVisit (all of them when never visited); NewErrors the ANAF
	// error messages (ERORI FACTURA) archived since.
	NewInvoices, NewErrors int
	Rejected               int // uploads refused by ANAF (state nok)
	// AtRisk are messages ANAF listed that are not archived and older
	// than SPVAtRiskAge: deferred ones plus those the last finished run
	// failed to archive.
	AtRisk       int
	PastDeadline int // invoices uploaded, not accepted, past their legal deadline (PastDeadlineWindow)
	// Consenting are the members whose ANAF grant may serve the company,
	// in the order the sync tries them (ConsentingMembers).
	Consenting []int64
}

// Stale reports whether the company's last successful sync (or, never
// synced well, its creation) is older than SPVAtRiskAge as of now.
func (f *PortfolioFigures) Stale(created, now time.Time) bool {
	since := created
	if f.LastSuccess != nil {
		since = *f.LastSuccess
	}
	return now.Sub(since) > SPVAtRiskAge
}

// Portfolio returns the figures of every company userID is a member of,
// by company id, as of now.
func (s *Store) Portfolio(ctx context.Context, userID int64, now time.Time) (map[int64]*PortfolioFigures, error) {
	out := map[int64]*PortfolioFigures{}
	epoch := time.Unix(0, 0)
	cut := now.Add(-SPVAtRiskAge)
	rows, err := s.q.QueryContext(ctx, `
		SELECT m.company_id, v.visited_at,
			(SELECT MAX(r.finished_at) FROM sync_runs r WHERE r.company_id = m.company_id AND r.status IN `+syncSuccessStatuses+`),
			(SELECT count(*) FROM invoices i WHERE i.company_id = m.company_id AND i.synced_at > coalesce(v.visited_at, $2)),
			(SELECT count(*) FROM invoices i WHERE i.company_id = m.company_id AND i.message_type = $3 AND i.synced_at > coalesce(v.visited_at, $2)),
			(SELECT count(*) FROM uploads u WHERE u.company_id = m.company_id AND u.state = $4),
			(SELECT count(*) FROM sync_message_states x WHERE x.company_id = m.company_id AND x.state = $5 AND x.anaf_created_at < $6)
		FROM memberships m LEFT JOIN company_visits v ON v.user_id = m.user_id AND v.company_id = m.company_id
		WHERE m.user_id = $1`, userID, s.tv(epoch), TypeErrors, UploadNOK, MessageDeferred, s.tv(cut))
	if err != nil {
		return nil, s.wrap("portfolio", err)
	}
	defer rows.Close()
	for rows.Next() {
		f := &PortfolioFigures{}
		var all int
		if err := rows.Scan(&f.CompanyID, nullTimeCol{&f.LastVisit}, nullTimeCol{&f.LastSuccess}, &all, &f.NewErrors, &f.Rejected, &f.AtRisk); err != nil {
			return nil, s.wrap("portfolio", err)
		}
		f.NewInvoices = all - f.NewErrors
		out[f.CompanyID] = f
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("portfolio", err)
	}
	rows.Close()

	// The latest run of each company, and the at-risk count of the latest
	// finished one (a running run has not counted its failures yet).
	rows, err = s.q.QueryContext(ctx, `SELECT `+syncRunColumns+` FROM sync_runs WHERE id IN (
		SELECT (SELECT x.id FROM sync_runs x WHERE x.company_id = m.company_id ORDER BY x.started_at DESC, x.id DESC LIMIT 1)
		FROM memberships m WHERE m.user_id = $1)`, userID)
	if err != nil {
		return nil, s.wrap("portfolio runs", err)
	}
	runs, err := collect(rows, "portfolio runs", s, scanSyncRun)
	if err != nil {
		return nil, err
	}
	for i := range runs {
		if f := out[runs[i].CompanyID]; f != nil {
			f.LastRun = &runs[i]
		}
	}
	if err := s.portfolioFailedAtRisk(ctx, userID, out); err != nil {
		return nil, err
	}

	if err := s.portfolioConsenting(ctx, userID, now, out); err != nil {
		return nil, err
	}
	late, err := s.pastDeadlineByCompany(ctx, now, `u.company_id IN (SELECT company_id FROM memberships WHERE user_id = $3)`, userID)
	if err != nil {
		return nil, err
	}
	for id, n := range late {
		if f := out[id]; f != nil {
			f.PastDeadline = n
		}
	}
	return out, nil
}

// portfolioFailedAtRisk adds to AtRisk the at-risk count of each
// company's latest finished run (a running run has not counted its
// failures yet).
func (s *Store) portfolioFailedAtRisk(ctx context.Context, userID int64, out map[int64]*PortfolioFigures) error {
	rows, err := s.q.QueryContext(ctx, `SELECT company_id, at_risk FROM sync_runs WHERE id IN (
		SELECT (SELECT x.id FROM sync_runs x WHERE x.company_id = m.company_id AND x.finished_at IS NOT NULL
			ORDER BY x.started_at DESC, x.id DESC LIMIT 1)
		FROM memberships m WHERE m.user_id = $1)`, userID)
	if err != nil {
		return s.wrap("portfolio at risk", err)
	}
	defer rows.Close()
	for rows.Next() {
		var company int64
		var n int
		if err := rows.Scan(&company, &n); err != nil {
			return s.wrap("portfolio at risk", err)
		}
		if f := out[company]; f != nil {
			f.AtRisk += n
		}
	}
	return s.wrap("portfolio at risk", rows.Err())
}

// portfolioConsenting fills Consenting for every company of the user, in
// ConsentingMembers' order, with one query.
func (s *Store) portfolioConsenting(ctx context.Context, userID int64, at time.Time, out map[int64]*PortfolioFigures) error {
	rows, err := s.q.QueryContext(ctx, `
		SELECT company_id, user_id FROM memberships
		WHERE company_id IN (SELECT company_id FROM memberships WHERE user_id = $1)
		  AND anaf_consent AND (anaf_denied_until IS NULL OR anaf_denied_until <= $2)
		ORDER BY company_id, CASE WHEN anaf_ok_at IS NULL THEN 1 ELSE 0 END, anaf_ok_at DESC,
		         CASE role WHEN 'owner' THEN 0 ELSE 1 END, user_id`, userID, s.tv(at))
	if err != nil {
		return s.wrap("portfolio consenting", err)
	}
	defer rows.Close()
	for rows.Next() {
		var company, user int64
		if err := rows.Scan(&company, &user); err != nil {
			return s.wrap("portfolio consenting", err)
		}
		if f := out[company]; f != nil {
			f.Consenting = append(f.Consenting, user)
		}
	}
	return s.wrap("portfolio consenting", rows.Err())
}

// ANAFTokensByUsers returns the stored ANAF grants of those of userIDs
// that have one, by user id, in one query.
func (s *Store) ANAFTokensByUsers(ctx context.Context, userIDs []int64) (map[int64]*ANAFToken, error) {
	out := map[int64]*ANAFToken{}
	if len(userIDs) == 0 {
		return out, nil
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+anafTokenColumns+` FROM anaf_tokens WHERE user_id IN (SELECT value FROM `+s.idList(1)+`)`, s.idsParam(userIDs))
	if err != nil {
		return nil, s.wrap("anaf tokens by users", err)
	}
	list, err := collect(rows, "anaf tokens by users", s, scanANAFToken)
	if err != nil {
		return nil, err
	}
	for i := range list {
		out[list[i].UserID] = &list[i]
	}
	return out, nil
}

// idList is the table expression of the id list in parameter $n
// (idsParam): one parameter whatever the number of ids, so the statement
// is prepared once.
func (s *Store) idList(n int) string {
	p := "$" + strconv.Itoa(n)
	if s.dialect == Postgres {
		return "unnest(" + p + "::bigint[]) AS value"
	}
	return "json_each(" + p + ")"
}

// idsParam encodes ids for idList: an array on PostgreSQL, a JSON array
// on SQLite.
func (s *Store) idsParam(ids []int64) any {
	if s.dialect == Postgres {
		return ids
	}
	b := make([]byte, 0, len(ids)*8+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// pastDeadlineByCompany is PastDeadlineUploads by company, among the
// uploads matching cond (SQL on alias u, its parameter $3 being arg).
func (s *Store) pastDeadlineByCompany(ctx context.Context, now time.Time, cond string, arg any) (map[int64]int, error) {
	since := now.Add(-PastDeadlineWindow).In(tz.Bucharest()).Format(time.DateOnly)
	rows, err := s.q.QueryContext(ctx, `
		SELECT u.company_id, u.issue_date FROM uploads u
		WHERE u.standard <> 'RASP' AND u.state <> $1 AND u.issue_date >= $2 AND `+cond+`
		  AND NOT EXISTS (SELECT 1 FROM uploads o WHERE o.state = $1 AND o.company_id = u.company_id
		      AND o.seller_cif = u.seller_cif AND o.invoice_number = u.invoice_number AND o.issue_date = u.issue_date)
		GROUP BY u.company_id, u.seller_cif, u.invoice_number, u.issue_date`, UploadOK, since, arg)
	if err != nil {
		return nil, s.wrap("past deadline by company", err)
	}
	defer rows.Close()
	l := now.In(tz.Bucharest())
	today := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	out := map[int64]int{}
	for rows.Next() {
		var company int64
		var issue string
		if err := rows.Scan(&company, &issue); err != nil {
			return nil, s.wrap("past deadline by company", err)
		}
		d, err := deadline.ParseDate(issue)
		if err != nil {
			continue
		}
		if due, _ := deadline.Due(d); today.After(due) {
			out[company]++
		}
	}
	return out, s.wrap("past deadline by company", rows.Err())
}

// VisitMarkEvery is how long a visit mark this process wrote is kept
// while the company's invoices stay the same (MarkCompanyVisited).
const VisitMarkEvery = time.Minute

// MarkCompanyVisited records that the user opened the company's
// dashboard at. A mark this process wrote less than VisitMarkEvery before
// at, under the same version of the company's invoices, is kept as it is:
// no invoice was added or changed since, so the portfolio's "new since
// the last visit" counts the same (a view used to write the mark every
// time: 5 % of a dashboard view).
func (s *Store) MarkCompanyVisited(ctx context.Context, userID, companyID int64, at time.Time) error {
	memo := !s.inTx && s.cache != nil
	var version int64
	key := [2]int64{userID, companyID}
	if memo {
		var err error
		if _, version, err = s.invoiceCounter(ctx, companyID); err != nil {
			return err
		}
		if m, ok := s.cache.visit(key); ok && m.version == version && at.Sub(m.at) < VisitMarkEvery && !at.Before(m.at) {
			return nil
		}
	}
	_, err := s.exec(ctx, `
		INSERT INTO company_visits (user_id, company_id, visited_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, company_id) DO UPDATE SET visited_at = excluded.visited_at`,
		userID, companyID, s.tv(at))
	if err == nil && memo {
		s.cache.putVisit(key, visitMark{version: version, at: at})
	}
	return s.wrap("mark company visited", err)
}

// SPVAtRisk returns, over the verified companies, the messages at risk
// of ANAF's 60-day limit (listed, not archived, older than SPVAtRiskAge:
// deferred ones plus those each company's last finished run failed to
// archive) and how many companies that sync on their own had no
// successful sync for SPVAtRiskAge (never: since they were added), as
// of now.
func (s *Store) SPVAtRisk(ctx context.Context, now time.Time) (messages, staleCompanies int, err error) {
	cut := now.Add(-SPVAtRiskAge)
	var failed int
	err = s.q.QueryRowContext(ctx, `
		SELECT
			(SELECT count(*) FROM sync_message_states x JOIN companies c ON c.id = x.company_id
			 WHERE c.status = 'verified' AND x.state = $1 AND x.anaf_created_at < $2),
			(SELECT coalesce(sum(r.at_risk), 0) FROM sync_runs r WHERE r.id IN (
				SELECT (SELECT x.id FROM sync_runs x WHERE x.company_id = c.id AND x.finished_at IS NOT NULL
					ORDER BY x.started_at DESC, x.id DESC LIMIT 1)
				FROM companies c WHERE c.status = 'verified')),
			(SELECT count(*) FROM companies c WHERE c.auto_sync AND c.status = 'verified'
				AND coalesce((SELECT MAX(r.finished_at) FROM sync_runs r WHERE r.company_id = c.id AND r.status IN `+syncSuccessStatuses+`), c.created_at) < $2)`,
		MessageDeferred, s.tv(cut)).Scan(&messages, &failed, &staleCompanies)
	if err != nil {
		return 0, 0, s.wrap("spv at risk", err)
	}
	return messages + failed, staleCompanies, nil
}

// CompanyAtRisk are one company's at-risk messages (as in
// PortfolioFigures.AtRisk) and its last successful sync.
type CompanyAtRisk struct {
	Messages    int
	LastSuccess *time.Time
}

// CompanySPVAtRisk returns the company's at-risk figures as of now.
func (s *Store) CompanySPVAtRisk(ctx context.Context, companyID int64, now time.Time) (*CompanyAtRisk, error) {
	out := &CompanyAtRisk{}
	var deferred, failed int
	err := s.queryRow(ctx, `
		SELECT
			(SELECT count(*) FROM sync_message_states WHERE company_id = $1 AND state = $2 AND anaf_created_at < $3),
			coalesce((SELECT at_risk FROM sync_runs WHERE company_id = $1 AND finished_at IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT 1), 0),
			(SELECT MAX(finished_at) FROM sync_runs WHERE company_id = $1 AND status IN `+syncSuccessStatuses+`)`,
		companyID, MessageDeferred, s.tv(now.Add(-SPVAtRiskAge))).Scan(&deferred, &failed, nullTimeCol{&out.LastSuccess})
	if err != nil {
		return nil, s.wrap("company spv at risk", err)
	}
	out.Messages = deferred + failed
	return out, nil
}
