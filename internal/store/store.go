// Package store is the gateway's persistence: one Store over database/sql,
// on SQLite (modernc.org/sqlite) or PostgreSQL (pgx), with embedded goose
// migrations per dialect.
//
// Queries are written once, with $N placeholders, which both drivers accept
// (modernc binds $N positionally). The few dialect differences live in the
// DDL (migrations/sqlite, migrations/postgres) and in how timestamps are
// passed: TIMESTAMPTZ on PostgreSQL, fixed-width UTC TEXT on SQLite (see
// sqliteTimeLayout). Times are stored and returned in UTC, truncated to the
// microsecond (PostgreSQL's precision) on both backends so they round-trip
// identically.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL backend.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// PoolConfig sizes the PostgreSQL pool (ignored by SQLite, which uses a
// small pool in WAL mode where every transaction begins IMMEDIATE).
type PoolConfig struct {
	MaxConns        int           // default 10
	MinConns        int           // default 1: connections opened at start (PostgreSQL); up to MaxConns stay idle until MaxConnIdleTime
	MaxConnLifetime time.Duration // default 30m
	MaxConnIdleTime time.Duration // default 10m; an idle connection above MinConns is closed after it
	// Trace wraps the driver in OpenTelemetry spans (otelsql): one span
	// per statement, transaction and commit, named after the method, with
	// the query text (never the arguments). Spans are made only inside a
	// traced request, job or sync step (a span in the context), so pool
	// housekeeping and untraced work cost nothing more than the wrapper.
	Trace bool
}

// sqliteMaxConns bounds the SQLite pool: WAL lets readers run beside the
// one writer; writers queue on the busy timeout.
const sqliteMaxConns = 4

// migrationLockID is the PostgreSQL advisory lock key held while migrating
// (crc64 of "efactura-gateway"-ish; any constant unique to this app).
const migrationLockID int64 = 0x6566616374757261 // "efactura"

//go:embed migrations
var migrationsFS embed.FS

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store is the gateway's database.
type Store struct {
	db      *sql.DB
	dialect Dialect
	q       querier // db, or the transaction of a Store handed out by WithTx
	inTx    bool
	logger  *slog.Logger
	stmts   *stmtCache    // sync_batch.go: SQLite's prepared hot queries
	cache   *listCache    // lists' totals, deep-page ids, dashboard totals (invoice_list.go)
	events  *eventHook    // events.go: queues an event's dispatch in its transaction
	keys    *keyAuthCache // keyauth.go: short-lived cache of API key lookups
	// keysDirty, in a transaction, is set when it changed what a key
	// lookup finds: WithTx invalidates the key cache again after the commit.
	keysDirty *bool
	// sqlitePath is the database file ("" for PostgreSQL and in-memory
	// SQLite); migrations lock PATH.migrate-lock.
	sqlitePath string
}

// Open connects to url: "sqlite:PATH", "sqlite://PATH" or "file:PATH"
// (file created with its directory, WAL mode, foreign keys on, busy timeout
// 10 s, synchronous NORMAL, transactions BEGIN IMMEDIATE) or "postgres://..." /
// "postgresql://..." (pgx stdlib pool sized by pc). It pings the database
// before returning.
func Open(ctx context.Context, url string, pc PoolConfig) (*Store, error) {
	var (
		db         *sql.DB
		dialect    Dialect
		err        error
		sqlitePath string
	)
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		dialect = Postgres
		db, err = openDB("pgx", url, pc.Trace, semconv.DBSystemNamePostgreSQL)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		pc = pc.withDefaults()
		db.SetMaxOpenConns(pc.MaxConns)
		// Keep every connection the pool may open: with fewer idle slots
		// than concurrent users (sync workers, River, requests) database/sql
		// closes and reopens PostgreSQL connections all the time (a fork and
		// an authentication each), which cut sync throughput by about 4×.
		// Idle ones still go after MaxConnIdleTime.
		db.SetMaxIdleConns(pc.MaxConns)
		db.SetConnMaxLifetime(pc.MaxConnLifetime)
		db.SetConnMaxIdleTime(pc.MaxConnIdleTime)
	case strings.HasPrefix(url, "sqlite:"), strings.HasPrefix(url, "file:"):
		dialect = SQLite
		dsn, memory, err := sqliteDSN(url)
		if err != nil {
			return nil, err
		}
		db, err = openDB("sqlite", dsn, pc.Trace, semconv.DBSystemNameSQLite)
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		if !memory {
			sqlitePath = sqliteFilePath(url)
		}
		if memory {
			// Every connection to ":memory:" is a separate database: keep one.
			db.SetMaxOpenConns(1)
			db.SetConnMaxLifetime(0)
			db.SetConnMaxIdleTime(0)
		} else {
			db.SetMaxOpenConns(sqliteMaxConns)
			db.SetMaxIdleConns(sqliteMaxConns)
		}
	default:
		return nil, fmt.Errorf("store: unsupported database URL (want sqlite:PATH or postgres://...): %q", redactURL(url))
	}
	s := &Store{db: db, dialect: dialect, q: db, logger: slog.New(slog.DiscardHandler), stmts: &stmtCache{}, cache: &listCache{}, events: &eventHook{}, keys: &keyAuthCache{}, sqlitePath: sqlitePath}
	if err := s.Ping(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	if dialect == Postgres {
		// Open MinConns connections now (database/sql has no minimum of its
		// own); returned to the pool, they stay idle until MaxConnIdleTime.
		var warm []*sql.Conn
		for range pc.MinConns {
			c, err := db.Conn(ctx)
			if err != nil {
				break
			}
			warm = append(warm, c)
		}
		for _, c := range warm {
			_ = c.Close()
		}
	}
	return s, nil
}

