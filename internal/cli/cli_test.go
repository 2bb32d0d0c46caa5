package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
)

type runner struct {
	t   *testing.T
	env map[string]string
}

func newRunner(t *testing.T) *runner {
	dir := t.TempDir()
	return &runner{t: t, env: map[string]string{
		"EFACTURA_DATA_DIR":  dir,
		"DATABASE_URL":       "sqlite:" + filepath.Join(dir, "efactura.db"),
		"EFACTURA_LOG_LEVEL": "warn",
	}}
}

func (r *runner) run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = RunEnv(context.Background(), args, &out, &errb, func(k string) string { return r.env[k] })
	return code, out.String(), errb.String()
}

func TestCommands(t *testing.T) {
	t.Parallel()
	r := newRunner(t)

	code, out, _ := r.run("help")
	require.Equal(t, 0, code)
	for _, c := range []string{"serve", "anaf-sim", "migrate", "user", "company", "apikey", "sync", "parse", "version"} {
		require.Contains(t, out, c)
	}
	code, out, _ = r.run("version")
	require.Equal(t, 0, code)
	require.True(t, strings.HasPrefix(out, "efactura "))

	code, _, errOut := r.run("no-such-command")
	require.Equal(t, 2, code, errOut)
	code, _, _ = r.run()
	require.Equal(t, 2, code, "no command is a usage error")

	// Flags after arguments.
	code, out, errOut = r.run("user", "create", "--email", "ana@example.ro", "--password", "parola-lunga-1", "--admin")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "ana@example.ro")
	code, _, errOut = r.run("user", "create", "--email", "ana@example.ro", "--password", "parola-lunga-1")
	require.Equal(t, 1, code)
	require.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one line on stderr: %q", errOut)
	code, _, _ = r.run("user", "create", "--email", "x@example.ro", "--password", "short")
	require.Equal(t, 2, code)

	code, out, _ = r.run("user", "list", "--json")
	require.Equal(t, 0, code)
	var users []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &users))
	require.Len(t, users, 1)

	code, _, errOut = r.run("company", "add", "RO12345675", "--name", "Bad Digit SRL")
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "check digit")
	code, _, errOut = r.run("company", "add", "--name", "ALFA SOFT SRL", "RO 12345674", "--owner", "ana@example.ro")
	require.Equal(t, 0, code, errOut)

	code, out, _ = r.run("company", "list", "--json")
	require.Equal(t, 0, code)
	var companies []struct{ CIF, Name string }
	require.NoError(t, json.Unmarshal([]byte(out), &companies))
	require.Equal(t, []struct{ CIF, Name string }{{"12345674", "ALFA SOFT SRL"}}, companies)

	code, out, errOut = r.run("apikey", "create", "--company", "RO12345674", "--name", "erp")
	require.Equal(t, 0, code, errOut)
	key := strings.TrimSpace(out)
	require.True(t, auth.LooksLikeAPIKey(key), "stdout carries only the key: %q", out)
	code, out, _ = r.run("apikey", "create", "--company", "12345674", "--scope", "admin")
	require.Equal(t, 2, code, out)

	code, out, _ = r.run("migrate", "status")
	require.Equal(t, 0, code)
	require.Contains(t, out, "up to date")

	code, _, errOut = r.run("sync", "--company", "12345674")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "ANAF")
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	r := newRunner(t)
	dir := filepath.Join("..", "..", "testdata", "invoices")
	good := filepath.Join(dir, "edge-creditnote.xml")
	bad := filepath.Join(dir, "refused-not-well-formed.xml")

	code, out, _ := r.run("parse", good, "--json")
	require.Equal(t, 0, code)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Equal(t, good, doc["file"])
	require.Equal(t, "CreditNote", doc["document_type"])

	code, out, _ = r.run("parse", "--json", good, bad)
	require.Equal(t, 1, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	var failed map[string]string
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &failed))
	require.Equal(t, bad, failed["file"])
	require.NotEmpty(t, failed["error"])
}

// TestParseCorpus runs `efactura parse --json` over every file of the shared
// corpus: one line per file, errors for the files FIELDS.tsv marks ERROR,
// and the number of each readable one as FIELDS.tsv has it.
func TestParseCorpus(t *testing.T) {
	t.Parallel()
	corpus := filepath.Join("..", "..", "..", "shared", "corpus")
	fields, err := os.ReadFile(filepath.Join(corpus, "FIELDS.tsv"))
	if err != nil {
		t.Skip("../shared/corpus is absent (it exists only on the project's machines): corpus parse check skipped")
	}
	want := map[string][2]string{} // file → document_type, number
	for _, line := range strings.Split(strings.TrimSpace(string(fields)), "\n")[1:] {
		cols := strings.Split(line, "\t")
		want[cols[0]] = [2]string{cols[1], cols[2]}
	}
	var files []string
	for _, sub := range []string{"ciusro", "en16931", "invalid"} {
		m, _ := filepath.Glob(filepath.Join(corpus, sub, "*"))
		files = append(files, m...)
	}
	require.NotEmpty(t, files)
	r := newRunner(t)
	code, out, _ := r.run(append([]string{"parse", "--json"}, files...)...)
	require.Equal(t, 1, code, "some corpus files are unreadable, so the command exits 1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(files))
	for _, line := range lines {
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &got))
		file := got["file"].(string)
		w, ok := want[filepath.Base(file)]
		require.True(t, ok, "%s missing from FIELDS.tsv", file)
		if w[0] == "ERROR" {
			require.NotEmpty(t, got["error"], "%s must be flagged", file)
			continue
		}
		require.Nil(t, got["error"], "%s: %v", file, got["error"])
		require.Equal(t, w[0], got["document_type"], file)
		require.Equal(t, w[1], got["number"], file)
	}
}
