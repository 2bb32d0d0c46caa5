package store_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// parts is what the CLI passes: River's tables besides the store's.
var parts = []store.SchemaPart{jobs.BackupSchema()}

// testJobArgs is a River job inserted only to have rows in River's tables.
type testJobArgs struct {
	Invoice string `json:"invoice"`
}

func (testJobArgs) Kind() string { return "backup_test" }

// populated makes a PostgreSQL database with the store's and River's
// schemas and rows in most tables: users, companies, memberships,
// invoices with ZIPs, an API key, audit events, login failures, a sync
// run and River jobs.
func populated(t *testing.T, invoices int) (*store.Store, string) {
	t.Helper()
	ctx := context.Background()
	st, dbURL := storetest.Fresh(t, store.Postgres)
	require.NoError(t, st.Migrate(ctx))
	require.NoError(t, jobs.Migrate(ctx, st, slog.New(slog.DiscardHandler)))
	u, err := st.CreateUser(ctx, "owner@example.com", "not-a-hash", true, store.UserApproved)
	require.NoError(t, err)
	c, err := st.CreateCompany(ctx, "12345674", "ALFA SOFT SRL")
	require.NoError(t, err)
	require.NoError(t, st.AddMembership(ctx, c.ID, u.ID, store.RoleOwner))
	for i := range invoices {
		inv := sampleInvoice(c.ID, fmt.Sprintf("32%08d", i))
		inv.ZIP = append([]byte("PK\x03\x04"), bytes.Repeat([]byte{byte(i), 0xff, 0x00, '\\', '\n'}, 200+i)...)
		_, err := st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
	}
	require.NoError(t, st.CreateAPIKey(ctx, &store.APIKey{CompanyID: c.ID, UserID: u.ID, Name: "erp \"main\"\ttab",
		Prefix: "efk_abc", Hash: []byte("0123456789abcdef0123456789abcdef"), Scope: store.ScopeRead}))
	require.NoError(t, st.Audit(ctx, &store.AuditEvent{ActorID: &u.ID, Action: "user.login", Target: "user:1", Details: "ă î ș ț — \\N", IP: "192.0.2.1"}))
	require.NoError(t, st.RecordLoginFailure(ctx, "owner@example.com", "192.0.2.1", time.Now()))
	_, err = st.StartSyncRun(ctx, c.ID)
	require.NoError(t, err)
	rc, err := river.NewClient(riverdatabasesql.New(st.DB()), &river.Config{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	for i := range 3 {
		_, err := rc.Insert(ctx, testJobArgs{Invoice: fmt.Sprint(i)}, &river.InsertOpts{Tags: []string{"backup", "restore-test"}})
		require.NoError(t, err)
	}
	return st, dbURL
}

// TestPostgresBackupRestoresEveryTable: every table of the schema — the
// store's, goose's and River's, found in the catalog — comes back with the
// same rows, in both COPY formats; the sequences go on after the restored
// ids; the file is the documented archive.
func TestPostgresBackupRestoresEveryTable(t *testing.T) {
	t.Parallel()
	src, _ := populated(t, 30)
	want := storetest.TableDigests(t, src.DB())
	require.Contains(t, want, "goose_db_version")
	require.Contains(t, want, "river_job")
	require.Contains(t, want, "river_migration")
	for _, format := range []string{store.CopyBinary, store.CopyText} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			out := filepath.Join(t.TempDir(), "efactura.bak")
			m, err := store.Backup(ctx, src, out, store.BackupOptions{Parts: parts, CopyFormat: format})
			require.NoError(t, err)
			fi, err := os.Stat(out)
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			require.Len(t, m.Tables, len(want), "every table of the schema")
			require.Positive(t, m.Migrations["goose"])
			require.Positive(t, m.Migrations["river"])
			for _, tb := range m.Tables {
				require.Contains(t, want[tb.Name], fmt.Sprintf("rows=%d ", tb.Rows), tb.Name)
			}

			// The file: the media type at a fixed offset, the manifest.
			raw, err := os.ReadFile(out)
			require.NoError(t, err)
			require.Equal(t, "mimetype", string(raw[30:38]))
			require.True(t, bytes.HasPrefix(raw[38:], []byte("application/vnd.efactura-gateway.backup+zip")))
			a, err := store.OpenBackup(out)
			require.NoError(t, err)
			require.Equal(t, m.Tables, a.Manifest.Tables)
			for _, tb := range a.Manifest.Tables {
				require.Equal(t, format, tb.Format, "%s: every column of the gateway's tables is built in or an enum", tb.Name)
			}
			require.NotEmpty(t, a.Manifest.ServerVersion)
			require.NotEmpty(t, a.Manifest.GatewayVersion)
			require.NoError(t, a.Verify())
			require.NoError(t, a.Close())

			_, dstURL := storetest.Fresh(t, store.Postgres) // createdb: no schema at all
			require.NoError(t, store.Restore(ctx, dstURL, out, store.RestoreOptions{Parts: parts}))
			dst, err := store.Open(ctx, dstURL, store.PoolConfig{})
			require.NoError(t, err)
			defer dst.Close()
			require.Equal(t, want, storetest.TableDigests(t, dst.DB()))
			pending, err := dst.Pending(ctx)
			require.NoError(t, err)
			require.False(t, pending)

			// New rows get new ids (the identity sequences were restored).
			c, err := dst.CompanyByCIF(ctx, "12345674")
			require.NoError(t, err)
			inserted, err := dst.InsertInvoice(ctx, sampleInvoice(c.ID, "3399999999"))
			require.NoError(t, err)
			require.True(t, inserted)
			_, err = dst.CreateCompany(ctx, "98765438", "BETA TRADING SRL")
			require.NoError(t, err)
			checked, bad, err := dst.VerifyArchive(ctx)
			require.NoError(t, err)
			require.Equal(t, 31, checked)
			require.Empty(t, bad)
		})
	}
}

