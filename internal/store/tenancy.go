package store

import (
	"context"
	"time"
)

// Invitation and join-request states.
const (
	InvitePending  = "pending"
	InviteAccepted = "accepted"
	InviteDeclined = "declined"
	InviteRevoked  = "revoked"
	InviteExpired  = "expired" // set when a new invitation replaces an expired one
)

// Invitation is an owner's offer of a membership to an e-mail address;
// nothing changes for the invitee until they accept it.
type Invitation struct {
	ID          int64
	CompanyID   int64
	Email       string // lower-cased
	Role        string // RoleOwner | RoleMember
	InvitedBy   int64  // 0 when made from the CLI
	Status      string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	CompanyCIF  string // filled by the listings
	CompanyName string
	InviterMail string
}

// JoinRequest is a user's request to join an existing company, decided by its owners.
type JoinRequest struct {
	ID          int64
	CompanyID   int64
	UserID      int64
	Status      string
	CreatedAt   time.Time
	Email       string // the requester's, filled by the listings
	CompanyCIF  string
	CompanyName string
}

// Membership is one user's link to a company.
type Membership struct {
	CompanyID   int64
	UserID      int64
	Role        string
	Consent     bool       // their ANAF connection may serve this company
	ANAFOKAt    *time.Time // last time their token worked for the CIF
	DeniedUntil *time.Time // ANAF refused their token for the CIF; not tried before then
}

// CreateCompanyWithOwner creates a company and makes ownerID its owner with
// consent on, in one transaction. ErrAlreadyExists when the CIF exists.
func (s *Store) CreateCompanyWithOwner(ctx context.Context, cif, name string, ownerID int64) (*Company, error) {
	var c *Company
	err := s.WithTx(ctx, func(tx *Store) error {
		var err error
		if c, err = tx.CreateCompany(ctx, cif, name); err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `
			INSERT INTO memberships (company_id, user_id, role, anaf_consent) VALUES ($1, $2, $3, $4)`,
			c.ID, ownerID, RoleOwner, true)
		return tx.wrap("create company: owner", err)
	})
	if err != nil {
		return nil, err
	}
	c.Role, c.Consent = RoleOwner, true
	return c, nil
}

// SetCompanyVerified marks a company verified (once; later calls keep the
// first time). changed reports whether it was unverified before.
func (s *Store) SetCompanyVerified(ctx context.Context, companyID, byUserID int64) (changed bool, err error) {
	defer s.keyAuthChanged()
	res, err := s.q.ExecContext(ctx, `
		UPDATE companies SET status = $1, verified_at = $2, verified_by = $3
		WHERE id = $4 AND status <> $1`, CompanyVerified, s.tv(now()), nullInt64(byUserID), companyID)
	if err != nil {
		return false, s.wrap("set company verified", err)
	}
	n, err := res.RowsAffected()
	return n > 0, s.wrap("set company verified", err)
}

// MembershipOf returns a user's membership of a company. ErrNotFound.
func (s *Store) MembershipOf(ctx context.Context, companyID, userID int64) (*Membership, error) {
	m := Membership{CompanyID: companyID, UserID: userID}
	err := s.q.QueryRowContext(ctx, `
		SELECT role, anaf_consent, anaf_ok_at, anaf_denied_until FROM memberships WHERE company_id = $1 AND user_id = $2`,
		companyID, userID).Scan(&m.Role, &m.Consent, nullTimeCol{&m.ANAFOKAt}, nullTimeCol{&m.DeniedUntil})
	if err != nil {
		return nil, s.wrap("membership", err)
	}
	return &m, nil
}

