package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// runbookPrelude stands in, for the runbook blocks of docs/operations.md,
// for what a test cannot have: root (sudo runs the command as it is), the
// efactura user (install drops -o/-g), systemd (systemctl start/stop/
// restart efactura runs `efactura serve` in the background with the unit's
// EnvironmentFile, environment and working directory, and waits for
// /readyz; systemd-run runs its command in the foreground with the
// EnvironmentFile=, Environment= and WorkingDirectory= properties it is
// given, the user and terminal options dropped), and `efa` (§1: the binary
// with the same environment). $M is the machine's root directory, $ADDR
// the gateway's listen address.
const runbookPrelude = `set -euo pipefail
sudo() { "$@"; }
install() {
  local a=()
  while [ $# -gt 0 ]; do case "$1" in -o|-g) shift 2;; *) a+=("$1"); shift;; esac; done
  command install "${a[@]}"
}
efa() (
  set -a; . "$M/etc/efactura/efactura.env"; set +a
  export EFACTURA_ENV=production EFACTURA_DATA_DIR="$M/var/lib/efactura"
  cd "$M/var/lib/efactura"
  exec efactura "$@"
)
gw_start() {
  mkdir -p "$M/run"
  ( set -a; . "$M/etc/efactura/efactura.env"; set +a
    export EFACTURA_ENV=production EFACTURA_DATA_DIR="$M/var/lib/efactura"
    cd "$M/var/lib/efactura"
    exec efactura serve ) </dev/null >>"$M/efactura.log" 2>&1 &
  echo $! >"$M/run/efactura.pid"
  for _ in $(seq 1 600); do
    if curl -fsS "http://$ADDR/readyz" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$(cat "$M/run/efactura.pid")" 2>/dev/null; then
      echo "efactura.service failed:" >&2; tail -n 5 "$M/efactura.log" >&2; rm -f "$M/run/efactura.pid"; return 1
    fi
    sleep 0.1
  done
  echo "efactura.service not ready after 60 s" >&2; return 1
}
gw_stop() {
  [ -f "$M/run/efactura.pid" ] || return 0
  local pid; pid=$(cat "$M/run/efactura.pid")
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$M/run/efactura.pid"
}
systemd-run() {
  local ef="" wd=/ env=()
  while [ $# -gt 0 ]; do case "$1" in
    --quiet|--wait|--pty|--uid=*|--gid=*) shift;;
    -p) case "$2" in
          EnvironmentFile=*) ef=${2#EnvironmentFile=};;
          Environment=*) env+=("${2#Environment=}");;
          WorkingDirectory=*) wd=${2#WorkingDirectory=};;
          *) echo "systemd-run stand-in: unknown property $2" >&2; return 1;;
        esac; shift 2;;
    -*) echo "systemd-run stand-in: unknown option $1" >&2; return 1;;
    *) break;;
  esac; done
  ( set -a; if [ -n "$ef" ]; then . "$ef"; fi; set +a
    for e in "${env[@]}"; do export "$e"; done
    cd "$wd" && exec "$@" )
}
systemctl() {
  [ "${2:-}" = efactura ] || { echo "systemctl stand-in: only start|stop|restart efactura" >&2; return 1; }
  case "$1" in start) gw_start;; stop) gw_stop;; restart) gw_stop; gw_start;; *) return 1;; esac
}
`

// runbookBlock returns the sh block that follows "<!-- runbook: name -->"
// in docs/operations.md, unindented.
func runbookBlock(t *testing.T, doc, name string) string {
	t.Helper()
	return markedBlock(t, doc, name, "sh")
}

