package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// installPrelude adds, to runbookPrelude, stand-ins for what §1's install
// block needs beyond it: `make build` (the binary the test built, put
// where the Makefile puts it), `useradd` (no efactura user is made: the
// test runs as one user), `sudoedit` (appends $M/edit, the settings an
// operator types), and systemctl's daemon-reload (the unit must be in
// /etc/systemd/system), enable --now (StateDirectory=: /var/lib/efactura
// is made, then the gateway starts as for start) and status.
const installPrelude = `
make() { [ "$*" = build ] || { echo "make stand-in: only make build" >&2; return 1; }
  mkdir -p bin && cp "$EFACTURA_BUILT" bin/efactura && echo "make stand-in: bin/efactura"; }
useradd() { echo "useradd stand-in: $*"; }
sudoedit() { cat "$M/edit" >>"$1"; }
systemctl() {
  case "$1 ${2:-} ${3:-}" in
    "daemon-reload  ") [ -f "$M/etc/systemd/system/efactura.service" ];;
    "enable --now efactura") install -d -m 0700 "$M/var/lib/efactura" && gw_start;;
    "status efactura ") kill -0 "$(cat "$M/run/efactura.pid")" && echo "efactura.service: active (running)";;
    "start efactura "|"stop efactura "|"restart efactura ")
      case "$1" in start) install -d -m 0700 "$M/var/lib/efactura"; gw_start;; stop) gw_stop;; restart) gw_stop; gw_start;; esac;;
    *) echo "systemctl stand-in: $* is not stood in for" >&2; return 1;;
  esac
}
`

