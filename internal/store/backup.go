package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Backup file signatures: SQLite's header, pg_dump's custom format.
var (
	sqliteMagic = []byte("SQLite format 3\x00")
	pgDumpMagic = []byte("PGDMP")
)

// Backup writes one consistent backup of the database st (opened from
// dbURL) to out, which must not exist:
//   - SQLite: VACUUM INTO, an online copy (the gateway keeps running);
//   - PostgreSQL: `pg_dump --format=custom --no-owner` from PATH (its major
//     version must be at least the server's), one snapshot of every table,
//     the archived ZIPs included.
//
// Errors name the step that failed; a partial file is removed.
func Backup(ctx context.Context, st *Store, dbURL, out string) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("store: backup: %s already exists (choose a new file name)", out)
	}
	if st.Dialect() == SQLite {
		return st.BackupSQLite(ctx, out)
	}
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		return errors.New("store: backup: pg_dump is not on PATH (install the PostgreSQL client tools of the server's major version, or run the backup from a container that has them)")
	}
	cmd := exec.CommandContext(ctx, pgDump, "--format=custom", "--no-owner", "--no-privileges", "--file="+out, "--dbname="+libpqURL(dbURL))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		_ = os.Remove(out)
		return fmt.Errorf("store: pg_dump: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return os.Chmod(out, 0o600)
}

// Restore puts the backup file in into the database at dbURL, which must
// hold no users, companies or invoices (a fresh database, migrated or not,
// or for SQLite no file at all, even in a directory that does not exist
// yet: a new machine): a SQLite backup is copied into a temporary file
// beside the target, checked, and renamed into place (restoreSQLite); a
// pg_dump file is loaded with `pg_restore --clean --if-exists --no-owner
// --exit-on-error --single-transaction` from PATH, so a failure rolls
// everything back and leaves the database as it was. The backup's kind
// must match the database's. Either way a failed restore can be retried.
func Restore(ctx context.Context, dbURL, in string) error {
	head := make([]byte, 16)
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	_, err = io.ReadFull(f, head)
	_ = f.Close()
	if err != nil {
		return fmt.Errorf("store: restore: %s is not a backup (too short)", in)
	}
	isPG := strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://")
	switch {
	case isPG && !bytes.HasPrefix(head, pgDumpMagic):
		return fmt.Errorf("store: restore: %s is not a PostgreSQL backup (pg_dump custom format) and DATABASE_URL is PostgreSQL", in)
	case !isPG && !bytes.Equal(head, sqliteMagic):
		return fmt.Errorf("store: restore: %s is not a SQLite backup and DATABASE_URL is SQLite", in)
	}
	if err := checkEmpty(ctx, dbURL); err != nil {
		return err
	}
	if isPG {
		pgRestore, err := exec.LookPath("pg_restore")
		if err != nil {
			return errors.New("store: restore: pg_restore is not on PATH (install the PostgreSQL client tools)")
		}
		cmd := exec.CommandContext(ctx, pgRestore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
			"--exit-on-error", "--single-transaction", "--dbname="+libpqURL(dbURL), in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("store: pg_restore: %w: %s", err, strings.TrimSpace(stderr.String()))
		}
		return nil
	}
	return restoreSQLite(ctx, dbURL, in)
}

// restoreSQLite copies the backup to a temporary file in the target's
// directory (created, mode 0700, when missing: a new machine), checks that
// copy's integrity, and only then renames it over the database file (its
// -wal and -shm removed first). A failure at any step removes the
// temporary file and leaves the target as it was, so the restore can
// simply be run again.
func restoreSQLite(ctx context.Context, dbURL, in string) (err error) {
	path := sqlitePath(dbURL)
	if path == "" || path == ":memory:" {
		return errors.New("store: restore: DATABASE_URL must name a SQLite file")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: restore: creating the database directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".restore-*")
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	tmpPath := tmp.Name()
	_ = tmp.Close()
	defer func() {
		if err != nil {
			removeSQLiteFiles(tmpPath)
		}
	}()
	if err := copyInto(in, tmpPath); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	if err := checkSQLiteFile(ctx, "sqlite:"+tmpPath); err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: restore: %w", err)
		}
	}
	if err := os.Rename(tmpPath, path); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	removeSQLiteFiles(tmpPath) // a -wal or -shm the check may have left
	return syncDir(dir)
}

// checkSQLiteFile opens a restored copy and runs PRAGMA integrity_check.
func checkSQLiteFile(ctx context.Context, url string) error {
	st, err := Open(ctx, url, PoolConfig{})
	if err != nil {
		return fmt.Errorf("store: restore: the restored file does not open: %w", err)
	}
	defer st.Close()
	var res string
	if err := st.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("store: restore: integrity check of the restored file: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("store: restore: integrity check of the restored file: %s", res)
	}
	return nil
}

// removeSQLiteFiles removes a database file and its -wal and -shm, if any.
func removeSQLiteFiles(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: restore: syncing %s: %w", dir, err)
	}
	return nil
}

// checkEmpty refuses a restore over data.
func checkEmpty(ctx context.Context, dbURL string) error {
	if !strings.HasPrefix(dbURL, "postgres") {
		if _, err := os.Stat(sqlitePath(dbURL)); errors.Is(err, os.ErrNotExist) {
			return nil
		}
	}
	st, err := Open(ctx, dbURL, PoolConfig{MaxConns: 2})
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	defer st.Close()
	empty, err := st.IsEmpty(ctx)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	if !empty {
		return errors.New("store: restore: the database already holds users, companies or invoices; restore only into an empty database")
	}
	return nil
}

// sqlitePath is the file of a sqlite:/file: URL.
func sqlitePath(u string) string {
	var rest string
	if strings.HasPrefix(u, "file:") {
		rest = strings.TrimPrefix(strings.TrimPrefix(u, "file:"), "//")
	} else {
		rest = strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
	}
	path, _, _ := strings.Cut(rest, "?")
	return path
}

// libpqURL drops pgx-only query parameters libpq tools refuse.
func libpqURL(u string) string {
	base, query, ok := strings.Cut(u, "?")
	if !ok {
		return u
	}
	var keep []string
	for _, kv := range strings.Split(query, "&") {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "pool_") || k == "default_query_exec_mode" || k == "statement_cache_capacity" {
			continue
		}
		keep = append(keep, kv)
	}
	if len(keep) == 0 {
		return base
	}
	return base + "?" + strings.Join(keep, "&")
}

// copyInto copies src into the existing file dst (truncated), synced, mode 0600.
func copyInto(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	if err := out.Chmod(0o600); err != nil {
		_ = out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// AuditBackup is the audit action `efactura backup` records after writing a
// backup; LastBackupAt reads it back (efactura_last_backup_timestamp_seconds).
const AuditBackup = "system.backup"

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
