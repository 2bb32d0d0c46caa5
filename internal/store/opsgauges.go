package store

import (
	"context"
	"time"

	"github.com/efactura-gateway/efactura/internal/deadline"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// Read-only figures for the operator's alerts (internal/metrics reads
// them at scrape time, cached): how long the most neglected company went
// without a successful sync, when the first ANAF connection ends, uploads
// stuck on the way to ANAF and invoices past their legal deadline.

// ANAFAuthorizationLifetime is how long an ANAF authorization lasts when
// the stored refresh token says nothing (no JWT exp): 365 days from the
// user's consent.
const ANAFAuthorizationLifetime = 365 * 24 * time.Hour

// PastDeadlineWindow bounds the invoices PastDeadlineUploads looks at:
// those issued within it (older ones were dealt with, or never will be).
const PastDeadlineWindow = 60 * 24 * time.Hour

// OldestSyncSuccess returns, among the companies that sync on their own
// (auto_sync, verified), the longest time since a sync run ended well
// (ok, ok_with_warnings or partial) as of now — a company that never had
// one counts from its creation — and how many companies were looked at.
func (s *Store) OldestSyncSuccess(ctx context.Context, now time.Time) (age time.Duration, companies int, err error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT c.created_at,
			(SELECT MAX(r.finished_at) FROM sync_runs r
			 WHERE r.company_id = c.id AND r.status IN ('ok', 'ok_with_warnings', 'partial'))
		FROM companies c WHERE c.auto_sync AND c.status = 'verified'`)
	if err != nil {
		return 0, 0, s.wrap("oldest sync success", err)
	}
	defer rows.Close()
	for rows.Next() {
		var created time.Time
		var last *time.Time
		if err := rows.Scan(timeCol{&created}, nullTimeCol{&last}); err != nil {
			return 0, 0, s.wrap("oldest sync success", err)
		}
		since := created
		if last != nil {
			since = *last
		}
		companies++
		age = max(age, now.Sub(since))
	}
	return age, companies, s.wrap("oldest sync success", rows.Err())
}

// EarliestANAFConnectionEnd returns when the first connected user's ANAF
// authorization ends: the refresh token's exp when it was stored, else
// the last consent (audit anaf.connect) plus ANAFAuthorizationLifetime,
// else the row's last update plus that lifetime. nil: no connection.
func (s *Store) EarliestANAFConnectionEnd(ctx context.Context) (*time.Time, error) {
	conns, err := s.connectedTokens(ctx)
	if err != nil {
		return nil, s.wrap("ANAF connection end", err)
	}
	var first *time.Time
	for _, c := range conns {
		end := c.refresh
		if end == nil {
			var consent *time.Time
			if err := s.q.QueryRowContext(ctx, `SELECT MAX(at) FROM audit_events WHERE action = $1 AND target = $2`,
				ActionANAFConnect, TargetUser(c.user)).Scan(nullTimeCol{&consent}); err != nil {
				return nil, s.wrap("ANAF connection end", err)
			}
			from := c.updated
			if consent != nil {
				from = *consent
			}
			e := from.Add(ANAFAuthorizationLifetime)
			end = &e
		}
		if first == nil || end.Before(*first) {
			first = end
		}
	}
	return first, nil
}

type connectedToken struct {
	user    int64
	refresh *time.Time
	updated time.Time
}

// connectedTokens lists the connected users' refresh expiry and update
// time (read whole before any other query: SQLite has one connection).
func (s *Store) connectedTokens(ctx context.Context) ([]connectedToken, error) {
	rows, err := s.q.QueryContext(ctx,
		`SELECT user_id, refresh_expires_at, updated_at FROM anaf_tokens WHERE status = 'connected'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []connectedToken
	for rows.Next() {
		var c connectedToken
		if err := rows.Scan(&c.user, nullTimeCol{&c.refresh}, timeCol{&c.updated}); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UnfinishedUploadStates are the states of an upload still on its way:
// sending (queued or being sent), unknown (ANAF's answer lost), pending
// (ANAF is processing it).
var UnfinishedUploadStates = []string{UploadSending, UploadUnknown, UploadPending}

// OldestUnfinishedUploads returns, for each of UnfinishedUploadStates,
// how long the oldest upload has been in it (0 when none is).
func (s *Store) OldestUnfinishedUploads(ctx context.Context, now time.Time) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, st := range UnfinishedUploadStates {
		out[st] = 0
	}
	rows, err := s.q.QueryContext(ctx,
		`SELECT state, MIN(state_at) FROM uploads WHERE state IN ($1, $2, $3) GROUP BY state`,
		UploadSending, UploadUnknown, UploadPending)
	if err != nil {
		return nil, s.wrap("unfinished uploads", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var at time.Time
		if err := rows.Scan(&state, timeCol{&at}); err != nil {
			return nil, s.wrap("unfinished uploads", err)
		}
		out[state] = max(now.Sub(at), 0)
	}
	return out, s.wrap("unfinished uploads", rows.Err())
}

// PastDeadlineUploads counts the invoices (company, seller, number, issue
// date) issued within PastDeadlineWindow that were uploaded but never
// accepted by ANAF (no upload of them in state ok; answers, RASP, aside)
// and whose legal deadline (deadline.Due) is over as of now, in
// Bucharest.
func (s *Store) PastDeadlineUploads(ctx context.Context, now time.Time) (int, error) {
	since := now.Add(-PastDeadlineWindow).In(tz.Bucharest()).Format(time.DateOnly)
	rows, err := s.q.QueryContext(ctx, `
		SELECT u.issue_date FROM uploads u
		WHERE u.standard <> 'RASP' AND u.state <> $1 AND u.issue_date >= $2
		  AND NOT EXISTS (SELECT 1 FROM uploads o WHERE o.state = $1 AND o.company_id = u.company_id
		      AND o.seller_cif = u.seller_cif AND o.invoice_number = u.invoice_number AND o.issue_date = u.issue_date)
		GROUP BY u.company_id, u.seller_cif, u.invoice_number, u.issue_date`, UploadOK, since)
	if err != nil {
		return 0, s.wrap("past deadline uploads", err)
	}
	defer rows.Close()
	l := now.In(tz.Bucharest())
	today := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	n := 0
	for rows.Next() {
		var issue string
		if err := rows.Scan(&issue); err != nil {
			return 0, s.wrap("past deadline uploads", err)
		}
		d, err := deadline.ParseDate(issue)
		if err != nil {
			continue // refused locally for its date: never sendable as is
		}
		if due, _ := deadline.Due(d); today.After(due) {
			n++
		}
	}
	return n, s.wrap("past deadline uploads", rows.Err())
}
