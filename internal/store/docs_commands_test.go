package store_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// docText is a document of docs/ with every run of white space (line
// breaks and list indents included) made one space, so an inline command
// broken over lines reads as written.
func docText(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/" + name)
	require.NoError(t, err)
	return strings.Join(strings.Fields(string(b)), " ")
}

// inline returns the document's first inline command (`…`) matching re.
func inline(t *testing.T, doc, re string) string {
	t.Helper()
	m := regexp.MustCompile("`(" + re + ")`").FindStringSubmatch(doc)
	require.Len(t, m, 2, "the document shows `%s`", re)
	return m[1]
}

// TestDocsDatabaseCommands runs the SQL and the PostgreSQL client commands
// docs/operations.md and docs/scaling.md show, as they show them (the
// placeholders filled), on the databases they are meant for: letting a
// throttled address in (both), VACUUM after migration 00011 (SQLite:
// VACUUM; PostgreSQL: VACUUM FULL invoices), the archive's size
// (scaling.md), `unzip -l`/`unzip -p FILE manifest.json` on a native
// backup, and the pg_restore command the restore names for an old
// pg_dump file (with pg_dump --format=custom, when the machine has
// PostgreSQL's client tools of the server's major version).
func TestDocsDatabaseCommands(t *testing.T) {
	t.Parallel()
	ops, scaling := docText(t, "operations.md"), docText(t, "scaling.md")
	letIn := inline(t, ops, `DELETE FROM login_failures WHERE ip = '…'`)
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		require.NoError(t, st.RecordLoginFailure(ctx, "h1", "192.0.2.7", now))
		require.NoError(t, st.RecordLoginFailure(ctx, "h2", "192.0.2.8", now))
		res, err := st.DB().ExecContext(ctx, strings.Replace(letIn, "…", "192.0.2.7", 1))
		require.NoError(t, err)
		n, err := res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "that address's failures, no other")

		if st.Dialect() == store.SQLite {
			_, err = st.DB().ExecContext(ctx, inline(t, ops, `VACUUM`))
			require.NoError(t, err)
			return
		}
		_, err = st.DB().ExecContext(ctx, inline(t, ops, `VACUUM FULL invoices`))
		require.NoError(t, err)
		var size int64
		require.NoError(t, st.DB().QueryRowContext(ctx, inline(t, scaling, `SELECT pg_total_relation_size\('invoices'\)`)).Scan(&size))
		require.Positive(t, size)

		// §5: what is inside a backup.
		_, err = st.CreateCompany(ctx, "12345674", "ALFA SOFT SRL")
		require.NoError(t, err)
		file := filepath.Join(t.TempDir(), "efactura.bak")
		_, err = store.Backup(ctx, st, file, store.BackupOptions{})
		require.NoError(t, err)
		if _, err := exec.LookPath("unzip"); err != nil {
			t.Log("unzip not installed: `unzip -l FILE` and `unzip -p FILE manifest.json` not run")
		} else {
			for _, c := range []string{inline(t, ops, `unzip -l FILE`), inline(t, ops, `unzip -p FILE manifest.json`)} {
				args := strings.Fields(strings.Replace(c, "FILE", file, 1))
				out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
				require.NoError(t, err, "%s: %s", c, out)
				t.Logf("$ %s\n%.600s", c, out)
				if strings.HasSuffix(c, "manifest.json") {
					var m store.BackupManifest
					require.NoError(t, json.Unmarshal(out, &m))
					require.NotEmpty(t, m.Tables)
				} else {
					require.Contains(t, string(out), "manifest.json")
					require.Contains(t, string(out), "mimetype")
				}
			}
		}
		pgRestoreAsDocumented(t, ops, st)
	})
}

// pgRestoreAsDocumented: a pg_dump --format=custom file of st, refused by
// `efactura restore`'s store.Restore with the pg_restore command, which,
// run as the document writes it, loads it into a new database.
func pgRestoreAsDocumented(t *testing.T, ops string, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	dump, errD := exec.LookPath("pg_dump")
	_, errR := exec.LookPath("pg_restore")
	if errD != nil || errR != nil {
		t.Log("PostgreSQL's client tools are not installed: the pg_restore command not run")
		return
	}
	var server int
	require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT current_setting('server_version_num')::int / 10000`).Scan(&server))
	ver, err := exec.Command(dump, "--version").Output()
	require.NoError(t, err)
	m := regexp.MustCompile(`(\d+)\.\d+`).FindStringSubmatch(string(ver))
	require.Len(t, m, 2, "%s", ver)
	if major, _ := strconv.Atoi(m[1]); major < server {
		t.Logf("pg_dump %s is older than the server (%d): the pg_restore command not run", m[1], server)
		return
	}
	var name string
	require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT current_database()`).Scan(&name))
	u, err := url.Parse(os.Getenv(storetest.EnvDatabaseURL))
	require.NoError(t, err)
	u.Path = "/" + name
	src := u.String()
	file := filepath.Join(t.TempDir(), "old.dump")
	out, err := exec.Command(dump, "--format=custom", "--file="+file, "--dbname="+src).CombinedOutput()
	require.NoError(t, err, "%s", out)

	_, dstURL := storetest.Fresh(t, store.Postgres)
	err = store.Restore(ctx, dstURL, file, store.RestoreOptions{})
	require.Error(t, err)
	cmd := inline(t, ops, `pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --dbname=… FILE`)
	require.Contains(t, err.Error(), "pg_restore --no-owner --no-privileges --single-transaction --exit-on-error", "the refusal names the command")
	args := strings.Fields(strings.NewReplacer("--dbname=…", "--dbname="+dstURL, "FILE", file).Replace(cmd))
	out, err = exec.Command(args[0], args[1:]...).CombinedOutput()
	require.NoError(t, err, "%s: %s", cmd, out)
	dst, err := store.Open(ctx, dstURL, store.PoolConfig{})
	require.NoError(t, err)
	defer dst.Close()
	var n int
	require.NoError(t, dst.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM companies WHERE cif = '12345674'`).Scan(&n))
	require.Equal(t, 1, n, "the dump's company, loaded by the documented pg_restore")
	t.Logf("$ %s → loaded (pg_dump/pg_restore %s, server %d)", cmd, m[1], server)
}
