package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sync"
)

// sqliteMigrationLocker makes goose's migrations single-flight across
// processes on SQLite, as PostgreSQL's advisory lock does across replicas:
// `efactura serve` and a CLI command started at the same moment both find
// version N pending, and the second to apply it would fail ("duplicate
// column"). The lock is an exclusive transaction on a small SQLite file next
// to the database (PATH.migrate-lock), held while goose runs; SQLite's own
// locking makes it cross-process and portable, and a process that dies
// releases it with its file handles.
type sqliteMigrationLocker struct {
	path string

	mu sync.Mutex
	db *sql.DB
	tx *sql.Tx
}

// sqliteMigrationLockWait bounds the wait for another process's migration.
const sqliteMigrationLockWait = 10 * 60 * 1000 // ms

func (l *sqliteMigrationLocker) SessionLock(ctx context.Context, _ *sql.Conn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	params := url.Values{}
	params.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteMigrationLockWait))
	params.Set("_txlock", "exclusive")
	db, err := sql.Open("sqlite", l.path+"?"+params.Encode())
	if err != nil {
		return fmt.Errorf("store: migration lock: %w", err)
	}
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		_ = db.Close()
		return fmt.Errorf("store: migration lock %s: %w", l.path, err)
	}
	l.db, l.tx = db, tx
	return nil
}

func (l *sqliteMigrationLocker) SessionUnlock(_ context.Context, _ *sql.Conn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tx != nil {
		_ = l.tx.Rollback()
	}
	var err error
	if l.db != nil {
		err = l.db.Close()
	}
	l.db, l.tx = nil, nil
	return err
}

// WithSQLiteMigrationLock runs fn holding the cross-process migration lock
// of a SQLite file database (the one goose's migrations take, released
// before fn's caller takes it again), for other schemas migrated next to
// ours: River's, whose migrator two processes starting together would
// otherwise both apply ("table river_notification already exists").
// PostgreSQL and in-memory SQLite run fn as is.
func (s *Store) WithSQLiteMigrationLock(ctx context.Context, fn func() error) error {
	if s.dialect == Postgres || s.sqlitePath == "" {
		return fn()
	}
	l := &sqliteMigrationLocker{path: s.sqlitePath + ".migrate-lock"}
	if err := l.SessionLock(ctx, nil); err != nil {
		return err
	}
	defer func() { _ = l.SessionUnlock(context.WithoutCancel(ctx), nil) }()
	return fn()
}