// InsertMembership adds a user to a company with a role and consent.
// ErrAlreadyExists when they are a member already.
func (s *Store) InsertMembership(ctx context.Context, companyID, userID int64, role string, consent bool) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO memberships (company_id, user_id, role, anaf_consent) VALUES ($1, $2, $3, $4)`,
		companyID, userID, role, consent)
	return s.wrap("insert membership", err)
}

// AddMemberIfAbsent adds a user to a company with a role and consent
// unless they are a member already (inserted false, their membership
// unchanged). Safe inside a transaction on PostgreSQL, where a failed
// INSERT would abort the whole transaction.
func (s *Store) AddMemberIfAbsent(ctx context.Context, companyID, userID int64, role string, consent bool) (inserted bool, err error) {
	res, err := s.q.ExecContext(ctx, `
		INSERT INTO memberships (company_id, user_id, role, anaf_consent) VALUES ($1, $2, $3, $4)
		ON CONFLICT (company_id, user_id) DO NOTHING`,
		companyID, userID, role, consent)
	if err != nil {
		return false, s.wrap("add member if absent", err)
	}
	n, err := res.RowsAffected()
	return n > 0, s.wrap("add member if absent", err)
}

// LockCompany serialises changes to a company's memberships within a
// transaction (counting owners, then removing or demoting one): a row
// lock on PostgreSQL; on SQLite every write transaction is already
// exclusive (BEGIN IMMEDIATE). ErrNotFound.
func (s *Store) LockCompany(ctx context.Context, companyID int64) error {
	q := `SELECT id FROM companies WHERE id = $1`
	if s.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var id int64
	return s.wrap("lock company", s.q.QueryRowContext(ctx, q, companyID).Scan(&id))
}

// SetConsent records whether a member's ANAF connection may serve the company. ErrNotFound.
func (s *Store) SetConsent(ctx context.Context, companyID, userID int64, consent bool) error {
	res, err := s.q.ExecContext(ctx, `UPDATE memberships SET anaf_consent = $1 WHERE company_id = $2 AND user_id = $3`,
		consent, companyID, userID)
	return s.mustAffect("set consent", res, err)
}

// SetRole changes a member's role. ErrNotFound.
func (s *Store) SetRole(ctx context.Context, companyID, userID int64, role string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE memberships SET role = $1 WHERE company_id = $2 AND user_id = $3`,
		role, companyID, userID)
	return s.mustAffect("set role", res, err)
}

// CountOwners counts a company's owners.
func (s *Store) CountOwners(ctx context.Context, companyID int64) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE company_id = $1 AND role = $2`,
		companyID, RoleOwner).Scan(&n)
	return n, s.wrap("count owners", err)
}

// ConsentingMembers lists the user ids whose ANAF connection may serve the
// company at time at: consent on and not refused by ANAF for the CIF
// until after at. The member whose token last worked comes first, then
// owners, then by id.
func (s *Store) ConsentingMembers(ctx context.Context, companyID int64, at time.Time) ([]int64, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT user_id FROM memberships
		WHERE company_id = $1 AND anaf_consent AND (anaf_denied_until IS NULL OR anaf_denied_until <= $2)
		ORDER BY CASE WHEN anaf_ok_at IS NULL THEN 1 ELSE 0 END, anaf_ok_at DESC,
		         CASE role WHEN 'owner' THEN 0 ELSE 1 END, user_id`, companyID, s.tv(at))
	if err != nil {
		return nil, s.wrap("consenting members", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, s.wrap("consenting members", err)
		}
		ids = append(ids, id)
	}
	return ids, s.wrap("consenting members", rows.Err())
}

// CountRefusedConsenting counts the consenting members of the company
// whose token ANAF refused for the CIF until after at.
func (s *Store) CountRefusedConsenting(ctx context.Context, companyID int64, at time.Time) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `
		SELECT count(*) FROM memberships WHERE company_id = $1 AND anaf_consent AND anaf_denied_until > $2`,
		companyID, s.tv(at)).Scan(&n)
	return n, s.wrap("count refused consenting", err)
}

// MarkANAFOK records that the member's token worked for the company's CIF
// (and clears an earlier refusal).
func (s *Store) MarkANAFOK(ctx context.Context, companyID, userID int64) error {
	_, err := s.q.ExecContext(ctx, `
		UPDATE memberships SET anaf_ok_at = $1, anaf_denied_until = NULL WHERE company_id = $2 AND user_id = $3`,
		s.tv(now()), companyID, userID)
	return s.wrap("mark anaf ok", err)
}

