package store

// Native PostgreSQL backup and restore (issue 18 item 4): no pg_dump, no
// child process, no dependency on the client tools' major version.
//
// A backup is a ZIP file:
//
//	mimetype        "application/vnd.efactura-gateway.backup+zip", stored
//	                first and uncompressed (the file's kind at a fixed
//	                offset, as in EPUB/ODF)
//	data/NNNN.copy  one entry per table: its COPY ... TO STDOUT output
//	manifest.json   written last: format version, gateway and server
//	                versions, the schema's migration versions, and for every
//	                table its columns, row count, size and SHA-256
//
// The tables are whatever the schema holds, read from the catalog (the
// store's, goose's version table, River's): nothing here names a table or
// a column, so a migration that adds either needs no change here.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/efactura-gateway/efactura/internal/version"
)

// Backup archive constants.
const (
	backupMimetype      = "application/vnd.efactura-gateway.backup+zip"
	backupFormat        = "efactura-gateway/postgres"
	backupFormatVersion = 1
	backupManifestName  = "manifest.json"

	// CopyBinary and CopyText are the COPY formats a backup may use
	// (BackupOptions.CopyFormat); a restore reads either.
	CopyBinary = "binary"
	CopyText   = "text"
)

// BackupManifest describes a PostgreSQL backup (manifest.json).
type BackupManifest struct {
	Format         string           `json:"format"`
	FormatVersion  int              `json:"format_version"`
	GatewayVersion string           `json:"gateway_version"`
	CreatedAt      time.Time        `json:"created_at"`
	ServerVersion  string           `json:"server_version"`
	Schema         string           `json:"schema"`
	Migrations     map[string]int64 `json:"migrations"` // SchemaPart name → applied version
	Tables         []BackupTable    `json:"tables"`
	Sequences      []BackupSequence `json:"sequences"`
}

// BackupTable is one table's entry in the manifest.
type BackupTable struct {
	Name    string         `json:"name"`
	File    string         `json:"file"`
	Format  string         `json:"format"` // COPY format: CopyBinary or CopyText
	Columns []BackupColumn `json:"columns"`
	Rows    int64          `json:"rows"`
	Bytes   int64          `json:"bytes"`
	SHA256  string         `json:"sha256"` // of the entry's bytes (the COPY data)
}

// BackupColumn is a column as the catalog names it (format_type).
type BackupColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// BackupSequence is a sequence's state when the backup was taken.
type BackupSequence struct {
	Name      string `json:"name"`
	LastValue int64  `json:"last_value"`
	IsCalled  bool   `json:"is_called"`
}

// TotalRows and TotalBytes sum the tables.
func (m *BackupManifest) TotalRows() (n int64) {
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// TotalBytes is the size of the tables' data.
func (m *BackupManifest) TotalBytes() (n int64) {
	for _, t := range m.Tables {
		n += t.Bytes
	}
	return n
}

// SchemaPart is a group of tables created by migrations other than the
// store's own (River's job queue): a backup records its applied version,
// a restore creates its tables at that version before loading them.
type SchemaPart struct {
	Name         string // key in the manifest's migrations, e.g. "river"
	VersionTable string // the table that records its migrations
	VersionQuery string // one integer, the applied version (run only when VersionTable exists)
	// MigrateTo applies its migrations up to version on st.
	MigrateTo func(ctx context.Context, st *Store, version int64) error
}

// gooseVersionTable is goose's default version table.
const gooseVersionTable = "goose_db_version"

// gooseSchemaPart is the store's own migrations.
func gooseSchemaPart() SchemaPart {
	return SchemaPart{
		Name:         "goose",
		VersionTable: gooseVersionTable,
		VersionQuery: `SELECT COALESCE(MAX(version_id), 0) FROM ` + gooseVersionTable,
		MigrateTo: func(ctx context.Context, st *Store, version int64) error {
			p, err := st.provider()
			if err != nil {
				return err
			}
			if _, err := p.UpTo(ctx, version); err != nil {
				return fmt.Errorf("store: migrate %s to version %d: %w", st.dialect, version, err)
			}
			return nil
		},
	}
}

// BackupOptions tune Backup.
type BackupOptions struct {
	// Parts are the schema's other migrated parts (River's, from package
	// jobs); the store's own migrations are always included.
	Parts []SchemaPart
	// CopyFormat CopyBinary (the default) copies in PostgreSQL's binary
	// format every table whose columns are all of built-in or enum types
	// (whose binary form is the same in every database), the others in
	// text; CopyText copies every table in text.
	CopyFormat string
}

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Parts as in BackupOptions: every part the backup recorded must be here.
	Parts []SchemaPart
	// Force restores over a database that holds data: the backup's tables
	// are emptied first, in the restore's transaction.
	Force bool
}