func (pc PoolConfig) withDefaults() PoolConfig {
	if pc.MaxConns <= 0 {
		pc.MaxConns = 10
	}
	if pc.MinConns <= 0 {
		pc.MinConns = 1
	}
	if pc.MinConns > pc.MaxConns {
		pc.MinConns = pc.MaxConns
	}
	if pc.MaxConnLifetime <= 0 {
		pc.MaxConnLifetime = 30 * time.Minute
	}
	if pc.MaxConnIdleTime <= 0 {
		pc.MaxConnIdleTime = 10 * time.Minute
	}
	return pc
}

// sqliteDSN turns a sqlite:/file: URL into a modernc DSN with our pragmas,
// creating the database's directory. User query parameters come after ours,
// so a user's _pragma runs later and wins.
func sqliteDSN(u string) (dsn string, memory bool, err error) {
	var path, query, rest string
	isFileURI := strings.HasPrefix(u, "file:")
	if isFileURI {
		rest = strings.TrimPrefix(u, "file:")
	} else {
		rest = strings.TrimPrefix(u, "sqlite:")
		rest = strings.TrimPrefix(rest, "//")
	}
	path, query, _ = strings.Cut(rest, "?")
	if isFileURI {
		path = strings.TrimPrefix(path, "//")
	}
	if path == "" {
		return "", false, errors.New("store: sqlite URL without a path")
	}
	memory = path == ":memory:" || strings.Contains(query, "mode=memory")
	if !memory {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return "", false, fmt.Errorf("store: create database directory: %w", err)
			}
		}
		// The archive holds invoices and encrypted tokens: create the file
		// owner-only (SQLite gives its -wal and -shm files the same mode).
		if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			_ = f.Close()
		}
	}
	params := url.Values{}
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "foreign_keys(1)")
	if !memory {
		params.Add("_pragma", "journal_mode(WAL)")
	}
	params.Add("_pragma", "synchronous(NORMAL)")
	// No memory map (SQLite's default, mmap_size 0): pages are read with
	// pread into SQLite's page cache (its default 2 MiB per connection;
	// the OS page cache holds the rest). A map's touched pages count in
	// the process's RSS once per connection (each maps the file itself):
	// the 256 MiB map used before added 40–100 MiB of file-backed RSS on a
	// 70 MB archive under bench/api.sh, for no measurable CPU gain on the
	// list and detail queries (docs/performance.md, "Memory, issue 16").
	// A database URL's own ?_pragma=mmap_size(N) still turns it on.
	// Statement journals (a statement's undo inside a larger transaction:
	// each insert of a sync batch) in memory instead of a temporary file
	// written through write(2) once past 64 KiB (issue 16: 5 % of the
	// sync's CPU).
	params.Add("_pragma", "temp_store(2)")
	// BEGIN IMMEDIATE: a transaction takes the write lock when it starts,
	// so it waits on busy_timeout instead of failing with SQLITE_BUSY when
	// it later tries to upgrade a read lock another writer beat it to.
	params.Set("_txlock", "immediate")
	dsn = params.Encode()
	if query != "" {
		dsn += "&" + query
	}
	if isFileURI {
		return "file:" + path + "?" + dsn, memory, nil
	}
	return path + "?" + dsn, memory, nil
}

// sqliteFilePath is the database file of a sqlite:/file: URL (as sqliteDSN
// reads it).
func sqliteFilePath(u string) string {
	rest := strings.TrimPrefix(u, "file:")
	if rest == u {
		rest = strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
	} else {
		rest = strings.TrimPrefix(rest, "//")
	}
	path, _, _ := strings.Cut(rest, "?")
	return path
}

// redactURL hides a password in a database URL for error messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<unparseable>"
	}
	return u.Redacted()
}

// SetLogger sets the logger used for migration messages (default: discard).
func (s *Store) SetLogger(l *slog.Logger) {
	if l != nil {
		s.logger = l
	}
}

// Close closes the pool.
func (s *Store) Close() error {
	s.closeStmts()
	s.keys.epoch.Add(1) // no key lookup outlives the database
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Dialect reports the backend.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB exposes the pool (health checks, backups).
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.dialect, err)
	}
	return nil
}