// markedBlock returns the lang block that follows "<!-- runbook: name -->"
// in docs/operations.md, unindented.
func markedBlock(t *testing.T, doc, name, lang string) string {
	t.Helper()
	marker := "<!-- runbook: " + name + " -->"
	i := strings.Index(doc, marker)
	require.GreaterOrEqual(t, i, 0, "docs/operations.md has no %s", marker)
	rest := doc[i+len(marker):]
	fence := "```" + lang + "\n"
	open := strings.Index(rest, fence)
	require.GreaterOrEqual(t, open, 0)
	require.Empty(t, strings.TrimSpace(rest[:open]), "the block must follow the marker")
	body := rest[open+len(fence):]
	end := strings.Index(body, "```")
	require.GreaterOrEqual(t, end, 0)
	var out []string
	for _, line := range strings.Split(body[:end], "\n") {
		out = append(out, strings.TrimPrefix(line, "  "))
	}
	return strings.Join(out, "\n")
}

// machine is a host of the runbooks: /etc/efactura, /var/lib/efactura and
// /var/backups/efactura under root, the gateway on addr.
type machine struct {
	root, addr string
}

func newMachine(t *testing.T) *machine {
	t.Helper()
	m := &machine{root: t.TempDir(), addr: freeAddr(t)}
	require.NoError(t, os.MkdirAll(filepath.Join(m.root, "etc/efactura"), 0o700))
	require.NoError(t, os.MkdirAll(filepath.Join(m.root, "var/backups/efactura"), 0o700))
	t.Cleanup(func() { m.stop() })
	return m
}

func (m *machine) path(p string) string { return filepath.Join(m.root, p) }

