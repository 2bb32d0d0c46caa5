// Package store is the gateway's persistence: one Store over database/sql,
// on SQLite (modernc.org/sqlite) or PostgreSQL (pgx), with embedded goose
// migrations per dialect.
package store

import (
	"context"
	"database/sql"
	"time"
)

// Dialect names the SQL backend.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// PoolConfig sizes the PostgreSQL pool (ignored by SQLite, which uses one
// writer connection plus readers in WAL mode).
type PoolConfig struct {
	MaxConns        int           // default 10
	MinConns        int           // default 1 (kept idle)
	MaxConnLifetime time.Duration // default 30m
}

// Store is the gateway's database.
type Store struct {
	db      *sql.DB
	dialect Dialect
}

// Open connects to url: "sqlite:PATH" (file created with its directory,
// WAL mode, foreign keys on, busy timeout) or "postgres://..." (pgx stdlib
// pool sized by pc). It pings the database before returning.
func Open(ctx context.Context, url string, pc PoolConfig) (*Store, error) { panic("TODO") }

// Close closes the pool.
func (s *Store) Close() error { panic("TODO") }

// Dialect reports the backend.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB exposes the pool (health checks, backups).
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { panic("TODO") }

// Migrate applies every pending migration. On PostgreSQL it holds an
// advisory lock for the duration so concurrent replicas migrate once.
func (s *Store) Migrate(ctx context.Context) error { panic("TODO") }

// MigrationStatus returns the current and latest schema versions.
func (s *Store) MigrationStatus(ctx context.Context) (current, latest int64, err error) { panic("TODO") }

// ---- users

// CreateUser inserts a user. Email is lower-cased. ErrAlreadyExists when the e-mail is taken.
func (s *Store) CreateUser(ctx context.Context, email, passwordHash string, isAdmin bool, status string) (*User, error) {
	panic("TODO")
}

// UserByEmail finds a user by e-mail (case-insensitive). ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) { panic("TODO") }

// UserByID finds a user. ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) { panic("TODO") }

// Users lists users, newest first; status "" lists all.
func (s *Store) Users(ctx context.Context, status string) ([]User, error) { panic("TODO") }

// SetUserStatus sets pending/approved/rejected. ErrNotFound.
func (s *Store) SetUserStatus(ctx context.Context, id int64, status string) error { panic("TODO") }

// SetUserAdmin grants or removes the admin role. ErrNotFound.
func (s *Store) SetUserAdmin(ctx context.Context, id int64, admin bool) error { panic("TODO") }

// SetUserPassword replaces the password hash. ErrNotFound.
func (s *Store) SetUserPassword(ctx context.Context, id int64, passwordHash string) error { panic("TODO") }

// ---- sessions (scs store; the key is the SHA-256 of the session token)

// SessionFind returns the data of an unexpired session. found=false when absent or expired.
func (s *Store) SessionFind(ctx context.Context, tokenHash []byte) (data []byte, found bool, err error) {
	panic("TODO")
}

// SessionCommit inserts or replaces a session.
func (s *Store) SessionCommit(ctx context.Context, tokenHash []byte, data []byte, expiry time.Time) error {
	panic("TODO")
}

// SessionDelete removes a session (no error when absent).
func (s *Store) SessionDelete(ctx context.Context, tokenHash []byte) error { panic("TODO") }

// SessionDeleteExpired removes expired sessions and returns how many.
func (s *Store) SessionDeleteExpired(ctx context.Context) (int64, error) { panic("TODO") }

// ---- companies and memberships

// CreateCompany inserts a company (cif: digits). ErrAlreadyExists when the CIF exists.
func (s *Store) CreateCompany(ctx context.Context, cif, name string) (*Company, error) { panic("TODO") }

// CompanyByCIF finds a company by its digits. ErrNotFound.
func (s *Store) CompanyByCIF(ctx context.Context, cif string) (*Company, error) { panic("TODO") }

// CompanyByID finds a company. ErrNotFound.
func (s *Store) CompanyByID(ctx context.Context, id int64) (*Company, error) { panic("TODO") }

// Companies lists every company ordered by CIF.
func (s *Store) Companies(ctx context.Context) ([]Company, error) { panic("TODO") }

// CompaniesForUser lists the companies a user is a member of, ordered by
// name, with Role set.
func (s *Store) CompaniesForUser(ctx context.Context, userID int64) ([]Company, error) { panic("TODO") }

// UpdateCompany saves name, auto-sync and interval. ErrNotFound.
func (s *Store) UpdateCompany(ctx context.Context, c *Company) error { panic("TODO") }

// SetCompanySyncedUntil records the end of the last successfully synced window.
func (s *Store) SetCompanySyncedUntil(ctx context.Context, companyID int64, until time.Time) error {
	panic("TODO")
}

// AddMembership makes a user owner or member of a company (upsert of the role).
func (s *Store) AddMembership(ctx context.Context, companyID, userID int64, role string) error {
	panic("TODO")
}

