package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
)

func TestBackupRestoreVerifyCommands(t *testing.T) {
	t.Parallel()
	r := newRunner(t)
	code, _, errOut := r.run("migrate", "up")
	require.Equal(t, 0, code, errOut)
	code, _, errOut = r.run("company", "add", "RO12345674", "--name", "ALFA SOFT SRL")
	require.Equal(t, 0, code, errOut)

	code, out, errOut := r.run("verify-archive")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "0 chain entries checked, 0 exported heads compared, 0 problems")

	backup := filepath.Join(t.TempDir(), "b.db")
	code, out, errOut = r.run("backup", "--out", backup)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "backup written to "+backup)
	code, _, _ = r.run("backup", "--out", backup)
	require.Equal(t, 1, code, "an existing file is never overwritten")

	// The backup is recorded for the "last backup" metric.
	st, err := store.Open(context.Background(), r.env["DATABASE_URL"], store.PoolConfig{})
	require.NoError(t, err)
	at, err := st.LastBackupAt(context.Background())
	require.NoError(t, err)
	require.NotNil(t, at)
	require.NoError(t, st.Close())

	code, _, errOut = r.run("restore", "--in", backup)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "empty database")
	code, out, errOut = r.run("restore", "--in", backup, "--check")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "is intact (SQLite integrity check ok)")

	// Onto a new machine: the database's directory does not exist yet.
	r2 := newRunner(t)
	r2.env["DATABASE_URL"] = "sqlite:" + filepath.Join(t.TempDir(), "new", "data", "efactura.db")
	code, _, errOut = r2.run("restore", "--in", backup)
	require.Equal(t, 0, code, errOut)
	code, out, errOut = r2.run("company", "list")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "12345674")
}

func TestProbeCommand(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	r := newRunner(t)
	code, out, _ := r.run("probe", srv.URL+"/healthz")
	require.Equal(t, 0, code)
	require.Equal(t, "ok\n", out)
	code, _, errOut := r.run("probe", srv.URL+"/nothing")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "HTTP 404")
}