// MarkANAFDenied records that ANAF refused the member's token for the CIF;
// sync does not try it again before until.
func (s *Store) MarkANAFDenied(ctx context.Context, companyID, userID int64, until time.Time) error {
	_, err := s.q.ExecContext(ctx, `
		UPDATE memberships SET anaf_denied_until = $1 WHERE company_id = $2 AND user_id = $3`,
		s.tv(until), companyID, userID)
	return s.wrap("mark anaf denied", err)
}

// TakeOverCompany gives an unverified company to the user whose own ANAF
// grant verified its CIF: every other membership ends, every API key of the
// company not made by the user is revoked (the CLI's too), pending
// invitations and join requests are revoked, the user
// becomes owner with consent, and the company is verified. It returns the
// e-mails of the users who lost access.
func (s *Store) TakeOverCompany(ctx context.Context, companyID, userID int64) ([]string, error) {
	var removed []string
	err := s.WithTx(ctx, func(tx *Store) error {
		tx.keyAuthChanged()
		var status string
		if err := tx.q.QueryRowContext(ctx, `SELECT status FROM companies WHERE id = $1`, companyID).Scan(&status); err != nil {
			return tx.wrap("take over: company", err)
		}
		if status == CompanyVerified {
			return tx.wrap("take over: company is verified", ErrAlreadyExists)
		}
		if err := func() error {
			rows, err := tx.q.QueryContext(ctx, `
			SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.company_id = $1 AND m.user_id <> $2 ORDER BY u.email`, companyID, userID)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var e string
				if err := rows.Scan(&e); err != nil {
					return err
				}
				removed = append(removed, e)
			}
			return rows.Err()
		}(); err != nil {
			return tx.wrap("take over: members", err)
		}
		t := tx.tv(now())
		stmts := []struct {
			sql  string
			args []any
		}{
			{`UPDATE api_keys SET revoked_at = $1 WHERE company_id = $2 AND revoked_at IS NULL AND (user_id IS NULL OR user_id <> $3)`, []any{t, companyID, userID}},
			{`DELETE FROM memberships WHERE company_id = $1 AND user_id <> $2`, []any{companyID, userID}},
			{`UPDATE invitations SET status = 'revoked', decided_at = $1 WHERE company_id = $2 AND status = 'pending'`, []any{t, companyID}},
			{`UPDATE join_requests SET status = 'revoked', decided_at = $1 WHERE company_id = $2 AND status = 'pending'`, []any{t, companyID}},
			{`INSERT INTO memberships (company_id, user_id, role, anaf_consent, anaf_ok_at) VALUES ($1, $2, 'owner', $3, $4)
			  ON CONFLICT (company_id, user_id) DO UPDATE SET role = 'owner', anaf_consent = excluded.anaf_consent,
			  anaf_ok_at = excluded.anaf_ok_at, anaf_denied_until = NULL`, []any{companyID, userID, true, t}},
			{`UPDATE companies SET status = 'verified', verified_at = $1, verified_by = $2 WHERE id = $3`, []any{t, userID, companyID}},
		}
		for _, st := range stmts {
			if _, err := tx.q.ExecContext(ctx, st.sql, st.args...); err != nil {
				return tx.wrap("take over", err)
			}
		}
		return nil
	})
	return removed, err
}

// ---- invitations

const invitationColumns = `i.id, i.company_id, i.email, i.role, i.invited_by, i.status, i.created_at, i.expires_at,
	c.cif, c.name, COALESCE(u.email, '')`

const invitationFrom = ` FROM invitations i JOIN companies c ON c.id = i.company_id LEFT JOIN users u ON u.id = i.invited_by `