// TestInstallRunbook follows docs/operations.md §1's install block
// literally on a new machine (SQLite), from `make build` to the first
// /readyz, with the built binary installed where the block installs it
// and the unit copied from deploy/systemd; then, through that binary with
// the service's environment (`efa`), the operator commands the document
// shows inline: user creation and migrate status (§1), an API key revoked
// as §7 says (the running gateway refuses it), `revalidate` (§4),
// `rotate-key --forget-undecryptable` with nothing to forget (§7),
// `verify-archive --company` (§7), and migrations by hand (§4.3:
// EFACTURA_AUTO_MIGRATE=false on a new database: the service refuses to
// start, `migrate status` says the schema is behind, `migrate up`, then it
// starts).
func TestInstallRunbook(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	docB, err := os.ReadFile("../../docs/operations.md")
	require.NoError(t, err)
	doc := string(docB)
	install, operator := runbookBlock(t, doc, "install"), runbookBlock(t, doc, "operator")
	// The inline commands this test runs, as the document writes them.
	for _, c := range []string{
		"`efactura apikey revoke --company CIF ID`",
		"`efactura revalidate`",
		"`efa rotate-key --forget-undecryptable`",
		"`--company CIF` (one company)",
		"`EFACTURA_AUTO_MIGRATE=false`,\n   then `efactura migrate status` and `efactura migrate up` before starting",
	} {
		require.Contains(t, doc, c)
	}

	built := filepath.Join(t.TempDir(), "efactura")
	build := exec.Command("go", "build", "-o", built, "../../cmd/efactura")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	m := newMachine(t)
	// The clone the block runs in: the unit as shipped.
	clone := t.TempDir()
	unit, err := os.ReadFile("../../deploy/systemd/efactura.service")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(clone, "deploy/systemd"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(clone, "deploy/systemd/efactura.service"), unit, 0o644))
	for _, d := range []string{"usr/local/bin", "etc/systemd/system"} {
		require.NoError(t, os.MkdirAll(m.path(d), 0o755))
	}
	require.NoError(t, os.RemoveAll(m.path("etc/efactura"))) // the block makes it
	// What `sudoedit` adds after keygen's two lines (§2).
	require.NoError(t, os.WriteFile(m.path("edit"), []byte(strings.Join([]string{
		"DATABASE_URL=sqlite:" + m.path("var/lib/efactura/efactura.db"),
		"EFACTURA_BASE_URL=https://efactura.example.ro",
		"EFACTURA_ADDR=" + m.addr,
		"EFACTURA_LOG_LEVEL=warn",
	}, "\n")+"\n"), 0o600))

	run := func(block string) string {
		t.Helper()
		script := strings.NewReplacer(
			"/etc/efactura", m.path("etc/efactura"),
			"/etc/systemd/system", m.path("etc/systemd/system"),
			"/var/lib/efactura", m.path("var/lib/efactura"),
			"/usr/local/bin", m.path("usr/local/bin"),
			"127.0.0.1:8080", m.addr,
		).Replace(block)
		cmd := exec.Command("bash", "-c", runbookPrelude+installPrelude+script)
		cmd.Dir = clone
		// The installed binary first on PATH: `efactura` is /usr/local/bin/efactura.
		cmd.Env = append(os.Environ(), "M="+m.root, "ADDR="+m.addr, "EFACTURA_BUILT="+built,
			"PATH="+m.path("usr/local/bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			log, _ := os.ReadFile(m.path("efactura.log"))
			t.Fatalf("block failed: %v\n--- script\n%s\n--- output\n%s\n--- gateway log (tail)\n%s", err, script, out, tail(log, 3000))
		}
		t.Logf("--- ran\n%s\n--- output\n%s", strings.TrimSpace(block), out)
		return string(out)
	}

	// §1, as written.
	out := run(install)
	require.FileExists(t, m.path("usr/local/bin/efactura"))
	require.FileExists(t, m.path("etc/systemd/system/efactura.service"))
	env := envFile(t, m.path("etc/efactura/efactura.env"))
	require.NotEmpty(t, env["EFACTURA_SECRET_KEY"], "keygen's lines")
	require.NotEmpty(t, env["EFACTURA_ENCRYPTION_KEY"])
	fi, err := os.Stat(m.path("etc/efactura/efactura.env"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.Contains(t, out, "efactura.service: active (running)")
	require.Regexp(t, `(?m)^ok$`, out, "curl …/readyz")

	out = run(operator)
	require.Regexp(t, `user admin@example\.ro created \(id [0-9]+\)`, out)
	require.Contains(t, out, "(up to date)")

	// §7: a leaked API key, revoked with the document's command.
	out = run(`efa company add RO12345674 --name 'ALFA SOFT SRL' --owner admin@example.ro
key=$(efa apikey create --company RO12345674)
code() { curl -s -o /dev/null -w '%{http_code}' -H "X-API-KEY: $key" "http://127.0.0.1:8080/api/v1/invoices"; }
echo "before: $(code)"
id=$(efa apikey list --company RO12345674 | cut -f1)
efa apikey revoke --company RO12345674 "$id"
sleep 6   # the gateway, another process, keeps a key lookup 5 s (docs/security.md)
echo "after: $(code)"
efa revalidate
efa rotate-key --forget-undecryptable
efa verify-archive --company RO12345674`)
	require.Contains(t, out, "before: 200")
	require.Contains(t, out, "after: 401", "the running gateway refuses the revoked key")
	require.Contains(t, out, "archive: 0 valid, 0 invalid, 0 not applicable, 0 failed, 0 not validated")
	require.Contains(t, out, "0 ANAF connections deleted")
	require.Contains(t, out, "1 companies: 0 chain entries checked, 0 exported heads compared, 0 problems")

	// §4.3: migrations by hand, on a new database.
	out = run(`sudo systemctl stop efactura
sudo sed -i 's|^DATABASE_URL=.*|DATABASE_URL=sqlite:/var/lib/efactura/upgraded.db|' /etc/efactura/efactura.env
echo EFACTURA_AUTO_MIGRATE=false | sudo tee -a /etc/efactura/efactura.env >/dev/null
if sudo systemctl start efactura; then echo "started on an unmigrated schema"; exit 1; fi
efa migrate status
efa migrate up
efa migrate status
sudo systemctl start efactura
curl -fsS http://127.0.0.1:8080/readyz`)
	require.Contains(t, out, "run `efactura migrate up` (EFACTURA_AUTO_MIGRATE=false)", "the refused start says what to do")
	require.Regexp(t, regexp.MustCompile(`schema version 0, latest [0-9]+ \([0-9]+ pending\)`), out)
	up := regexp.MustCompile(`schema at version ([0-9]+) of ([0-9]+)`).FindStringSubmatch(out)
	require.Len(t, up, 3, "migrate up")
	require.Equal(t, up[2], up[1], "migrate up")
	require.Contains(t, out, "(up to date)")
	require.Regexp(t, `(?m)^ok$`, out)
}
