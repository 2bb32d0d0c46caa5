package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/store"
)

// AddOutcome is what adding a company did.
type AddOutcome string

// Outcomes of AddCompany.
const (
	// Created: a new company with the actor as owner (Company.Status tells
	// whether ANAF verified it at once).
	Created AddOutcome = "created"
	// TookOver: the CIF existed unverified; the actor's own ANAF grant
	// verified it, so the actor owns it now and its earlier members lost access.
	TookOver AddOutcome = "took_over"
	// JoinRequested: the CIF exists; its owners were asked to let the actor in.
	JoinRequested AddOutcome = "join_requested"
	// AlreadyMember: the actor already belongs to the company.
	AlreadyMember AddOutcome = "already_member"
)

// AddResult is AddCompany's answer.
type AddResult struct {
	Outcome AddOutcome
	Company *store.Company
	// VerifyErr says why a new company stays unverified (no connection,
	// ANAF's rights refusal, ANAF unreachable); nil when verified.
	VerifyErr error
}

// AddCompany adds the company of CIF digits (already checked) with the
// actor (ownerID for the CLI) as its creator: owner, consent on. When the
// actor has an ANAF connection it is asked at once whether it covers the
// CIF; the company is verified when it does. When the CIF exists: a
// member is told so; an unverified company whose CIF the actor's own
// grant covers is taken over (audited); otherwise a join request goes to
// its owners.
func (s *Service) AddCompany(ctx context.Context, a Actor, ownerID int64, digits, name string) (*AddResult, error) {
	if a.Impersonated() {
		// Adding lends the user's ANAF connection (consent) and sends their
		// token to ANAF for a CIF: the user does that themself.
		return nil, ErrImpersonating
	}
	if ownerID == 0 {
		ownerID = a.UserID
	}
	existing, err := s.Store.CompanyByCIF(ctx, digits)
	if err == nil && ownerID == 0 {
		return &AddResult{Outcome: AlreadyMember, Company: existing}, nil
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return s.createCompany(ctx, a, ownerID, digits, name, func() error { return s.verify(ctx, ownerID, digits) })
	case err != nil:
		return nil, err
	}
	if _, err := s.Store.MembershipOf(ctx, existing.ID, ownerID); err == nil {
		return &AddResult{Outcome: AlreadyMember, Company: existing}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if !existing.Verified() && s.verify(ctx, ownerID, digits) == nil {
		removed, err := s.Store.TakeOverCompany(ctx, existing.ID, ownerID)
		if errors.Is(err, store.ErrAlreadyExists) { // verified meanwhile by its members
			return s.requestJoin(ctx, a, ownerID, existing)
		}
		if err != nil {
			return nil, err
		}
		c, err := s.Store.CompanyByID(ctx, existing.ID)
		if err != nil {
			return nil, err
		}
		c.Role, c.Consent = store.RoleOwner, true
		if name != "" && name != c.Name { // the squatter's name goes with them
			c.Name = name
			if err := s.Store.UpdateCompany(ctx, c); err != nil {
				return nil, err
			}
		}
		s.audit(ctx, a, store.ActionCompanyTakeover, c, fmt.Sprintf("owner=%s; ANAF verified the CIF with their connection; removed: %s",
			s.userName(ctx, ownerID), strings.Join(removed, ", ")))
		return &AddResult{Outcome: TookOver, Company: c}, nil
	}
	return s.requestJoin(ctx, a, ownerID, existing)
}

// createCompany creates the company and then asks verified (ANAF, with
// the owner's token, or an answer AddCompanyChecked already has) whether
// the owner's grant covers the CIF.
func (s *Service) createCompany(ctx context.Context, a Actor, ownerID int64, digits, name string, verified func() error) (*AddResult, error) {
	var c *store.Company
	var err error
	if ownerID == 0 { // the operator at the CLI, without --owner: no members yet
		c, err = s.Store.CreateCompany(ctx, digits, name)
	} else {
		c, err = s.Store.CreateCompanyWithOwner(ctx, digits, name, ownerID)
	}
	if errors.Is(err, store.ErrAlreadyExists) { // lost a race: try again as an existing CIF
		return s.AddCompany(ctx, a, ownerID, digits, name)
	}
	if err != nil {
		return nil, err
	}
	s.audit(ctx, a, store.ActionCompanyCreate, c, fmt.Sprintf("%s; owner=%s", c.Name, s.userName(ctx, ownerID)))
	res := &AddResult{Outcome: Created, Company: c}
	res.VerifyErr = verified()
	if errors.Is(res.VerifyErr, anafsync.ErrNotCovered) {
		// Remembered as a sync's refusal is: not tried again for a day.
		if err := s.Store.MarkANAFDenied(ctx, c.ID, ownerID, s.now().Add(anafsync.NotCoveredFor)); err != nil {
			return nil, err
		}
	}
	if res.VerifyErr == nil {
		if _, err := s.Store.SetCompanyVerified(ctx, c.ID, ownerID); err != nil {
			return nil, err
		}
		if err := s.Store.MarkANAFOK(ctx, c.ID, ownerID); err != nil {
			return nil, err
		}
		c.Status = store.CompanyVerified
		s.audit(ctx, a, store.ActionCompanyVerified, c, "ANAF answered for the CIF with the connection of "+s.userName(ctx, ownerID))
	}
	return res, nil
}

// errNoVerifier: no ANAF client (no Verifier) to ask.
var errNoVerifier = errors.New("no ANAF connection to verify with")

// verify asks ANAF with the user's own token whether it covers the CIF.
func (s *Service) verify(ctx context.Context, userID int64, digits string) error {
	if s.Verifier == nil || userID == 0 {
		return errNoVerifier
	}
	err := s.Verifier.VerifyCIF(ctx, userID, digits)
	if err != nil && !errors.Is(err, anafsync.ErrNoConnection) && !errors.Is(err, anafsync.ErrNotCovered) {
		s.logger().WarnContext(ctx, "verifying a CIF with ANAF failed", "cif", digits, "user_id", userID, "error", err.Error())
	}
	return err
}

func (s *Service) requestJoin(ctx context.Context, a Actor, userID int64, c *store.Company) (*AddResult, error) {
	_, err := s.Store.CreateJoinRequest(ctx, c.ID, userID)
	if errors.Is(err, store.ErrAlreadyExists) {
		return &AddResult{Outcome: JoinRequested, Company: c}, nil
	}
	if err != nil {
		return nil, err
	}
	s.audit(ctx, a, store.ActionCompanyJoinRequest, c, "requester="+s.userName(ctx, userID))
	return &AddResult{Outcome: JoinRequested, Company: c}, nil
}

// Invite creates a pending invitation of email to the company (owners
// only; not while impersonating). The invitee's account need not exist
// yet; nothing changes for them until they accept.
func (s *Service) Invite(ctx context.Context, a Actor, companyID int64, email, role string) (*store.Invitation, error) {
	var c *store.Company
	var err error
	if a.CLI {
		c, err = s.Store.CompanyByID(ctx, companyID)
		if errors.Is(err, store.ErrNotFound) {
			err = ErrNotFound
		}
	} else {
		c, err = s.owned(ctx, a, companyID)
	}
	if err != nil {
		return nil, err
	}
	if a.Impersonated() {
		return nil, ErrImpersonating
	}
	if email, err = inviteeEmail(email); err != nil {
		return nil, err
	}
	if role, err = normRole(role); err != nil {
		return nil, err
	}
	if u, err := s.Store.UserByEmail(ctx, email); err == nil {
		if _, err := s.Store.MembershipOf(ctx, c.ID, u.ID); err == nil {
			return nil, ErrAlreadyMember
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	inv := &store.Invitation{CompanyID: c.ID, Email: email, Role: role, InvitedBy: a.UserID, ExpiresAt: s.now().Add(InvitationTTL).UTC()}
	if err := s.Store.CreateInvitation(ctx, inv); errors.Is(err, store.ErrAlreadyExists) {
		return nil, ErrInvitePending
	} else if err != nil {
		return nil, err
	}
	inv.CompanyCIF, inv.CompanyName = c.CIF, c.Name
	s.audit(ctx, a, store.ActionCompanyInvite, c, fmt.Sprintf("invitee=%s role=%s until=%s", email, role, inv.ExpiresAt.Format("2006-01-02")))
	return inv, nil
}

// RevokeInvitation withdraws a pending invitation of an owned company.
func (s *Service) RevokeInvitation(ctx context.Context, a Actor, companyID, invitationID int64) error {
	c, err := s.owned(ctx, a, companyID)
	if err != nil {
		return err
	}
	inv, err := s.Store.InvitationByID(ctx, invitationID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && inv.CompanyID != c.ID) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if err := s.Store.DecideInvitation(ctx, inv.ID, store.InviteRevoked); errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	s.audit(ctx, a, store.ActionCompanyInviteRevoke, c, "invitee="+inv.Email)
	return nil
}

// MyInvitations lists the actor's pending invitations and their own pending join requests.
func (s *Service) MyInvitations(ctx context.Context, a Actor) ([]store.Invitation, []store.JoinRequest, error) {
	invs, err := s.Store.PendingInvitationsForEmail(ctx, a.Email, s.now())
	if err != nil {
		return nil, nil, err
	}
	joins, err := s.Store.PendingJoinRequestsForUser(ctx, a.UserID)
	return invs, joins, err
}

// AnswerInvitation accepts or declines an invitation addressed to the
// actor's e-mail. Accepting makes them a member with the invited role and
// consent off (they may lend their ANAF connection later). Not while
// impersonating: accepting creates access.
func (s *Service) AnswerInvitation(ctx context.Context, a Actor, invitationID int64, accept bool) (*store.Invitation, error) {
	inv, err := s.Store.InvitationByID(ctx, invitationID)
	// The address must be the invitee's exactly (both are stored lower-cased
	// and trimmed): no Unicode case folding, which would let "ſam@…" take
	// the invitation of "sam@…".
	if errors.Is(err, store.ErrNotFound) || (err == nil && inv.Email != normEmail(a.Email)) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if a.Impersonated() {
		return nil, ErrImpersonating
	}
	if inv.InvitedBy != 0 {
		// An invitation stands only while its sender is still an owner.
		m, err := s.Store.MembershipOf(ctx, inv.CompanyID, inv.InvitedBy)
		if errors.Is(err, store.ErrNotFound) || (err == nil && m.Role != store.RoleOwner) {
			return nil, ErrNotFound
		}
		if err != nil {
			return nil, err
		}
	}
	c, err := s.Store.CompanyByID(ctx, inv.CompanyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	status := store.InviteDeclined
	if accept {
		status = store.InviteAccepted
	}
	err = s.Store.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.DecideInvitation(ctx, inv.ID, status); err != nil {
			return err
		}
		if !accept {
			return nil
		}
		inserted, err := tx.AddMemberIfAbsent(ctx, c.ID, a.UserID, inv.Role, false)
		if err == nil && !inserted && inv.Role == store.RoleOwner {
			// Already a member (a join request was accepted meanwhile): an
			// owner invitation still makes them owner.
			return tx.SetRole(ctx, c.ID, a.UserID, store.RoleOwner)
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound // expired, revoked or answered already
	}
	if err != nil {
		return nil, err
	}
	action := store.ActionCompanyInviteDecline
	if accept {
		action = store.ActionCompanyInviteAccept
	}
	s.audit(ctx, a, action, c, fmt.Sprintf("invitee=%s role=%s", inv.Email, inv.Role))
	return inv, nil
}

// DecideJoinRequest lets an owner accept (as member, consent off) or
// decline a join request of their company.
func (s *Service) DecideJoinRequest(ctx context.Context, a Actor, companyID, requestID int64, accept bool) (*store.JoinRequest, error) {
	c, err := s.owned(ctx, a, companyID)
	if err != nil {
		return nil, err
	}
	j, err := s.Store.JoinRequestByID(ctx, requestID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && j.CompanyID != c.ID) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if accept && a.Impersonated() {
		return nil, ErrImpersonating
	}
	status := store.InviteDeclined
	if accept {
		status = store.InviteAccepted
	}
	err = s.Store.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.DecideJoinRequest(ctx, j.ID, status, a.UserID); err != nil {
			return err
		}
		if !accept {
			return nil
		}
		_, err := tx.AddMemberIfAbsent(ctx, c.ID, j.UserID, store.RoleMember, false) // a member already: nothing to add
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	action := store.ActionCompanyJoinDecline
	if accept {
		action = store.ActionCompanyJoinAccept
	}
	s.audit(ctx, a, action, c, "requester="+j.Email)
	return j, nil
}

// Leave ends the actor's membership (their API keys of the company are
// revoked). The last owner cannot leave.
func (s *Service) Leave(ctx context.Context, a Actor, companyID int64) (*store.Company, error) {
	c, m, err := s.membership(ctx, a, companyID)
	if err != nil {
		return nil, err
	}
	if err := s.removeMember(ctx, c, m); err != nil {
		return nil, err
	}
	s.audit(ctx, a, store.ActionCompanyLeave, c, "member="+a.Email+" (their API keys revoked)")
	return c, nil
}

// removeMember removes m, refusing to remove the last owner, in one transaction.
func (s *Service) removeMember(ctx context.Context, c *store.Company, m *store.Membership) error {
	return s.Store.WithTx(ctx, func(tx *store.Store) error {
		if m.Role == store.RoleOwner {
			// Two owners leaving at once must not both see the other.
			if err := tx.LockCompany(ctx, c.ID); err != nil {
				return err
			}
			n, err := tx.CountOwners(ctx, c.ID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return ErrLastOwner
			}
		}
		return tx.RemoveMembership(ctx, c.ID, m.UserID)
	})
}

// RemoveMember lets an owner remove another member (their API keys are revoked).
func (s *Service) RemoveMember(ctx context.Context, a Actor, companyID, userID int64) (string, error) {
	c, err := s.owned(ctx, a, companyID)
	if err != nil {
		return "", err
	}
	if userID == a.UserID {
		return "", ErrSelf
	}
	m, err := s.Store.MembershipOf(ctx, c.ID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if err := s.removeMember(ctx, c, m); err != nil {
		return "", err
	}
	who := s.userName(ctx, userID)
	s.audit(ctx, a, store.ActionCompanyMemberRemove, c, "member="+who+" (their API keys revoked)")
	return who, nil
}

// SetConsent turns on or off the actor's consent to lend their ANAF
// connection to the company. Not while impersonating.
func (s *Service) SetConsent(ctx context.Context, a Actor, companyID int64, on bool) (*store.Company, error) {
	c, _, err := s.membership(ctx, a, companyID)
	if err != nil {
		return nil, err
	}
	if a.Impersonated() {
		return nil, ErrImpersonating
	}
	if err := s.Store.SetConsent(ctx, c.ID, a.UserID, on); err != nil {
		return nil, err
	}
	c.Consent = on
	state := "off"
	if on {
		state = "on"
	}
	s.audit(ctx, a, store.ActionCompanyConsent, c, "member="+a.Email+" consent="+state)
	return c, nil
}

// SetRole lets an owner change a member's role: make another member owner
// (hand over ownership) or step an owner down to member; the last owner
// cannot step down.
func (s *Service) SetRole(ctx context.Context, a Actor, companyID, userID int64, role string) (string, error) {
	c, err := s.owned(ctx, a, companyID)
	if err != nil {
		return "", err
	}
	if role, err = normRole(role); err != nil {
		return "", err
	}
	m, err := s.Store.MembershipOf(ctx, c.ID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if m.Role == role {
		return s.userName(ctx, userID), nil
	}
	err = s.Store.WithTx(ctx, func(tx *store.Store) error {
		if role == store.RoleMember {
			if err := tx.LockCompany(ctx, c.ID); err != nil {
				return err
			}
			n, err := tx.CountOwners(ctx, c.ID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return ErrLastOwner
			}
		}
		return tx.SetRole(ctx, c.ID, userID, role)
	})
	if err != nil {
		return "", err
	}
	who := s.userName(ctx, userID)
	s.audit(ctx, a, store.ActionCompanyRole, c, fmt.Sprintf("member=%s role=%s (was %s)", who, role, m.Role))
	return who, nil
}

// HandOver makes userID an owner and the actor a member, in one transaction.
func (s *Service) HandOver(ctx context.Context, a Actor, companyID, userID int64) (string, error) {
	c, err := s.owned(ctx, a, companyID)
	if err != nil {
		return "", err
	}
	if userID == a.UserID {
		return "", ErrSelf
	}
	if _, err := s.Store.MembershipOf(ctx, c.ID, userID); errors.Is(err, store.ErrNotFound) {
		return "", ErrNotFound
	} else if err != nil {
		return "", err
	}
	err = s.Store.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.SetRole(ctx, c.ID, userID, store.RoleOwner); err != nil {
			return err
		}
		return tx.SetRole(ctx, c.ID, a.UserID, store.RoleMember)
	})
	if err != nil {
		return "", err
	}
	who := s.userName(ctx, userID)
	s.audit(ctx, a, store.ActionCompanyHandover, c, "new owner="+who+"; previous owner="+a.Email+" is now a member")
	return who, nil
}

// CompanyAdmin is what an owner's company page shows.
type CompanyAdmin struct {
	Members      []store.Member
	Invitations  []store.Invitation
	JoinRequests []store.JoinRequest
}

// Administration lists an owned company's members, pending invitations and join requests.
func (s *Service) Administration(ctx context.Context, a Actor, companyID int64) (*CompanyAdmin, error) {
	c, err := s.owned(ctx, a, companyID)
	if err != nil {
		return nil, err
	}
	var out CompanyAdmin
	if out.Members, err = s.Store.CompanyMembers(ctx, c.ID); err != nil {
		return nil, err
	}
	if out.Invitations, err = s.Store.PendingInvitationsForCompany(ctx, c.ID, s.now()); err != nil {
		return nil, err
	}
	if out.JoinRequests, err = s.Store.PendingJoinRequestsForCompany(ctx, c.ID); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateCredentialAllowed refuses credential creation (API keys, ANAF
// connections) while an admin impersonates the user.
func CreateCredentialAllowed(a Actor) error {
	if a.Impersonated() {
		return ErrImpersonating
	}
	return nil
}

// inviteeEmail is the address an invitation is for: trimmed, lower-cased,
// and a bare address (no display name, no comments). ErrBadEmail otherwise.
func inviteeEmail(email string) (string, error) {
	email = normEmail(email)
	if addr, err := mail.ParseAddress(email); email == "" || err != nil || addr.Address != email {
		return "", ErrBadEmail
	}
	return email, nil
}