// rewriteArchive copies the archive at in to a new file, passing every
// entry's content through edit (the ZIP's own CRC-32 is computed again, so
// only the manifest's SHA-256 can notice a change).
func rewriteArchive(t *testing.T, in string, edit func(name string, data []byte) []byte) string {
	t.Helper()
	zr, err := zip.OpenReader(in)
	require.NoError(t, err)
	defer zr.Close()
	out := filepath.Join(t.TempDir(), "edited.bak")
	f, err := os.Create(out)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		if zf.Name == "mimetype" {
			w, err := zw.CreateRaw(&zip.FileHeader{Name: zf.Name, Method: zip.Store, CRC32: zf.CRC32,
				CompressedSize64: zf.UncompressedSize64, UncompressedSize64: zf.UncompressedSize64})
			require.NoError(t, err)
			_, err = w.Write(data)
			require.NoError(t, err)
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zf.Method})
		require.NoError(t, err)
		_, err = w.Write(edit(zf.Name, data))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return out
}

// flipInTable returns the archive at path with one byte in the middle of
// table's data flipped.
func flipInTable(t *testing.T, path, table string) []byte {
	t.Helper()
	a, err := store.OpenBackup(path)
	require.NoError(t, err)
	file := fileOf(t, a.Manifest, table)
	require.NoError(t, a.Close())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	for _, zf := range zr.File {
		if zf.Name == file {
			off, err := zf.DataOffset()
			require.NoError(t, err)
			raw[off+int64(zf.UncompressedSize64)/2] ^= 0x20
			return raw
		}
	}
	t.Fatalf("no entry %s", file)
	return nil
}

// fileOf returns the archive entry holding table's data.
func fileOf(t *testing.T, m *store.BackupManifest, table string) string {
	t.Helper()
	for _, tb := range m.Tables {
		if tb.Name == table {
			return tb.File
		}
	}
	t.Fatalf("no table %s in the backup", table)
	return ""
}