func (o BackupOptions) parts() []SchemaPart {
	return append([]SchemaPart{gooseSchemaPart()}, o.Parts...)
}
func (o RestoreOptions) parts() []SchemaPart {
	return append([]SchemaPart{gooseSchemaPart()}, o.Parts...)
}

// withPgx runs fn on one pooled connection's *pgx.Conn. A connection left
// in a transaction is discarded by the pool (stdlib's ResetSession).
func (s *Store) withPgx(ctx context.Context, fn func(conn *pgx.Conn) error) error {
	if s.dialect != Postgres {
		return errors.New("store: needs PostgreSQL")
	}
	c, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: connection: %w", err)
	}
	defer func() { _ = c.Close() }() // back to the pool; the work's error is what matters
	return c.Raw(func(dc any) error {
		if w, ok := dc.(interface{ Raw() driver.Conn }); ok {
			dc = w.Raw() // traced (PoolConfig.Trace): otelsql's wrapper
		}
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: unexpected driver connection %T", dc)
		}
		return fn(sc.Conn())
	})
}

// catalogTable is a table of the schema as the catalog describes it.
type catalogTable struct {
	oid     uint32
	name    string
	columns []BackupColumn
	binary  bool // every column's binary COPY form is database independent
}

// schemaTables lists the ordinary tables of the connection's current
// schema, by name, with their stored columns (generated ones excluded:
// COPY FROM cannot load them, they are computed again).
func schemaTables(ctx context.Context, q pgxQuerier) (schema string, tables []catalogTable, err error) {
	if err := q.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return "", nil, fmt.Errorf("current schema: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname`)
	if err != nil {
		return "", nil, fmt.Errorf("listing tables: %w", err)
	}
	for rows.Next() {
		var t catalogTable
		if err := rows.Scan(&t.oid, &t.name); err != nil {
			rows.Close()
			return "", nil, fmt.Errorf("listing tables: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("listing tables: %w", err)
	}
	for i := range tables {
		// Binary COPY data of arrays, composites and ranges carries type
		// OIDs, which differ between databases for types made by
		// migrations; built-in types' OIDs are fixed and an enum's
		// binary form is its label.
		tables[i].binary = true
		rows, err := q.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.atttypid < 16384 OR t.typtype = 'e'
			FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
			WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum`, tables[i].oid)
		if err != nil {
			return "", nil, fmt.Errorf("columns of %s: %w", tables[i].name, err)
		}
		for rows.Next() {
			var c BackupColumn
			var portable bool
			if err := rows.Scan(&c.Name, &c.Type, &portable); err != nil {
				rows.Close()
				return "", nil, fmt.Errorf("columns of %s: %w", tables[i].name, err)
			}
			tables[i].columns = append(tables[i].columns, c)
			tables[i].binary = tables[i].binary && portable
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", nil, fmt.Errorf("columns of %s: %w", tables[i].name, err)
		}
	}
	return schema, tables, nil
}

// schemaSequences lists the sequences of the current schema.
func schemaSequences(ctx context.Context, q pgxQuerier) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'S' ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("listing sequences: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing sequences: %w", err)
	}
	return names, nil
}

// pgxQuerier is what pgx.Conn and pgx.Tx have in common.
type pgxQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// copyColumns is the column list of a COPY statement.
func copyColumns(cols []BackupColumn) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = pgx.Identifier{c.Name}.Sanitize()
	}
	return strings.Join(names, ", ")
}

// countingHash counts and hashes what goes through it.
type countingHash struct {
	h hash.Hash
	n int64
}

func newCountingHash() *countingHash { return &countingHash{h: sha256.New()} }

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

func (c *countingHash) sum() string { return hex.EncodeToString(c.h.Sum(nil)) }

// backupPostgres writes the archive described above to out (created, mode
// 0600, never overwritten; removed again on failure).
func backupPostgres(ctx context.Context, st *Store, out string, opts BackupOptions) (m *BackupManifest, err error) {
	format := opts.CopyFormat
	if format == "" {
		format = CopyBinary
	}
	if format != CopyBinary && format != CopyText {
		return nil, fmt.Errorf("store: backup: unknown COPY format %q", format)
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("store: backup: %s already exists (choose a new file name)", out)
		}
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(out)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	if err := writeMimetype(zw); err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	m = &BackupManifest{
		Format: backupFormat, FormatVersion: backupFormatVersion, GatewayVersion: version.String(),
		CreatedAt: now(), Migrations: map[string]int64{},
	}
	err = st.withPgx(ctx, func(conn *pgx.Conn) error {
		return snapshotInto(ctx, conn, zw, m, opts.parts(), format)
	})
	if err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	mw, err := zw.CreateHeader(&zip.FileHeader{Name: backupManifestName, Method: zip.Deflate, Modified: m.CreatedAt})
	if err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	enc := json.NewEncoder(mw)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("store: backup: manifest: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	return m, nil
}

// writeMimetype writes the first entry, stored, without extra fields, so
// the media type sits at byte 38 of the file.
func writeMimetype(zw *zip.Writer) error {
	b := []byte(backupMimetype)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "mimetype", Method: zip.Store, CRC32: crc32.ChecksumIEEE(b),
		CompressedSize64: uint64(len(b)), UncompressedSize64: uint64(len(b))})
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// isNativeBackup reports whether head (the file's first bytes) is our archive.
func isNativeBackup(head []byte) bool {
	return bytes.HasPrefix(head, []byte("PK\x03\x04")) && len(head) >= 38+len(backupMimetype) &&
		string(head[30:38]) == "mimetype" && string(head[38:38+len(backupMimetype)]) == backupMimetype
}

// snapshotInto copies every table of the schema, in one REPEATABLE READ
// READ ONLY transaction (one snapshot: a sync running meanwhile is either
// in the backup or not, row by row consistent), into zw, filling m.
func snapshotInto(ctx context.Context, conn *pgx.Conn, zw *zip.Writer, m *BackupManifest, parts []SchemaPart, format string) (err error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		// Read only: commit or rollback end it alike; on a failed rollback
		// the pool discards the connection.
		_ = tx.Rollback(context.WithoutCancel(ctx))
	}()
	schema, tables, err := schemaTables(ctx, txQuerier{tx})
	if err != nil {
		return err
	}
	if len(tables) == 0 {
		return fmt.Errorf("the database's schema %q has no tables (is DATABASE_URL the gateway's database?)", schema)
	}
	m.Schema = schema
	if err := tx.QueryRow(ctx, `SHOW server_version`).Scan(&m.ServerVersion); err != nil {
		return fmt.Errorf("server version: %w", err)
	}
	// Keep the tables' definitions from changing under the backup (a
	// replica migrating meanwhile waits for it), as pg_dump does.
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = pgx.Identifier{schema, t.name}.Sanitize()
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE `+strings.Join(names, ", ")+` IN ACCESS SHARE MODE`); err != nil {
		return fmt.Errorf("locking the tables: %w", err)
	}
	has := map[string]bool{}
	for _, t := range tables {
		has[t.name] = true
	}
	for _, p := range parts {
		if !has[p.VersionTable] {
			continue
		}
		var v int64
		if err := tx.QueryRow(ctx, p.VersionQuery).Scan(&v); err != nil {
			return fmt.Errorf("%s schema version: %w", p.Name, err)
		}
		if v > 0 {
			m.Migrations[p.Name] = v
		}
	}
	if m.Migrations["goose"] == 0 {
		return errors.New("the database is not migrated (no goose version): nothing to back up")
	}
	for i, t := range tables {
		bt := BackupTable{Name: t.name, File: fmt.Sprintf("data/%04d.copy", i+1), Format: CopyText, Columns: t.columns}
		if format == CopyBinary && t.binary {
			bt.Format = CopyBinary
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: bt.File, Method: zip.Store, Modified: m.CreatedAt})
		if err != nil {
			return err
		}
		ch := newCountingHash()
		q := fmt.Sprintf(`COPY %s (%s) TO STDOUT (FORMAT %s)`, names[i], copyColumns(t.columns), bt.Format)
		tag, err := conn.PgConn().CopyTo(ctx, io.MultiWriter(w, ch), q)
		if err != nil {
			return fmt.Errorf("copying table %s: %w", t.name, err)
		}
		bt.Rows, bt.Bytes, bt.SHA256 = tag.RowsAffected(), ch.n, ch.sum()
		m.Tables = append(m.Tables, bt)
	}
	seqs, err := schemaSequences(ctx, txQuerier{tx})
	if err != nil {
		return err
	}
	for _, name := range seqs {
		// Sequences are outside the snapshot: their current state, never
		// behind a value the copied rows hold.
		s := BackupSequence{Name: name}
		if err := tx.QueryRow(ctx, `SELECT last_value, is_called FROM `+pgx.Identifier{schema, name}.Sanitize()).Scan(&s.LastValue, &s.IsCalled); err != nil {
			return fmt.Errorf("sequence %s: %w", name, err)
		}
		m.Sequences = append(m.Sequences, s)
	}
	return tx.Commit(ctx)
}

// OpenBackup opens a PostgreSQL backup and reads its manifest (no checksum
// is verified yet: see VerifyBackup).
func OpenBackup(path string) (*BackupArchive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	a, err := openBackup(f, path)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return a, nil
}

// BackupArchive is an open PostgreSQL backup.
type BackupArchive struct {
	Manifest *BackupManifest
	f        *os.File
	zr       *zip.Reader
	files    map[string]*zip.File
}

// Close closes the file.
func (a *BackupArchive) Close() error { return a.f.Close() }

func openBackup(f *os.File, path string) (*BackupArchive, error) {
	head := make([]byte, 128)
	n, _ := io.ReadFull(f, head)
	if !isNativeBackup(head[:n]) {
		return nil, fmt.Errorf("store: %s is not an efactura PostgreSQL backup", path)
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("store: the backup %s is damaged (truncated or altered: %w); use another backup", path, err)
	}
	a := &BackupArchive{f: f, zr: zr, files: map[string]*zip.File{}}
	for _, zf := range zr.File {
		a.files[zf.Name] = zf
	}
	mf := a.files[backupManifestName]
	if mf == nil {
		return nil, fmt.Errorf("store: the backup %s is damaged (no manifest); use another backup", path)
	}
	rc, err := mf.Open()
	if err != nil {
		return nil, fmt.Errorf("store: the backup %s is damaged (manifest: %w); use another backup", path, err)
	}
	defer rc.Close()
	var m BackupManifest
	if err := json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(&m); err != nil {
		return nil, fmt.Errorf("store: the backup %s is damaged (manifest: %w); use another backup", path, err)
	}
	if m.Format != backupFormat {
		return nil, fmt.Errorf("store: %s is not an efactura PostgreSQL backup (format %q)", path, m.Format)
	}
	if m.FormatVersion > backupFormatVersion {
		return nil, fmt.Errorf("store: the backup %s has format version %d, made by a newer gateway (%s); this one reads up to %d: restore with that version or newer",
			path, m.FormatVersion, m.GatewayVersion, backupFormatVersion)
	}
	for _, t := range m.Tables {
		if t.Format != CopyBinary && t.Format != CopyText {
			return nil, fmt.Errorf("store: the backup %s is damaged (table %s: COPY format %q)", path, t.Name, t.Format)
		}
		if a.files[t.File] == nil {
			return nil, fmt.Errorf("store: the backup %s is damaged (table %s's data %s is missing); use another backup", path, t.Name, t.File)
		}
	}
	a.Manifest = &m
	return a, nil
}

// checkTable rehashes one table's entry against the manifest.
func (a *BackupArchive) checkTable(t BackupTable) error {
	rc, err := a.files[t.File].Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	ch := newCountingHash()
	if _, err := io.Copy(ch, rc); err != nil {
		return err
	}
	if ch.n != t.Bytes || ch.sum() != t.SHA256 {
		return fmt.Errorf("%d bytes with SHA-256 %s, the manifest says %d bytes with %s", ch.n, ch.sum(), t.Bytes, t.SHA256)
	}
	return nil
}

// Verify reads every table's data and checks its size and SHA-256 against
// the manifest (and the ZIP's CRC-32), without a database.
func (a *BackupArchive) Verify() error {
	for _, t := range a.Manifest.Tables {
		if err := a.checkTable(t); err != nil {
			return damaged(a.f.Name(), t.Name, err)
		}
	}
	return nil
}

func damaged(path, table string, err error) error {
	return fmt.Errorf("store: the backup %s is damaged: the data of table %s does not match its checksum (%w); nothing was restored, use another backup", path, table, err)
}

// restorePostgres loads the archive at in into the database at dbURL.
func restorePostgres(ctx context.Context, dbURL, in string, opts RestoreOptions) error {
	a, err := OpenBackup(in)
	if err != nil {
		return err
	}
	defer func() { _ = a.Close() }() // read only
	m := a.Manifest
	parts := opts.parts()
	known := map[string]bool{}
	for _, p := range parts {
		known[p.Name] = true
	}
	for name := range m.Migrations {
		if !known[name] {
			return fmt.Errorf("store: restore: the backup holds tables migrated by %q, which this restore cannot create", name)
		}
	}
	st, err := Open(ctx, dbURL, PoolConfig{MaxConns: 2})
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	defer st.Close()
	if !opts.Force {
		empty, err := st.IsEmpty(ctx)
		if err != nil {
			return fmt.Errorf("store: restore: %w", err)
		}
		if !empty {
			return errors.New("store: restore: the database already holds users, companies or invoices; restore only into an empty database (or pass --force to replace its data)")
		}
	}
	// The schema: each part's migrations up to the backup's version
	// (committed on their own; a failed load below leaves an empty,
	// migrated schema that a retry accepts).
	if err := migrateForRestore(ctx, st, m, parts); err != nil {
		return err
	}
	if err := st.withPgx(ctx, func(conn *pgx.Conn) error { return loadArchive(ctx, conn, a) }); err != nil {
		return err
	}
	// Fresh statistics for the planner (autovacuum would get there later).
	if _, err := st.db.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("store: restore: the data is restored, but ANALYZE failed: %w", err)
	}
	return nil
}

// migrateForRestore brings every part of the target's schema to the
// backup's version, refusing a schema already newer than the backup.
func migrateForRestore(ctx context.Context, st *Store, m *BackupManifest, parts []SchemaPart) error {
	var existing map[string]bool
	err := st.withPgx(ctx, func(conn *pgx.Conn) error {
		_, tables, err := schemaTables(ctx, connQuerier{conn})
		existing = map[string]bool{}
		for _, t := range tables {
			existing[t.name] = true
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	if _, latest, err := st.MigrationStatus(ctx); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	} else if want := m.Migrations["goose"]; want > latest {
		return fmt.Errorf("store: restore: the backup was made by a newer gateway (%s, schema version %d; this build knows up to %d): restore with that version or newer",
			m.GatewayVersion, want, latest)
	}
	for _, p := range parts {
		want := m.Migrations[p.Name]
		if want == 0 {
			continue // not in the backup (its tables neither): left as it is
		}
		var cur int64
		if existing[p.VersionTable] {
			if err := st.db.QueryRowContext(ctx, p.VersionQuery).Scan(&cur); err != nil {
				return fmt.Errorf("store: restore: %s schema version: %w", p.Name, err)
			}
		}
		if cur > want {
			return fmt.Errorf("store: restore: the database's %s schema is at version %d, newer than the backup's (%d): restore into a new, empty database (createdb)", p.Name, cur, want)
		}
		if want > cur {
			if err := p.MigrateTo(ctx, st, want); err != nil {
				return fmt.Errorf("store: restore: creating the schema: %w", err)
			}
		}
	}
	return nil
}

// loadArchive empties the backup's tables and loads them with COPY FROM
// in dependency order (their user triggers disabled meanwhile), sets the
// sequences, and checks every table's row count and SHA-256, all in one
// transaction: any failure leaves the database as it was.
func loadArchive(ctx context.Context, conn *pgx.Conn, a *BackupArchive) (err error) {
	m := a.Manifest
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: restore: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	schema, tables, err := schemaTables(ctx, txQuerier{tx})
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	target := map[string]catalogTable{}
	for _, t := range tables {
		target[t.name] = t
	}
	for _, bt := range m.Tables {
		tt, ok := target[bt.Name]
		if !ok {
			return fmt.Errorf("store: restore: the backup's table %s does not exist at schema version %v", bt.Name, m.Migrations)
		}
		if err := sameColumns(bt, tt.columns); err != nil {
			return fmt.Errorf("store: restore: %w", err)
		}
	}
	order, err := dependencyOrder(ctx, tx, m.Tables)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	names := make([]string, len(order))
	tableNames := make([]string, len(order))
	for i, bt := range order {
		names[i] = pgx.Identifier{schema, bt.Name}.Sanitize()
		tableNames[i] = bt.Name
	}
	// The backup holds what the tables' triggers made (e.g. counters kept
	// by a trigger on invoices): they must not run again on the copied
	// rows. Disabled in this transaction only, and put back as they were.
	triggers, err := userTriggers(ctx, tx, tableNames)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	for _, tr := range triggers {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+pgx.Identifier{schema, tr.table}.Sanitize()+` DISABLE TRIGGER `+pgx.Identifier{tr.name}.Sanitize()); err != nil {
			return fmt.Errorf("store: restore: disabling trigger %s on %s: %w", tr.name, tr.table, err)
		}
	}
	if _, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(names, ", ")); err != nil {
		return fmt.Errorf("store: restore: emptying the tables: %w", err)
	}
	for i, bt := range order {
		if err := copyTableFrom(ctx, conn, a, bt, names[i]); err != nil {
			return err
		}
	}
	if err := restoreSequences(ctx, tx, schema, m.Sequences); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	for _, tr := range triggers {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+pgx.Identifier{schema, tr.table}.Sanitize()+` ENABLE `+tr.mode+`TRIGGER `+pgx.Identifier{tr.name}.Sanitize()); err != nil {
			return fmt.Errorf("store: restore: enabling trigger %s on %s again: %w", tr.name, tr.table, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: restore: commit: %w", err)
	}
	return nil
}

// userTrigger is an enabled trigger of the schema's (not a foreign key's).
type userTrigger struct {
	table, name string
	mode        string // "" (origin), "ALWAYS " or "REPLICA ": how to enable it again
}

// userTriggers lists the enabled user triggers on tables.
func userTriggers(ctx context.Context, tx pgx.Tx, tables []string) ([]userTrigger, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname, t.tgname, t.tgenabled::text FROM pg_trigger t
		JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND n.nspname = current_schema() AND c.relname = ANY($1)
		ORDER BY c.relname, t.tgname`, tables)
	if err != nil {
		return nil, fmt.Errorf("triggers: %w", err)
	}
	defer rows.Close()
	var out []userTrigger
	for rows.Next() {
		var tr userTrigger
		var enabled string
		if err := rows.Scan(&tr.table, &tr.name, &enabled); err != nil {
			return nil, fmt.Errorf("triggers: %w", err)
		}
		switch enabled {
		case "A":
			tr.mode = "ALWAYS "
		case "R":
			tr.mode = "REPLICA "
		}
		out = append(out, tr)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("triggers: %w", err)
	}
	return out, nil
}

// copyTableFrom loads one table and checks it against the manifest.
func copyTableFrom(ctx context.Context, conn *pgx.Conn, a *BackupArchive, bt BackupTable, qualified string) error {
	rc, err := a.files[bt.File].Open()
	if err != nil {
		return damaged(a.f.Name(), bt.Name, err)
	}
	defer rc.Close()
	ch := newCountingHash()
	q := fmt.Sprintf(`COPY %s (%s) FROM STDIN (FORMAT %s)`, qualified, copyColumns(bt.Columns), bt.Format)
	tag, err := conn.PgConn().CopyFrom(ctx, io.TeeReader(rc, ch), q)
	if err != nil {
		// Damaged data makes COPY fail too: say which it is.
		if cerr := a.checkTable(bt); cerr != nil {
			return damaged(a.f.Name(), bt.Name, cerr)
		}
		return fmt.Errorf("store: restore: loading table %s: %w", bt.Name, err)
	}
	if ch.n != bt.Bytes || ch.sum() != bt.SHA256 {
		return damaged(a.f.Name(), bt.Name, fmt.Errorf("%d bytes with SHA-256 %s, the manifest says %d bytes with %s", ch.n, ch.sum(), bt.Bytes, bt.SHA256))
	}
	if tag.RowsAffected() != bt.Rows {
		return fmt.Errorf("store: restore: table %s: %d rows loaded, the manifest says %d; nothing was restored", bt.Name, tag.RowsAffected(), bt.Rows)
	}
	return nil
}

// sameColumns checks the target table has the backup's columns, with the
// same types (a COPY would fail less clearly, or binary data misread).
func sameColumns(bt BackupTable, cols []BackupColumn) error {
	have := map[string]string{}
	for _, c := range cols {
		have[c.Name] = c.Type
	}
	for _, c := range bt.Columns {
		typ, ok := have[c.Name]
		if !ok {
			return fmt.Errorf("the backup's column %s.%s does not exist in the database", bt.Name, c.Name)
		}
		if typ != c.Type {
			return fmt.Errorf("column %s.%s is %s in the backup and %s in the database", bt.Name, c.Name, c.Type, typ)
		}
	}
	return nil
}

// dependencyOrder sorts the tables so that a table comes after those its
// foreign keys reference (self references need no order: COPY checks them
// at its end), by name among equals. Tables referencing each other in a
// cycle are refused.
func dependencyOrder(ctx context.Context, tx pgx.Tx, tables []BackupTable) ([]BackupTable, error) {
	rows, err := tx.Query(ctx, `SELECT DISTINCT c.relname, r.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE k.contype = 'f' AND n.nspname = current_schema() AND r.relnamespace = c.relnamespace AND c.oid <> r.oid`)
	if err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	deps := map[string]map[string]bool{}
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			rows.Close()
			return nil, fmt.Errorf("foreign keys: %w", err)
		}
		if deps[from] == nil {
			deps[from] = map[string]bool{}
		}
		deps[from][to] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	in := map[string]bool{}
	for _, t := range tables {
		in[t.Name] = true
	}
	sorted := append([]BackupTable(nil), tables...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	done := map[string]bool{}
	var out []BackupTable
	for len(out) < len(sorted) {
		progress := false
		for _, t := range sorted {
			if done[t.Name] {
				continue
			}
			ready := true
			for dep := range deps[t.Name] {
				if in[dep] && !done[dep] {
					ready = false
					break
				}
			}
			if ready {
				done[t.Name] = true
				out = append(out, t)
				progress = true
			}
		}
		if !progress {
			var left []string
			for _, t := range sorted {
				if !done[t.Name] {
					left = append(left, t.Name)
				}
			}
			return nil, fmt.Errorf("the tables %s reference each other in a cycle; no load order", strings.Join(left, ", "))
		}
	}
	return out, nil
}

// restoreSequences sets each sequence as the backup recorded it, and never
// below the largest value its column holds.
func restoreSequences(ctx context.Context, tx pgx.Tx, schema string, seqs []BackupSequence) error {
	for _, s := range seqs {
		name := pgx.Identifier{schema, s.Name}.Sanitize()
		if _, err := tx.Exec(ctx, `SELECT setval($1::regclass, $2, $3)`, name, s.LastValue, s.IsCalled); err != nil {
			return fmt.Errorf("sequence %s: %w", s.Name, err)
		}
	}
	rows, err := tx.Query(ctx, `SELECT c.relname, a.attname, s.relname FROM pg_depend d
		JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
		JOIN pg_class c ON c.oid = d.refobjid
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
		  AND d.deptype IN ('a', 'i') AND n.nspname = current_schema()`)
	if err != nil {
		return fmt.Errorf("owned sequences: %w", err)
	}
	type owned struct{ table, column, seq string }
	var list []owned
	for rows.Next() {
		var o owned
		if err := rows.Scan(&o.table, &o.column, &o.seq); err != nil {
			rows.Close()
			return fmt.Errorf("owned sequences: %w", err)
		}
		list = append(list, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("owned sequences: %w", err)
	}
	for _, o := range list {
		seq := pgx.Identifier{schema, o.seq}.Sanitize()
		q := fmt.Sprintf(`SELECT setval($1::regclass, x.m) FROM (SELECT MAX(%s) AS m FROM %s) x, %s s
			WHERE x.m > s.last_value OR (x.m = s.last_value AND NOT s.is_called)`,
			pgx.Identifier{o.column}.Sanitize(), pgx.Identifier{schema, o.table}.Sanitize(), seq)
		if _, err := tx.Exec(ctx, q, seq); err != nil {
			return fmt.Errorf("sequence %s: %w", o.seq, err)
		}
	}
	return nil
}

// txQuerier and connQuerier adapt pgx.Tx and *pgx.Conn to pgxQuerier.
type txQuerier struct{ tx pgx.Tx }

func (q txQuerier) Query(ctx context.Context, s string, args ...any) (pgx.Rows, error) {
	return q.tx.Query(ctx, s, args...)
}
func (q txQuerier) QueryRow(ctx context.Context, s string, args ...any) pgx.Row {
	return q.tx.QueryRow(ctx, s, args...)
}

type connQuerier struct{ c *pgx.Conn }

func (q connQuerier) Query(ctx context.Context, s string, args ...any) (pgx.Rows, error) {
	return q.c.Query(ctx, s, args...)
}
func (q connQuerier) QueryRow(ctx context.Context, s string, args ...any) pgx.Row {
	return q.c.QueryRow(ctx, s, args...)
}