// MembershipRole returns the user's role in the company, or ErrNotFound.
func (s *Store) MembershipRole(ctx context.Context, companyID, userID int64) (string, error) {
	panic("TODO")
}

// CompanyMemberIDs lists user ids of a company's members, owners first.
func (s *Store) CompanyMemberIDs(ctx context.Context, companyID int64) ([]int64, error) { panic("TODO") }

// ---- ANAF OAuth application and tokens

// ANAFApp returns the configured OAuth application. ErrNotFound when unset.
func (s *Store) ANAFApp(ctx context.Context) (*ANAFApp, error) { panic("TODO") }

// SetANAFApp stores the OAuth application (replacing it).
func (s *Store) SetANAFApp(ctx context.Context, app *ANAFApp) error { panic("TODO") }

// SaveANAFToken inserts or replaces a user's ANAF token.
func (s *Store) SaveANAFToken(ctx context.Context, t *ANAFToken) error { panic("TODO") }

// ANAFTokenByUser returns a user's token. ErrNotFound.
func (s *Store) ANAFTokenByUser(ctx context.Context, userID int64) (*ANAFToken, error) { panic("TODO") }

// DeleteANAFToken removes a user's token (no error when absent).
func (s *Store) DeleteANAFToken(ctx context.Context, userID int64) error { panic("TODO") }

// ---- API keys

// CreateAPIKey inserts a key (ID and CreatedAt are set on k).
func (s *Store) CreateAPIKey(ctx context.Context, k *APIKey) error { panic("TODO") }

// APIKeyByHash finds an unrevoked key by its SHA-256 (indexed, O(1)). ErrNotFound.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error) { panic("TODO") }

// APIKeys lists a company's keys, revoked ones included, newest first.
func (s *Store) APIKeys(ctx context.Context, companyID int64) ([]APIKey, error) { panic("TODO") }

// TouchAPIKey sets last_used_at.
func (s *Store) TouchAPIKey(ctx context.Context, id int64, at time.Time) error { panic("TODO") }

// RevokeAPIKey revokes a key of the company. ErrNotFound when no such live key.
func (s *Store) RevokeAPIKey(ctx context.Context, companyID, id int64) error { panic("TODO") }

// ---- invoices

// InsertInvoice stores an invoice with its ZIP in one transaction.
// Idempotent on (company_id, anaf_id): inserted=false when it existed (inv.ID then set to the existing id).
func (s *Store) InsertInvoice(ctx context.Context, inv *Invoice) (inserted bool, err error) {
	panic("TODO")
}

// InvoiceIDsByANAFID returns which of anafIDs the company already has.
func (s *Store) ExistingANAFIDs(ctx context.Context, companyID int64, anafIDs []string) (map[string]bool, error) {
	panic("TODO")
}

// ArchivedZIP returns the ZIP of a message already archived for any company
// (the same ANAF message id is the same signed ZIP). ErrNotFound.
func (s *Store) ArchivedZIP(ctx context.Context, anafID string) ([]byte, error) { panic("TODO") }

// Invoices lists a company's invoices matching f (ZIP and ParsedJSON not loaded) and the total count.
// Default order: issue date desc, then id desc.
func (s *Store) Invoices(ctx context.Context, f InvoiceFilter) ([]Invoice, int, error) { panic("TODO") }

// InvoiceByID returns one invoice of the company with ParsedJSON (no ZIP). ErrNotFound (also for another company's invoice).
func (s *Store) InvoiceByID(ctx context.Context, companyID, id int64) (*Invoice, error) { panic("TODO") }

// InvoiceZIP returns the original ZIP of one invoice of the company. ErrNotFound.
func (s *Store) InvoiceZIP(ctx context.Context, companyID, id int64) ([]byte, error) { panic("TODO") }

// CountInvoices returns how many invoices the company has.
func (s *Store) CountInvoices(ctx context.Context, companyID int64) (int, error) { panic("TODO") }

// ---- sync runs

// StartSyncRun records a running sync.
func (s *Store) StartSyncRun(ctx context.Context, companyID int64) (*SyncRun, error) { panic("TODO") }

// FinishSyncRun records the outcome (Status, counters, Error, FinishedAt from r).
func (s *Store) FinishSyncRun(ctx context.Context, r *SyncRun) error { panic("TODO") }

// LastSyncRun returns the company's latest run. ErrNotFound.
func (s *Store) LastSyncRun(ctx context.Context, companyID int64) (*SyncRun, error) { panic("TODO") }

// ---- audit

// Audit appends an audit event (At set to now when zero).
func (s *Store) Audit(ctx context.Context, e *AuditEvent) error { panic("TODO") }

// AuditEvents lists the latest events, newest first.
func (s *Store) AuditEvents(ctx context.Context, limit int) ([]AuditEvent, error) { panic("TODO") }