// WithTx runs fn with a Store whose every method runs in one transaction,
// committed when fn returns nil and rolled back otherwise. Called on a
// Store already inside a transaction, it runs fn in that same transaction.
// On SQLite the transaction holds the write lock from its start: keep it short.
func (s *Store) WithTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.inTx {
		return fn(s)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	txs := *s
	txs.q = tx
	txs.inTx = true
	txs.keysDirty = new(bool)
	if err := fn(&txs); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", s.mapErr(err))
	}
	if *txs.keysDirty {
		s.keys.epoch.Add(1)
	}
	return nil
}

// ---- migrations

func (s *Store) provider() (*goose.Provider, error) {
	dir, gd := "migrations/sqlite", database.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithSlog(s.logger), goose.WithDisableGlobalRegistry(true)}
	if s.dialect == Postgres {
		dir, gd = "migrations/postgres", database.DialectPostgres
		// Poll for the advisory lock every second for up to 10 minutes:
		// replicas starting together wait for the first one's migration.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 600))
		if err != nil {
			return nil, fmt.Errorf("store: migration locker: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	} else if s.sqlitePath != "" {
		opts = append(opts, goose.WithSessionLocker(&sqliteMigrationLocker{path: s.sqlitePath + ".migrate-lock"}))
	}
	fsys, err := fs.Sub(migrationsFS, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	p, err := goose.NewProvider(gd, s.db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration. On PostgreSQL it holds an
// advisory lock for the duration so concurrent replicas migrate once.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate %s: %w", s.dialect, err)
	}
	for _, r := range res {
		s.logger.InfoContext(ctx, "migration applied", slog.Int64("version", r.Source.Version), slog.Duration("duration", r.Duration))
	}
	// The archive chain's backfill (migration 00017): ZIPs archived
	// before the chain existed, chained once in archiving order.
	n, err := s.BackfillChain(ctx)
	if err != nil {
		return fmt.Errorf("store: chain the archive: %w", err)
	}
	if n > 0 {
		s.logger.InfoContext(ctx, "archive chain backfilled", slog.Int("entries", n))
	}
	return nil
}

// MigrationStatus returns the current and latest schema versions.
func (s *Store) MigrationStatus(ctx context.Context) (current, latest int64, err error) {
	p, err := s.provider()
	if err != nil {
		return 0, 0, err
	}
	current, latest, err = p.GetVersions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("store: migration status: %w", err)
	}
	return current, latest, nil
}

// Pending reports whether migrations remain to be applied (start refuses a
// schema that is behind when EFACTURA_AUTO_MIGRATE=false).
func (s *Store) Pending(ctx context.Context) (bool, error) {
	p, err := s.provider()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("store: pending migrations: %w", err)
	}
	return pending, nil
}

// ---- errors

// mapErr turns driver errors into the package sentinels, keeping the
// original in the chain (errors.As still finds *pgconn.PgError).
func (s *Store) mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("%w: %w", ErrAlreadyExists, err)
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", ErrAlreadyExists, err)
		}
	}
	return err
}

// wrap maps err and prefixes the operation: "store: create user: ...".
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", op, s.mapErr(err))
}

// mustAffect returns ErrNotFound when an UPDATE/DELETE touched no row.
func (s *Store) mustAffect(op string, res sql.Result, err error) error {
	if err != nil {
		return s.wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", op, ErrNotFound)
	}
	return nil
}

// ---- time values

// sqliteTimeLayout is fixed width (always six fractional digits), so text
// order is time order on SQLite.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

// utcMicro returns t in UTC at microsecond precision, the value a read returns.
func utcMicro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// now is the current time as stored.
func now() time.Time { return utcMicro(time.Now()) }

// tv converts a time to the dialect's parameter value.
func (s *Store) tv(t time.Time) any {
	t = utcMicro(t)
	if s.dialect == SQLite {
		return t.Format(sqliteTimeLayout)
	}
	return t
}

// tpv converts an optional time (nil → NULL).
func (s *Store) tpv(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.tv(*t)
}

// timeCol scans a TIMESTAMPTZ or a SQLite time text into a UTC time.
type timeCol struct{ dst *time.Time }

func (c timeCol) Scan(src any) error {
	t, ok, err := scanTime(src)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("store: NULL in a NOT NULL time column")
	}
	*c.dst = t
	return nil
}

// nullTimeCol scans a nullable time into a *time.Time (nil for NULL).
type nullTimeCol struct{ dst **time.Time }

func (c nullTimeCol) Scan(src any) error {
	t, ok, err := scanTime(src)
	if err != nil {
		return err
	}
	if !ok {
		*c.dst = nil
		return nil
	}
	*c.dst = &t
	return nil
}

func scanTime(src any) (time.Time, bool, error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return v.UTC(), true, nil
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("store: bad time %q: %w", v, err)
		}
		return t.UTC(), true, nil
	case []byte:
		return scanTime(string(v))
	default:
		return time.Time{}, false, fmt.Errorf("store: cannot scan %T into a time", src)
	}
}

// nullInt64 maps 0 to NULL (optional foreign keys).
func nullInt64(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// nullString maps "" to NULL.
func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