func scanInvitation(row interface{ Scan(...any) error }) (*Invitation, error) {
	var inv Invitation
	var by *int64
	if err := row.Scan(&inv.ID, &inv.CompanyID, &inv.Email, &inv.Role, &by, &inv.Status,
		timeCol{&inv.CreatedAt}, timeCol{&inv.ExpiresAt}, &inv.CompanyCIF, &inv.CompanyName, &inv.InviterMail); err != nil {
		return nil, err
	}
	if by != nil {
		inv.InvitedBy = *by
	}
	return &inv, nil
}

// CreateInvitation stores a pending invitation (ID, Status, CreatedAt set).
// ErrAlreadyExists when the address has a pending invitation to the company.
func (s *Store) CreateInvitation(ctx context.Context, inv *Invitation) error {
	inv.Email = normEmail(inv.Email)
	inv.Status = InvitePending
	inv.CreatedAt = now()
	// An expired invitation no longer blocks a new one.
	if _, err := s.q.ExecContext(ctx, `
		UPDATE invitations SET status = $4 WHERE company_id = $1 AND email = $2 AND status = 'pending' AND expires_at <= $3`,
		inv.CompanyID, inv.Email, s.tv(inv.CreatedAt), InviteExpired); err != nil {
		return s.wrap("create invitation", err)
	}
	err := s.q.QueryRowContext(ctx, `
		INSERT INTO invitations (company_id, email, role, invited_by, status, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		inv.CompanyID, inv.Email, inv.Role, nullInt64(inv.InvitedBy), inv.Status, s.tv(inv.CreatedAt), s.tv(inv.ExpiresAt)).Scan(&inv.ID)
	return s.wrap("create invitation", err)
}

// InvitationByID finds an invitation. ErrNotFound.
func (s *Store) InvitationByID(ctx context.Context, id int64) (*Invitation, error) {
	inv, err := scanInvitation(s.q.QueryRowContext(ctx, `SELECT `+invitationColumns+invitationFrom+`WHERE i.id = $1`, id))
	if err != nil {
		return nil, s.wrap("invitation", err)
	}
	return inv, nil
}

// PendingInvitationsForEmail lists the unexpired pending invitations of an address, newest first.
func (s *Store) PendingInvitationsForEmail(ctx context.Context, email string, at time.Time) ([]Invitation, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+invitationColumns+invitationFrom+`
		WHERE i.email = $1 AND i.status = 'pending' AND i.expires_at > $2 ORDER BY i.created_at DESC, i.id DESC`,
		normEmail(email), s.tv(at))
	if err != nil {
		return nil, s.wrap("invitations for email", err)
	}
	return collect(rows, "invitations for email", s, scanInvitation)
}

// PendingInvitationsForCompany lists a company's unexpired pending invitations, newest first.
func (s *Store) PendingInvitationsForCompany(ctx context.Context, companyID int64, at time.Time) ([]Invitation, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+invitationColumns+invitationFrom+`
		WHERE i.company_id = $1 AND i.status = 'pending' AND i.expires_at > $2 ORDER BY i.created_at DESC, i.id DESC`,
		companyID, s.tv(at))
	if err != nil {
		return nil, s.wrap("invitations for company", err)
	}
	return collect(rows, "invitations for company", s, scanInvitation)
}

// DecideInvitation moves a pending invitation to status. ErrNotFound when
// it is not pending (already decided, revoked, or expired).
func (s *Store) DecideInvitation(ctx context.Context, id int64, status string) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE invitations SET status = $1, decided_at = $2 WHERE id = $3 AND status = 'pending' AND expires_at > $2`,
		status, s.tv(now()), id)
	return s.mustAffect("decide invitation", res, err)
}

// ---- join requests

const joinColumns = `j.id, j.company_id, j.user_id, j.status, j.created_at, u.email, c.cif, c.name`

const joinFrom = ` FROM join_requests j JOIN users u ON u.id = j.user_id JOIN companies c ON c.id = j.company_id `

