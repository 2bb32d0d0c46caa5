package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// sqliteMagic is SQLite's file header; pgDumpMagic pg_dump's custom
// format (the gateway's PostgreSQL backups before issue 18).
var (
	sqliteMagic = []byte("SQLite format 3\x00")
	pgDumpMagic = []byte("PGDMP")
)

// Backup writes one consistent backup of the database st to out, which
// must not exist:
//   - SQLite: VACUUM INTO, an online copy (the gateway keeps running);
//     the manifest returned is nil;
//   - PostgreSQL: the native archive of pgbackup.go, through the
//     connection itself (no pg_dump, whatever the server's version): one
//     REPEATABLE READ snapshot of every table of the schema, the archived
//     ZIPs included, streamed to the file.
//
// Errors name the step that failed; a partial file is removed.
func Backup(ctx context.Context, st *Store, out string, opts BackupOptions) (*BackupManifest, error) {
	if _, err := os.Stat(out); err == nil {
		return nil, fmt.Errorf("store: backup: %s already exists (choose a new file name)", out)
	}
	if st.Dialect() == SQLite {
		return nil, st.BackupSQLite(ctx, out)
	}
	return backupPostgres(ctx, st, out, opts)
}

// Restore puts the backup file in into the database at dbURL, which must
// hold no users, companies or invoices unless opts.Force (a fresh
// database, migrated or not, or for SQLite no file at all, even in a
// directory that does not exist yet: a new machine). The backup's kind
// must match the database's:
//   - SQLite: copied into a temporary file beside the target, checked,
//     and renamed into place (restoreSQLite);
//   - PostgreSQL (restorePostgres): the schema is migrated to the
//     backup's versions, then in one transaction the backup's tables are
//     emptied, loaded with COPY FROM in dependency order, the sequences
//     set, and every table's row count and SHA-256 checked; a failure
//     rolls the data back (the migrated, empty schema stays).
//
// Either way a failed restore can be retried.
func Restore(ctx context.Context, dbURL, in string, opts RestoreOptions) error {
	head := make([]byte, 128)
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	n, _ := io.ReadFull(f, head)
	_ = f.Close()
	head = head[:n]
	if n < len(sqliteMagic) {
		return fmt.Errorf("store: restore: %s is not a backup (too short)", in)
	}
	isPG := strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://")
	switch {
	case isPG && bytes.HasPrefix(head, pgDumpMagic):
		return fmt.Errorf("store: restore: %s is a pg_dump file (a backup of an older gateway version); load it with PostgreSQL's own tools: pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --dbname=... %s (see docs/operations.md)", in, in)
	case isPG && !isNativeBackup(head):
		return fmt.Errorf("store: restore: %s is not a PostgreSQL backup of the gateway and DATABASE_URL is PostgreSQL", in)
	case !isPG && !bytes.Equal(head[:len(sqliteMagic)], sqliteMagic):
		return fmt.Errorf("store: restore: %s is not a SQLite backup and DATABASE_URL is SQLite", in)
	}
	if isPG {
		return restorePostgres(ctx, dbURL, in, opts)
	}
	if !opts.Force {
		if err := checkEmpty(ctx, dbURL); err != nil {
			return err
		}
	}
	return restoreSQLite(ctx, dbURL, in)
}

// CheckBackup reads the backup file in without touching any database:
// a PostgreSQL archive's every table against the manifest's size and
// SHA-256 (its manifest is returned), a SQLite file's integrity check on
// a temporary copy.
func CheckBackup(ctx context.Context, in string) (*BackupManifest, error) {
	head := make([]byte, 128)
	f, err := os.Open(in)
	if err != nil {
		return nil, fmt.Errorf("store: check: %w", err)
	}
	n, _ := io.ReadFull(f, head)
	_ = f.Close()
	head = head[:n]
	switch {
	case isNativeBackup(head):
		a, err := OpenBackup(in)
		if err != nil {
			return nil, err
		}
		defer func() { _ = a.Close() }() // read only
		if err := a.Verify(); err != nil {
			return nil, err
		}
		return a.Manifest, nil
	case bytes.HasPrefix(head, sqliteMagic):
		dir, err := os.MkdirTemp("", "efactura-check-*")
		if err != nil {
			return nil, fmt.Errorf("store: check: %w", err)
		}
		defer func() { _ = os.RemoveAll(dir) }()
		tmp := filepath.Join(dir, "check.db")
		if err := os.WriteFile(tmp, nil, 0o600); err != nil {
			return nil, fmt.Errorf("store: check: %w", err)
		}
		if err := copyInto(in, tmp); err != nil {
			return nil, fmt.Errorf("store: check: %w", err)
		}
		return nil, checkSQLiteFile(ctx, "sqlite:"+tmp)
	case bytes.HasPrefix(head, pgDumpMagic):
		return nil, fmt.Errorf("store: check: %s is a pg_dump file (a backup of an older gateway version); check it with pg_restore --list", in)
	default:
		return nil, fmt.Errorf("store: check: %s is not a backup of the gateway", in)
	}
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
		return errors.New("store: restore: the database already holds users, companies or invoices; restore only into an empty database (or pass --force to replace it)")
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
// not exist. PostgreSQL databases are backed up by Backup.
func (s *Store) BackupSQLite(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return errors.New("store: BackupSQLite needs a SQLite database (use Backup for PostgreSQL)")
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
