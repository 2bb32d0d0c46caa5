package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// AuditBackup is the audit action `efactura backup` records after writing a
// backup; LastBackupAt reads it back (efactura_last_backup_timestamp_seconds).
const AuditBackup = "system.backup"

// NearestTokenExpiry returns the earliest access-token expiry (UTC) among
// ANAF connections whose status is "connected", or nil when there is none
// (table anaf_tokens). It feeds efactura_anaf_token_expiry_days.
func (s *Store) NearestTokenExpiry(ctx context.Context) (*time.Time, error) {
	var t *time.Time
	err := s.q.QueryRowContext(ctx,
		`SELECT MIN(expires_at) FROM anaf_tokens WHERE status = 'connected'`).Scan(nullTimeCol{&t})
	if err != nil {
		return nil, s.wrap("nearest token expiry", err)
	}
	return t, nil
}

// ReconnectNeeded counts ANAF connections whose refresh was refused
// (status "reconnect_needed"): their owners must connect again.
func (s *Store) ReconnectNeeded(ctx context.Context) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM anaf_tokens WHERE status = 'reconnect_needed'`).Scan(&n)
	if err != nil {
		return 0, s.wrap("reconnect needed", err)
	}
	return n, nil
}

// LastBackupAt returns when the last `efactura backup` finished (the newest
// audit event AuditBackup), or nil when none was recorded.
func (s *Store) LastBackupAt(ctx context.Context) (*time.Time, error) {
	var t *time.Time
	err := s.q.QueryRowContext(ctx,
		`SELECT MAX(at) FROM audit_events WHERE action = $1`, AuditBackup).Scan(nullTimeCol{&t})
	if err != nil {
		return nil, s.wrap("last backup", err)
	}
	return t, nil
}

// QuotaMaxUsed returns the largest count among the ANAF quota counters
// whose key starts with prefix (e.g. "listaMesajeFactura|") in windows
// starting at or after since: the busiest CIF's use of a daily quota.
func (s *Store) QuotaMaxUsed(ctx context.Context, prefix string, since time.Time) (int, error) {
	var n sql.NullInt64
	err := s.q.QueryRowContext(ctx,
		`SELECT MAX(used) FROM anaf_quota WHERE quota_key LIKE $1 ESCAPE '\' AND window_start >= $2`,
		escapeLike(prefix)+"%", s.tv(since)).Scan(&n)
	if err != nil {
		return 0, s.wrap("quota max used", err)
	}
	return int(n.Int64), nil
}

// ArchiveMismatch is one stored ZIP whose SHA-256 differs from the hash
// recorded when it was archived.
type ArchiveMismatch struct {
	InvoiceID int64
	CompanyID int64
	ANAFID    string
	Stored    []byte // zip_sha256 as recorded
	Actual    []byte // SHA-256 of the zip column now
}

// VerifyArchive recomputes the SHA-256 of every stored ZIP (one row at a
// time, in id order) and returns how many were checked and the mismatches.
func (s *Store) VerifyArchive(ctx context.Context) (checked int, bad []ArchiveMismatch, err error) {
	var last int64
	for {
		// Pages of ids first, then each ZIP alone: memory stays at one ZIP.
		ids, err := s.invoiceIDsAfter(ctx, last, 500)
		if err != nil {
			return checked, bad, s.wrap("verify archive", err)
		}
		if len(ids) == 0 {
			return checked, bad, nil
		}
		for _, id := range ids {
			var m ArchiveMismatch
			var zip []byte
			if err := s.q.QueryRowContext(ctx, `SELECT company_id, anaf_id, zip, zip_sha256 FROM invoices WHERE id = $1`, id).
				Scan(&m.CompanyID, &m.ANAFID, &zip, &m.Stored); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					continue // deleted meanwhile
				}
				return checked, bad, s.wrap("verify archive", err)
			}
			checked++
			sum := sha256.Sum256(zip)
			if string(sum[:]) != string(m.Stored) {
				m.InvoiceID, m.Actual = id, sum[:]
				bad = append(bad, m)
			}
		}
		last = ids[len(ids)-1]
	}
}

// BackupSQLite writes a consistent copy of a SQLite database to path with
// VACUUM INTO (online: readers and the writer go on meanwhile). path must
// not exist. PostgreSQL databases are backed up with pg_dump instead.
func (s *Store) BackupSQLite(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return errors.New("store: BackupSQLite needs a SQLite database (use pg_dump for PostgreSQL)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("store: backup: %s already exists", path)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("store: backup into %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}

// IsEmpty reports whether the database holds no users, companies or
// invoices (a restore refuses anything else).
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	for _, table := range []string{"users", "companies", "invoices"} {
		var n int
		err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
		if err != nil {
			if s.dialect == Postgres && isUndefinedTable(err) || s.dialect == SQLite && isNoSuchTable(err) {
				continue // not migrated yet: empty
			}
			return false, s.wrap("is empty", err)
		}
		if n > 0 {
			return false, nil
		}
	}
	return true, nil
}

func isUndefinedTable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P01"
}

func isNoSuchTable(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such table")
}

// invoiceIDsAfter returns up to n invoice ids above last, in order.
func (s *Store) invoiceIDsAfter(ctx context.Context, last int64, n int) ([]int64, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT id FROM invoices WHERE id > $1 ORDER BY id LIMIT $2`, last, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