func scanJoin(row interface{ Scan(...any) error }) (*JoinRequest, error) {
	var j JoinRequest
	if err := row.Scan(&j.ID, &j.CompanyID, &j.UserID, &j.Status, timeCol{&j.CreatedAt}, &j.Email, &j.CompanyCIF, &j.CompanyName); err != nil {
		return nil, err
	}
	return &j, nil
}

// CreateJoinRequest stores a pending request. ErrAlreadyExists when one is pending.
func (s *Store) CreateJoinRequest(ctx context.Context, companyID, userID int64) (*JoinRequest, error) {
	j := &JoinRequest{CompanyID: companyID, UserID: userID, Status: InvitePending, CreatedAt: now()}
	err := s.q.QueryRowContext(ctx, `
		INSERT INTO join_requests (company_id, user_id, status, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		companyID, userID, j.Status, s.tv(j.CreatedAt)).Scan(&j.ID)
	if err != nil {
		return nil, s.wrap("create join request", err)
	}
	return j, nil
}

// JoinRequestByID finds a join request. ErrNotFound.
func (s *Store) JoinRequestByID(ctx context.Context, id int64) (*JoinRequest, error) {
	j, err := scanJoin(s.q.QueryRowContext(ctx, `SELECT `+joinColumns+joinFrom+`WHERE j.id = $1`, id))
	if err != nil {
		return nil, s.wrap("join request", err)
	}
	return j, nil
}

// PendingJoinRequestsForCompany lists a company's pending join requests, oldest first.
func (s *Store) PendingJoinRequestsForCompany(ctx context.Context, companyID int64) ([]JoinRequest, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+joinColumns+joinFrom+`
		WHERE j.company_id = $1 AND j.status = 'pending' ORDER BY j.created_at, j.id`, companyID)
	if err != nil {
		return nil, s.wrap("join requests for company", err)
	}
	return collect(rows, "join requests for company", s, scanJoin)
}

// PendingJoinRequestsForUser lists a user's own pending join requests.
func (s *Store) PendingJoinRequestsForUser(ctx context.Context, userID int64) ([]JoinRequest, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+joinColumns+joinFrom+`
		WHERE j.user_id = $1 AND j.status = 'pending' ORDER BY j.created_at, j.id`, userID)
	if err != nil {
		return nil, s.wrap("join requests for user", err)
	}
	return collect(rows, "join requests for user", s, scanJoin)
}

// PendingJoinRequestsToDecide lists the pending join requests of the
// companies userID owns (theirs to accept or decline), oldest first.
func (s *Store) PendingJoinRequestsToDecide(ctx context.Context, userID int64) ([]JoinRequest, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+joinColumns+joinFrom+`
		WHERE j.status = 'pending' AND j.company_id IN (SELECT m.company_id FROM memberships m WHERE m.user_id = $1 AND m.role = 'owner')
		ORDER BY j.created_at, j.id`, userID)
	if err != nil {
		return nil, s.wrap("join requests to decide", err)
	}
	return collect(rows, "join requests to decide", s, scanJoin)
}

// DecideJoinRequest moves a pending request to status (accepted, declined,
// revoked). ErrNotFound when it is not pending.
func (s *Store) DecideJoinRequest(ctx context.Context, id int64, status string, byUserID int64) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE join_requests SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4 AND status = 'pending'`,
		status, s.tv(now()), nullInt64(byUserID), id)
	return s.mustAffect("decide join request", res, err)
}

// ---- notices

// TakeNotice returns and clears the user's one-time notice ("" when none).
func (s *Store) TakeNotice(ctx context.Context, userID int64) (string, error) {
	var n string
	if err := s.q.QueryRowContext(ctx, `SELECT notice FROM users WHERE id = $1`, userID).Scan(&n); err != nil {
		return "", s.wrap("notice", err)
	}
	if n == "" {
		return "", nil
	}
	_, err := s.q.ExecContext(ctx, `UPDATE users SET notice = '' WHERE id = $1`, userID)
	return n, s.wrap("notice", err)
}

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
