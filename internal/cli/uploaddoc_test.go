package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestUploadDocWalkthrough follows docs/upload.md's "Try it from a clean
// clone" literally (issue 14): its sh blocks, in order, in a directory
// holding only testdata/, with `go run ./cmd/efactura` standing for the
// built binary and the two ports moved to free ones. Terminal 1 (the
// simulator) and terminal 2 (serve --demo) run in the background; the
// exports of terminal 2 hold for every later block, as the doc says.
func TestUploadDocWalkthrough(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	docB, err := os.ReadFile("../../docs/upload.md")
	require.NoError(t, err)
	doc := string(docB)
	i := strings.Index(doc, "## Try it from a clean clone")
	require.GreaterOrEqual(t, i, 0, "docs/upload.md has no section \"Try it from a clean clone\"")
	blocks := shBlocks(doc[i:])
	require.Len(t, blocks, 5, "terminals, the two files, the API, its answer, the CLI")

	binDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, "efactura"), "../../cmd/efactura")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	work := t.TempDir()
	testdata, err := filepath.Abs("../../testdata")
	require.NoError(t, err)
	require.NoError(t, os.Symlink(testdata, filepath.Join(work, "testdata")))
	simAddr, gwAddr := freeAddr(t), freeAddr(t)
	fix := strings.NewReplacer("go run ./cmd/efactura", "efactura", "127.0.0.1:18391", simAddr, "127.0.0.1:18080", gwAddr)
	for i := range blocks {
		blocks[i] = fix.Replace(blocks[i])
	}
	env := append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))

	// Terminals 1 and 2: the simulator, then the exports and serve --demo.
	term1, term2, ok := strings.Cut(blocks[0], "# terminal 2")
	require.True(t, ok, "the first block has terminal 1 and terminal 2")
	var exports, serve []string
	for _, line := range strings.Split(term2, "\n") {
		switch l := strings.TrimSpace(line); {
		case strings.HasPrefix(l, "export "):
			exports = append(exports, l)
		case l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "(") && !strings.HasSuffix(l, ")"):
			serve = append(serve, l)
		}
	}
	prelude := "set -euo pipefail\ncd " + shellQuote(work) + "\n" + strings.Join(exports, "\n") + "\n"
	background := func(name, script string) {
		t.Helper()
		out := &lockedBuf{}
		cmd := exec.Command("bash", "-c", "cd "+shellQuote(work)+"\n"+script)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, out, out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // go run's child too, were it used
		require.NoError(t, cmd.Start(), name)
		t.Cleanup(func() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-done
			}
			if t.Failed() {
				t.Logf("--- %s\n%s", name, tail(out.Bytes(), 3000))
			}
		})
	}
	background("terminal 1", term1)
	waitHTTP(t, "http://"+simAddr+"/__sim/stats", 60*time.Second)
	background("terminal 2", prelude+strings.Join(serve, "\n"))
	waitHTTP(t, "http://"+gwAddr+"/readyz", 120*time.Second)

	run := func(script string) (string, string, int) {
		t.Helper()
		cmd := exec.Command("bash", "-c", prelude+script)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return stdout.String(), stderr.String(), code
	}

	// The two files.
	out, errOut, code := run(blocks[1])
	require.Zero(t, code, "%s%s", out, errOut)
	for _, f := range []string{"EPS-0901.xml", "EPS-0902.xml"} {
		_, err := os.Stat(filepath.Join(work, f))
		require.NoError(t, err)
	}

	// The API: a write key, the POST (KEY kept for the next block).
	keyFile := filepath.Join(work, ".key")
	out, errOut, code = run(blocks[2] + "\ndeclare -p KEY > " + shellQuote(keyFile))
	require.Zero(t, code, "%s%s", out, errOut)
	require.Contains(t, out, "HTTP/1.1 202 Accepted")
	require.Contains(t, out, "Location: /api/v1/uploads/1")
	require.Contains(t, out, `"state":"sending"`)
	require.Contains(t, out, `"invoice_number":"EPS-0901"`)
	keyLine, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	key := string(keyLine[strings.Index(string(keyLine), "efk_"):])
	key = strings.TrimRight(key, "\"\n")

	// "About ten seconds later … it is ok, and archived as sent."
	deadline := time.Now().Add(90 * time.Second)
	for {
		var u struct {
			Data struct{ State string } `json:"data"`
		}
		if getUpload(t, "http://"+gwAddr+"/api/v1/uploads/1", key, &u) && u.Data.State == "ok" {
			break
		}
		require.True(t, time.Now().Before(deadline), "upload 1 did not reach ok in 90 s (state %q)", u.Data.State)
		time.Sleep(500 * time.Millisecond)
	}
	out, errOut, code = run(". " + shellQuote(keyFile) + "\n" + blocks[3])
	require.Zero(t, code, "%s%s", out, errOut)
	require.Contains(t, out, `"state":"ok"`)
	require.Contains(t, out, `"invoice_type":"FACTURA TRIMISA"`)
	require.Contains(t, out, `"invoice_number":"EPS-0901"`)

	// The CLI: three files, one line each, exit status 1.
	out, errOut, code = run(blocks[4])
	require.Equal(t, 1, code, "%s%s", out, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	require.True(t, strings.HasPrefix(lines[0], "EPS-0902.xml\tinvalid\tEPS-0902\tBR-CL-01: "), lines[0])
	require.Equal(t, "EPS-0901.xml\tduplicate\tEPS-0901\talready sent as upload 1 (ok)", lines[1])
	require.True(t, strings.HasPrefix(lines[2], "EPS-0903.xml\tok\tEPS-0903\tid_incarcare="), lines[2])
	require.Contains(t, lines[2], "id_descarcare=")
	require.Contains(t, errOut, "efactura: 2 of 3 files rejected")
}

// lockedBuf is the output of a background process, read when the test failed.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b.Bytes()...)
}

// shBlocks returns the bodies of the ```sh blocks of md, in order.
func shBlocks(md string) []string {
	var out []string
	for {
		i := strings.Index(md, "```sh\n")
		if i < 0 {
			return out
		}
		md = md[i+len("```sh\n"):]
		end := strings.Index(md, "```")
		if end < 0 {
			return out
		}
		out = append(out, md[:end])
		md = md[end+3:]
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func waitHTTP(t *testing.T, url string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		cancel()
		if err == nil && resp.StatusCode == http.StatusOK {
			return
		}
		require.True(t, time.Now().Before(deadline), "%s did not answer 200 in %v", url, within)
		time.Sleep(100 * time.Millisecond)
	}
}

func getUpload(t *testing.T, url, key string, v any) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("X-API-KEY", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(v) == nil
}
