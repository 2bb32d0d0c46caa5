package gateway

import "github.com/efactura-gateway/efactura/internal/store"

// Types the doors show as data, named here so that internal/web and
// internal/api need not import internal/store.
type (
	// User is an account (never shown its password hash).
	User = store.User
	// Company is a company as the use cases return it.
	Company = store.Company
	// Member is one member of a company, with their role and consent.
	Member = store.Member
	// Invitation is an invitation to join a company.
	Invitation = store.Invitation
	// JoinRequest is a user's request to join a company.
	JoinRequest = store.JoinRequest
	// Invoice is one stored ANAF message with its extracted fields.
	Invoice = store.Invoice
	// InvoiceFilter selects and orders invoices (CompanyID is set by the use case).
	InvoiceFilter = store.InvoiceFilter
	// SyncRun is one synchronisation run of a company.
	SyncRun = store.SyncRun
	// APIKey is a company-scoped API key (never its secret).
	APIKey = store.APIKey
	// ANAFToken is a user's ANAF connection (the tokens stay encrypted).
	ANAFToken = store.ANAFToken
	// AuditFilter selects audit log entries.
	AuditFilter = store.AuditFilter
	// AuditEntry is one audit log entry as the admin pages show it.
	AuditEntry = store.AuditEntry
	// SystemFigures are the counts the admin system page shows.
	SystemFigures = store.SystemFigures
)

// User statuses, member roles, API key scopes and message types, as the
// store names them.
const (
	UserPending  = store.UserPending
	UserApproved = store.UserApproved
	UserRejected = store.UserRejected

	RoleOwner  = store.RoleOwner
	RoleMember = store.RoleMember

	ScopeRead  = store.ScopeRead
	ScopeWrite = store.ScopeWrite

	TypeReceived = store.TypeReceived
	TypeSent     = store.TypeSent
	TypeErrors   = store.TypeErrors
)