// TestPostgresRestoreRefusals: a damaged archive (a flipped byte the ZIP
// notices; data altered with a valid CRC, which only the SHA-256 catches;
// a truncated file), a database holding data, a backup of a newer schema,
// and an old pg_dump file are refused with a sentence saying so, and leave
// the target database as it was; --force replaces data.
func TestPostgresRestoreRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, srcURL := populated(t, 12)
	good := filepath.Join(t.TempDir(), "good.bak")
	m, err := store.Backup(ctx, src, good, store.BackupOptions{Parts: parts})
	require.NoError(t, err)
	raw, err := os.ReadFile(good)
	require.NoError(t, err)
	invoicesFile := fileOf(t, m, "invoices")

	// A byte flipped inside the invoices' data.
	flippedPath := filepath.Join(t.TempDir(), "flipped.bak")
	require.NoError(t, os.WriteFile(flippedPath, flipInTable(t, good, "invoices"), 0o600))

	// The invoices' data altered, its CRC-32 made valid again.
	altered := rewriteArchive(t, good, func(name string, data []byte) []byte {
		if name == invoicesFile {
			i := bytes.Index(data, []byte("ALFA SOFT SRL"))
			require.Positive(t, i)
			data = append([]byte(nil), data...)
			copy(data[i:], "ALFA HARD SRL")
		}
		return data
	})

	truncated := filepath.Join(t.TempDir(), "truncated.bak")
	require.NoError(t, os.WriteFile(truncated, raw[:len(raw)-64], 0o600))

	newer := rewriteArchive(t, good, func(name string, data []byte) []byte {
		if name != "manifest.json" {
			return data
		}
		var mm map[string]any
		require.NoError(t, json.Unmarshal(data, &mm))
		mm["migrations"].(map[string]any)["goose"] = 99999
		b, err := json.Marshal(mm)
		require.NoError(t, err)
		return b
	})

	pgdump := filepath.Join(t.TempDir(), "old.backup")
	require.NoError(t, os.WriteFile(pgdump, []byte("PGDMP\x01\x0e\x00\x04\x08\x01\x01\x01 and more of a pg_dump file"), 0o600))

	dst, dstURL := storetest.Fresh(t, store.Postgres)
	for _, c := range []struct {
		name, file string
		msg        []string
	}{
		{"flipped byte", flippedPath, []string{"is damaged", "table invoices", "checksum", "nothing was restored"}},
		{"altered data", altered, []string{"is damaged", "table invoices", "SHA-256", "nothing was restored"}},
		{"truncated", truncated, []string{"is damaged", "use another backup"}},
		{"newer gateway", newer, []string{"made by a newer gateway", "schema version 99999"}},
		{"pg_dump file", pgdump, []string{"pg_dump file", "pg_restore"}},
	} {
		err := store.Restore(ctx, dstURL, c.file, store.RestoreOptions{Parts: parts})
		require.Error(t, err, c.name)
		for _, s := range c.msg {
			require.Contains(t, err.Error(), s, c.name)
		}
		empty, err := dst.IsEmpty(ctx)
		require.NoError(t, err)
		require.True(t, empty, "%s: nothing was loaded", c.name)
	}
	a, err := store.OpenBackup(altered)
	require.NoError(t, err)
	require.ErrorContains(t, a.Verify(), "table invoices does not match its checksum")
	require.NoError(t, a.Close())

	// Into a database holding data: refused, unless forced.
	err = store.Restore(ctx, srcURL, good, store.RestoreOptions{Parts: parts})
	require.ErrorContains(t, err, "restore only into an empty database")
	other, otherURL := populated(t, 3)
	err = store.Restore(ctx, otherURL, good, store.RestoreOptions{Parts: parts})
	require.ErrorContains(t, err, "restore only into an empty database")
	require.NoError(t, store.Restore(ctx, otherURL, good, store.RestoreOptions{Parts: parts, Force: true}))
	require.Equal(t, storetest.TableDigests(t, src.DB()), storetest.TableDigests(t, other.DB()))

	// After every refusal, the good backup restores.
	require.NoError(t, store.Restore(ctx, dstURL, good, store.RestoreOptions{Parts: parts}))
	require.Equal(t, storetest.TableDigests(t, src.DB()), storetest.TableDigests(t, dst.DB()))
}