// stop ends a gateway the runbook left running.
func (m *machine) stop() {
	b, err := os.ReadFile(m.path("run/efactura.pid"))
	if err != nil {
		return
	}
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil || pid <= 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for range 200 {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// run executes a runbook block on the machine, with its paths and port
// moved into it; it returns the combined output and fails on a non-zero exit.
func (m *machine) run(t *testing.T, binDir, block string) string {
	t.Helper()
	script := strings.NewReplacer(
		"/etc/efactura", m.path("etc/efactura"),
		"/var/lib/efactura", m.path("var/lib/efactura"),
		"/var/backups/efactura", m.path("var/backups/efactura"),
		"127.0.0.1:8080", m.addr,
		"/usr/local/bin/efactura", "efactura", // installed: the built binary on PATH
	).Replace(block)
	cmd := exec.Command("bash", "-c", runbookPrelude+script)
	cmd.Env = append(os.Environ(), "M="+m.root, "ADDR="+m.addr, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(m.path("efactura.log"))
		t.Fatalf("runbook block failed: %v\n--- script\n%s\n--- output\n%s\n--- gateway log (tail)\n%s", err, script, out, tail(log, 3000))
	}
	return string(out)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// envFile reads KEY=value lines.
func envFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// TestOperationsRunbooks follows docs/operations.md's key rotation and
// backup/restore runbooks literally (issue 15 items 11 and 12): the built
// binary, a production configuration in /etc/efactura/efactura.env made
// with `efactura keygen`, a SQLite database with invoices and an ANAF
// connection (seeded by `serve --demo` against a simulator), then the
// rotate-key block, the backup block, the environment file and the backup
// carried to a new machine whose /var/lib/efactura does not exist, and the
// restore block; after each, the data and the ANAF connection are checked.
func TestOperationsRunbooks(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	docB, err := os.ReadFile("../../docs/operations.md")
	require.NoError(t, err)
	doc := string(docB)
	rotateBlock, backupBlock, restoreBlock := runbookBlock(t, doc, "rotate-key"), runbookBlock(t, doc, "backup"), runbookBlock(t, doc, "restore")
	operatorBlock, timer := runbookBlock(t, doc, "operator"), timerCommand(t, markedBlock(t, doc, "backup-timer", "ini"))

	binDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, "efactura"), "../../cmd/efactura")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	// The backups are the gateway's own (issue 18 item 4): PostgreSQL's
	// client tools, present on this machine or not, must never be called.
	for _, tool := range []string{"pg_dump", "pg_restore", "psql"} {
		require.NoError(t, os.WriteFile(filepath.Join(binDir, tool),
			[]byte("#!/bin/sh\necho \"runbook: $0 must not be called\" >&2\nexit 97\n"), 0o700))
	}
	blocks := runbooks{operator: operatorBlock, rotate: rotateBlock, backup: backupBlock, restore: restoreBlock, timer: timer}
	t.Run("SQLite", func(t *testing.T) { t.Parallel(); followRunbooks(t, binDir, blocks, store.SQLite) })
	t.Run("PostgreSQL", func(t *testing.T) { t.Parallel(); followRunbooks(t, binDir, blocks, store.Postgres) })
}

// runbooks are the blocks of docs/operations.md.
type runbooks struct{ operator, rotate, backup, restore, timer string }

// timerCommand is the daily backup service of docs/operations.md as the
// systemd-run stand-in runs it: the [Service]'s EnvironmentFile=,
// Environment= and WorkingDirectory=, and its ExecStart= with systemd's
// escapes undone (%% is %, $$ is $).
func timerCommand(t *testing.T, ini string) string {
	t.Helper()
	var props []string
	var exec string
	for _, line := range strings.Split(ini, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		switch k {
		case "EnvironmentFile", "Environment", "WorkingDirectory":
			props = append(props, "-p "+k+"="+v)
		case "ExecStart":
			require.Empty(t, exec, "one ExecStart=")
			exec = strings.NewReplacer("%%", "%", "$$", "$").Replace(v)
		}
	}
	require.NotEmpty(t, exec, "the backup service has an ExecStart=")
	require.Len(t, props, 4, "EnvironmentFile=, two Environment= and WorkingDirectory=")
	return "sudo systemd-run --quiet --wait --uid=efactura " + strings.Join(props, " ") + " " + exec
}

// followRunbooks runs the runbooks on dialect d: SQLite at
// /var/lib/efactura/data/efactura.db (whose directory the new machine does
// not have), or PostgreSQL databases created empty for each machine (the
// "createdb" the restore runbook asks for).
func followRunbooks(t *testing.T, binDir string, rb runbooks, d store.Dialect) {
	oldDB, newDB := "sqlite:/var/lib/efactura/data/efactura.db", "sqlite:/var/lib/efactura/data/efactura.db"
	if d == store.Postgres {
		_, oldDB = storetest.Fresh(t, d)
		_, newDB = storetest.Fresh(t, d)
	}
	sim, err := anafsim.New(anafsim.Options{AutoApprove: true, NoQuotas: true, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	_, err = sim.LoadFiles(invoicegen.Generate(12, 15))
	require.NoError(t, err)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	want := 0
	var cif string
	for c, n := range sim.CIFs() {
		want += n
		if cif == "" || c < cif {
			cif = c
		}
	}

	// §1: the environment file, keygen's two lines and the rest.
	old := newMachine(t)
	keygen, err := exec.Command(filepath.Join(binDir, "efactura"), "keygen").Output()
	require.NoError(t, err)
	conf := string(keygen) + strings.Join([]string{
		"DATABASE_URL=" + oldDB,
		"EFACTURA_BASE_URL=https://efactura.example.ro",
		"EFACTURA_ADDR=127.0.0.1:8080",
		"EFACTURA_ANAF_BASE_URL=" + srv.URL,
		"EFACTURA_ANAF_OAUTH_URL=" + srv.URL,
		"EFACTURA_ANAF_CLIENT_ID=runbook-client",
		"EFACTURA_ANAF_CLIENT_SECRET=runbook-client-secret",
		"EFACTURA_LOG_LEVEL=warn",
	}, "\n") + "\n"
	writeEnv := func(m *machine, conf string) {
		conf = strings.NewReplacer("/var/lib/efactura", m.path("var/lib/efactura"), "127.0.0.1:8080", m.addr).Replace(conf)
		require.NoError(t, os.WriteFile(m.path("etc/efactura/efactura.env"), []byte(conf), 0o600))
	}
	writeEnv(old, conf)
	firstKey := envFile(t, old.path("etc/efactura/efactura.env"))["EFACTURA_ENCRYPTION_KEY"]
	firstKID, _, _ := strings.Cut(firstKey, ":")

	// Data: users, companies, invoices and an ANAF connection sealed with
	// the first key (the demo, in development mode, on that database).
	seed(t, binDir, old, strings.Replace(oldDB, "/var/lib/efactura", old.path("var/lib/efactura"), 1), want)
	oldURL := strings.Replace(oldDB, "/var/lib/efactura", old.path("var/lib/efactura"), 1)
	requireTokensUnder(t, oldURL, firstKey, firstKID)
	old.run(t, binDir, "sudo systemctl start efactura")

	// §1's operator commands, as written (efa through systemd-run).
	out := old.run(t, binDir, rb.operator)
	require.Regexp(t, `user admin@example\.ro created \(id [0-9]+\)`, out)
	require.Contains(t, out, "(up to date)")

	// Key rotation, as written.
	out = old.run(t, binDir, rb.rotate)
	require.Contains(t, out, "2 secrets, 2 would be re-encrypted", out)
	require.Regexp(t, `2 secrets, 2 re-encrypted with key "k[0-9]{8}-[0-9a-f]{6}"`, out)
	require.Contains(t, out, "2 secrets, 0 would be re-encrypted", "after the old key is gone")
	newKey := envFile(t, old.path("etc/efactura/efactura.env"))["EFACTURA_ENCRYPTION_KEY"]
	require.NotContains(t, newKey, ",", "only the new key is left")
	newKID, _, _ := strings.Cut(newKey, ":")
	require.NotEqual(t, firstKID, newKID)
	requireTokensUnder(t, oldURL, newKey, newKID)
	requireSyncs(t, binDir, old, sim, cif)
	apiKey, err := os.ReadFile(old.path("apikey"))
	require.NoError(t, err)
	served := invoicesPage(t, old, string(apiKey))

	// Backup, as written; the backup and the environment file go to a new machine.
	old.run(t, binDir, rb.backup)
	backups, err := filepath.Glob(old.path("var/backups/efactura/efactura-*.bak"))
	require.NoError(t, err)
	require.Len(t, backups, 1)
	fresh := newMachine(t)
	_, err = os.Stat(fresh.path("var/lib/efactura"))
	require.ErrorIs(t, err, os.ErrNotExist, "a new machine")
	b, err := os.ReadFile(backups[0])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(fresh.path("var/backups/efactura/"+filepath.Base(backups[0])), b, 0o600))
	moved, err := os.ReadFile(old.path("etc/efactura/efactura.env"))
	require.NoError(t, err)
	writeEnv(fresh, strings.NewReplacer(old.path("var/lib/efactura"), "/var/lib/efactura", old.addr, "127.0.0.1:8080",
		"DATABASE_URL="+oldDB, "DATABASE_URL="+newDB).Replace(string(moved)))

	// Restore, as written, into the fresh directory; the gateway starts.
	out = fresh.run(t, binDir, rb.restore)
	require.Contains(t, out, "ok")
	require.Contains(t, out, fmt.Sprintf("%d chain entries checked, 0 exported heads compared, 0 problems", want))
	require.Equal(t, served, invoicesPage(t, fresh, string(apiKey)), "the same invoices, the same API key")
	requireTokensUnder(t, strings.Replace(newDB, "/var/lib/efactura", fresh.path("var/lib/efactura"), 1), newKey, newKID)
	requireSyncs(t, binDir, fresh, sim, cif)

	// The daily backup service's command, as its unit runs it. Its file
	// name has a one-second resolution, like the copied backup's: on an
	// idle machine the steps above take less than a second, and the timer
	// would find its name taken (the backup refuses to overwrite).
	time.Sleep(1100 * time.Millisecond)
	out = fresh.run(t, binDir, rb.timer)
	require.Contains(t, out, "backup written to "+fresh.path("var/backups/efactura/efactura-"))
	require.Contains(t, out, " is intact")
	require.Contains(t, out, fmt.Sprintf("%d chain entries checked, 0 exported heads compared, 0 problems", want))
	backups, err = filepath.Glob(fresh.path("var/backups/efactura/efactura-*.bak"))
	require.NoError(t, err)
	require.Len(t, backups, 2, "the copied backup and the timer's")
}

// seed runs `efactura serve --demo` (development) on the machine's
// database until the simulator's want messages are archived.
func seed(t *testing.T, binDir string, m *machine, dbURL string, want int) {
	t.Helper()
	require.NoError(t, os.MkdirAll(m.path("var/lib/efactura"), 0o700)) // StateDirectory=
	env := envFile(t, m.path("etc/efactura/efactura.env"))
	cmd := exec.Command(filepath.Join(binDir, "efactura"), "serve", "--demo")
	cmd.Env = append(os.Environ(), "EFACTURA_DATA_DIR="+m.path("var/lib/efactura"))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if key, ok := strings.CutPrefix(sc.Text(), "api key: "); ok {
			require.NoError(t, os.WriteFile(m.path("apikey"), []byte(key), 0o600))
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	require.FileExists(t, m.path("apikey"), "the demo did not start: %s", stderr.String())
	st, err := store.Open(context.Background(), dbURL, store.PoolConfig{})
	require.NoError(t, err)
	defer st.Close()
	require.Eventually(t, func() bool {
		var n, open int
		_ = st.DB().QueryRow(`SELECT COUNT(*) FROM invoices`).Scan(&n)
		_ = st.DB().QueryRow(`SELECT COUNT(*) FROM sync_runs WHERE finished_at IS NULL`).Scan(&open)
		return n == want && open == 0
	}, 60*time.Second, 50*time.Millisecond, "the demo did not archive the simulator's %d messages", want)
}

// requireTokensUnder: every ANAF token in the database is sealed under kid
// and opens with spec alone.
func requireTokensUnder(t *testing.T, dbURL, spec, kid string) {
	t.Helper()
	ring, err := secretbox.Parse(spec)
	require.NoError(t, err)
	st, err := store.Open(context.Background(), dbURL, store.PoolConfig{})
	require.NoError(t, err)
	defer st.Close()
	rows, err := st.DB().Query(`SELECT access_token_enc, refresh_token_enc, status FROM anaf_tokens`)
	require.NoError(t, err)
	defer rows.Close()
	n := 0
	for rows.Next() {
		var a, r []byte
		var status string
		require.NoError(t, rows.Scan(&a, &r, &status))
		require.Equal(t, "connected", status)
		for _, ct := range [][]byte{a, r} {
			k, err := secretbox.KIDOf(ct)
			require.NoError(t, err)
			require.Equal(t, kid, k)
			_, err = ring.Decrypt(ct)
			require.NoError(t, err)
		}
		n++
	}
	require.NoError(t, rows.Err())
	require.Equal(t, 1, n, "the demo admin's ANAF connection")
}

// requireSyncs: `efa sync` of a company works with the stored (rotated,
// restored) ANAF connection: ANAF (the simulator) is called and answers.
func requireSyncs(t *testing.T, binDir string, m *machine, sim *anafsim.Server, cif string) {
	t.Helper()
	before := sim.Stats().Calls
	out := m.run(t, binDir, "efa sync --company "+cif)
	require.Regexp(t, regexp.MustCompile(`company `+cif+`: found [0-9]+, new 0, failed 0`), out)
	after := sim.Stats().Calls
	require.Greater(t, after["listaMesajePaginatieFactura"], before["listaMesajePaginatieFactura"], "ANAF was asked")
	require.Equal(t, before["token"], after["token"], "with the stored access token as it was (no refresh, no reconnect)")
}

// invoicesPage is what the running gateway serves to the demo's API key.
func invoicesPage(t *testing.T, m *machine, key string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+m.addr+"/api/v1/invoices?per_page=100", nil)
	require.NoError(t, err)
	req.Header.Set("X-API-KEY", key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), `"invoice_number"`, "invoices are served")
	return string(body)
}
