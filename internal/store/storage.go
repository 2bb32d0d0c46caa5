package store

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsStorageError reports whether err (anywhere in its chain) says the
// database's storage cannot take writes: a full disk or quota, an I/O
// error, a read-only file system. Retrying such a write at once fails the
// same way, so callers stop and back off instead of trying the next item.
//
//   - SQLite: SQLITE_FULL, SQLITE_IOERR (and its extended codes),
//     SQLITE_READONLY (the file or its directory became read-only);
//   - PostgreSQL: class 53 disk_full (53100) and class 58 io_error (58030);
//   - the operating system: ENOSPC, EDQUOT, EIO, EROFS.
func IsStorageError(err error) bool {
	if err == nil {
		return false
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY:
			return true
		}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "53100", "58030":
			return true
		}
	}
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EIO, syscall.EROFS} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// SQLiteDir returns the directory of the SQLite database file a database
// URL names ("sqlite:PATH", "sqlite://PATH", "file:PATH"), for a write
// probe of the disk it lives on; ok is false for PostgreSQL and for an
// in-memory database.
func SQLiteDir(url string) (dir string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		rest = strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
	case strings.HasPrefix(url, "file:"):
		rest = strings.TrimPrefix(strings.TrimPrefix(url, "file:"), "//")
	default:
		return "", false
	}
	path, query, _ := strings.Cut(rest, "?")
	if path == "" || path == ":memory:" || strings.Contains(query, "mode=memory") {
		return "", false
	}
	return filepath.Dir(path), true
}