// TestPostgresRestoreRefusesNewerSchema: a database already migrated
// past the backup's version is not silently mixed with older data.
func TestPostgresRestoreRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, _ := populated(t, 2)
	good := filepath.Join(t.TempDir(), "good.bak")
	_, err := store.Backup(ctx, src, good, store.BackupOptions{Parts: parts})
	require.NoError(t, err)
	// The target is at the newest River version; a backup recording an
	// older one must be refused before anything is loaded.
	edited := rewriteArchive(t, good, func(name string, data []byte) []byte {
		if name != "manifest.json" {
			return data
		}
		var mm map[string]any
		require.NoError(t, json.Unmarshal(data, &mm))
		mm["migrations"].(map[string]any)["river"] = 1
		b, err := json.Marshal(mm)
		require.NoError(t, err)
		return b
	})
	dst, dstURL := storetest.Fresh(t, store.Postgres)
	require.NoError(t, dst.Migrate(ctx))
	require.NoError(t, jobs.Migrate(ctx, dst, slog.New(slog.DiscardHandler)))
	err = store.Restore(ctx, dstURL, edited, store.RestoreOptions{Parts: parts})
	require.ErrorContains(t, err, "newer than the backup's (1): restore into a new, empty database")
}

// TestPostgresBackupAnyTable: a table the code has never heard of — here
// made by hand, with an array of an enum, a composite type, a generated
// column, an identity, a foreign key and a trigger keeping a count in
// another table (not run again by the restore: the count is in the
// backup) — is backed up and restored like
// the others (a migration adding tables or columns needs no change to the
// backup). Its types' OIDs differ between the two databases, so it is
// copied in text; the gateway's tables in binary.
func TestPostgresBackupAnyTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const ddl = `CREATE TYPE mood AS ENUM ('ok', 'sad');
		CREATE TYPE pair AS (a int, b text);
		CREATE TABLE extra (
			id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
			company_id bigint NOT NULL REFERENCES companies (id),
			moods mood[] NOT NULL,
			p pair,
			label text GENERATED ALWAYS AS ('extra-' || id) STORED);
		CREATE TABLE extra_counts (company_id bigint PRIMARY KEY, n bigint NOT NULL);
		CREATE FUNCTION extra_count() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			INSERT INTO extra_counts VALUES (NEW.company_id, 1)
				ON CONFLICT (company_id) DO UPDATE SET n = extra_counts.n + 1;
			RETURN NULL;
		END $$;
		CREATE TRIGGER extra_count AFTER INSERT ON extra FOR EACH ROW EXECUTE FUNCTION extra_count();`
	src, _ := populated(t, 2)
	_, err := src.DB().ExecContext(ctx, ddl)
	require.NoError(t, err)
	_, err = src.DB().ExecContext(ctx, `INSERT INTO extra (company_id, moods, p)
		SELECT id, ARRAY['ok', 'sad']::mood[], ROW(7, 'ș "q"')::pair FROM companies`)
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "any.bak")
	m, err := store.Backup(ctx, src, out, store.BackupOptions{Parts: parts})
	require.NoError(t, err)
	for _, tb := range m.Tables {
		want := store.CopyBinary
		if tb.Name == "extra" {
			want = store.CopyText
			require.Equal(t, []string{"id", "company_id", "moods", "p"}, columnNames(tb), "the generated column is computed again")
		}
		require.Equal(t, want, tb.Format, tb.Name)
	}

	dst, dstURL := storetest.Fresh(t, store.Postgres)
	require.NoError(t, dst.Migrate(ctx))
	require.NoError(t, jobs.Migrate(ctx, dst, slog.New(slog.DiscardHandler)))
	_, err = dst.DB().ExecContext(ctx, `CREATE TYPE unrelated AS ENUM ('x'); CREATE TYPE unrelated2 AS (z int);`+ddl)
	require.NoError(t, err)
	require.NoError(t, store.Restore(ctx, dstURL, out, store.RestoreOptions{Parts: parts}))
	require.Equal(t, storetest.TableDigests(t, src.DB()), storetest.TableDigests(t, dst.DB()))
	var counted int
	require.NoError(t, dst.DB().QueryRowContext(ctx, `SELECT n FROM extra_counts`).Scan(&counted))
	require.Equal(t, 1, counted, "the trigger did not count the restored row again")
	_, err = dst.DB().ExecContext(ctx, `INSERT INTO extra (company_id, moods) SELECT id, '{}' FROM companies`)
	require.NoError(t, err, "the identity goes on after the restored ids")
	require.NoError(t, dst.DB().QueryRowContext(ctx, `SELECT n FROM extra_counts`).Scan(&counted))
	require.Equal(t, 2, counted, "the trigger is enabled again")
}

func columnNames(tb store.BackupTable) []string {
	var out []string
	for _, c := range tb.Columns {
		out = append(out, c.Name)
	}
	return out
}
