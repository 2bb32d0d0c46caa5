package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/cif"
)

// Member is one user of a company, as the company's members page lists it.
type Member struct {
	UserID  int64
	Email   string
	Role    string // RoleOwner | RoleMember
	Consent bool   // lends their ANAF connection to the company
}

// CompanyMembers lists a company's members with their e-mails, owners
// first, then by e-mail.
func (s *Store) CompanyMembers(ctx context.Context, companyID int64) ([]Member, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT u.id, u.email, m.role, m.anaf_consent FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.company_id = $1
		ORDER BY CASE m.role WHEN 'owner' THEN 0 ELSE 1 END, u.email`, companyID)
	if err != nil {
		return nil, s.wrap("company members", err)
	}
	return collect(rows, "company members", s, func(row interface{ Scan(...any) error }) (*Member, error) {
		var m Member
		return &m, row.Scan(&m.UserID, &m.Email, &m.Role, &m.Consent)
	})
}

// AuditFilter selects audit events. Zero fields do not filter.
type AuditFilter struct {
	Action     string    // prefix of the action, e.g. "user." or "apikey.create"
	ActorEmail string    // exact e-mail of the actor (case-insensitive)
	From, To   time.Time // At >= From, At < To (UTC)
	Limit      int       // <= 0: 200
}

// AuditEntry is an audit event with its actor's e-mail ("" when the actor
// is unknown or was deleted).
type AuditEntry struct {
	AuditEvent
	ActorEmail string
}

// AuditEventsFiltered lists the events matching f, newest first.
func (s *Store) AuditEventsFiltered(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Action != "" {
		conds = append(conds, "a.action LIKE "+arg(escapeLike(f.Action)+"%")+` ESCAPE '\'`)
	}
	if f.ActorEmail != "" {
		conds = append(conds, "u.email = "+arg(normEmail(f.ActorEmail)))
	}
	if !f.From.IsZero() {
		conds = append(conds, "a.at >= "+arg(s.tv(f.From)))
	}
	if !f.To.IsZero() {
		conds = append(conds, "a.at < "+arg(s.tv(f.To)))
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.q.QueryContext(ctx, `
		SELECT a.id, a.at, a.actor_id, a.action, a.target, a.details, a.ip, COALESCE(u.email, '')
		FROM audit_events a LEFT JOIN users u ON u.id = a.actor_id
		`+where+` ORDER BY a.at DESC, a.id DESC LIMIT `+arg(f.Limit), args...)
	if err != nil {
		return nil, s.wrap("audit events filtered", err)
	}
	return collect(rows, "audit events filtered", s, func(row interface{ Scan(...any) error }) (*AuditEntry, error) {
		var (
			e     AuditEntry
			actor sql.NullInt64
		)
		if err := row.Scan(&e.ID, timeCol{&e.At}, &actor, &e.Action, &e.Target, &e.Details, &e.IP, &e.ActorEmail); err != nil {
			return nil, err
		}
		if actor.Valid {
			e.ActorID = &actor.Int64
		}
		return &e, nil
	})
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

// InvoiceAmount is one invoice's date, type and total, as written (for the
// dashboard's figures and chart; summed with decimals by the caller).
type InvoiceAmount struct {
	IssueDate   string // YYYY-MM-DD (BT-2)
	MessageType string
	Currency    string // BT-5
	Total       string // BT-112 as written; "" when unknown
}

// InvoiceAmounts lists the date, type, currency and total of the company's
// invoices issued on or after from (YYYY-MM-DD), oldest first.
func (s *Store) InvoiceAmounts(ctx context.Context, companyID int64, from string) ([]InvoiceAmount, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT issue_date, message_type, currency, total_amount FROM invoices
		WHERE company_id = $1 AND issue_date >= $2 ORDER BY issue_date, id`, companyID, from)
	if err != nil {
		return nil, s.wrap("invoice amounts", err)
	}
	return collect(rows, "invoice amounts", s, func(row interface{ Scan(...any) error }) (*InvoiceAmount, error) {
		var (
			a InvoiceAmount
			d sql.NullString
		)
		err := row.Scan(&d, &a.MessageType, &a.Currency, &a.Total)
		a.IssueDate = d.String
		return &a, err
	})
}

// InvoicesWithPartner is Invoices with one more condition: the partner is
// partner. A CIF (with or without "RO") matches the issuer's or the
// receiver's CIF; other text matches part of the issuer's or receiver's
// name (case-insensitive, diacritics ignored). An empty partner is Invoices.
func (s *Store) InvoicesWithPartner(ctx context.Context, f InvoiceFilter, partner string) ([]Invoice, int, error) {
	partner = strings.TrimSpace(partner)
	if partner == "" {
		return s.Invoices(ctx, f)
	}
	where, args := invoiceWhere(f)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if digits, err := cif.Normalize(partner); err == nil {
		c := []string{arg(digits), arg("RO" + digits)}
		in := strings.Join(c, ", ")
		where += " AND (cif_emitent IN (" + in + ") OR cif_beneficiar IN (" + in + ") OR supplier_cif IN (" + in + "))"
	} else {
		// search_text holds the folded number and party names; the name
		// columns decide which party matched.
		p := arg("%" + escapeLike(foldSearch(partner)) + "%")
		where += " AND search_text LIKE " + p + ` ESCAPE '\'`
	}
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM invoices WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, s.wrap("count invoices with partner", err)
	}
	query := `SELECT ` + invoiceListColumns + ` FROM invoices WHERE ` + where + ` ORDER BY ` + invoiceOrder(f.SortBy, f.SortDesc)
	if f.Limit > 0 {
		query += " LIMIT " + arg(f.Limit) + " OFFSET " + arg(max(f.Offset, 0))
	}
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, s.wrap("invoices with partner", err)
	}
	list, err := collect(rows, "invoices with partner", s, scanInvoice)
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// UserSessionsValidAfter returns the instant before which the user's web
// sessions count as logged out; nil when there is none. ErrNotFound.
func (s *Store) UserSessionsValidAfter(ctx context.Context, userID int64) (*time.Time, error) {
	var t *time.Time
	err := s.q.QueryRowContext(ctx, `SELECT sessions_valid_after FROM users WHERE id = $1`, userID).Scan(nullTimeCol{&t})
	if err != nil {
		return nil, s.wrap("user sessions valid after", err)
	}
	return t, nil
}

// SetUserSessionsValidAfter ends every web session of the user begun
// before at (see UserSessionsValidAfter). ErrNotFound.
func (s *Store) SetUserSessionsValidAfter(ctx context.Context, userID int64, at time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET sessions_valid_after = $1 WHERE id = $2`, s.tv(at), userID)
	return s.mustAffect("set user sessions valid after", res, err)
}
