package cli

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/testbuf"
)

// TestUploadCommand runs `efactura upload` against the ANAF simulator
// over HTTP, on the data directory `serve --demo` made with it (the demo
// admin's ANAF connection, the simulator's companies): a valid invoice
// is sent once and reaches ok with --wait; an invalid one is refused
// locally, a second send of the same invoice is a duplicate, both exit 1.
func TestUploadCommand(t *testing.T) {
	t.Parallel()
	sim, err := anafsim.New(anafsim.Options{AutoApprove: true, NoQuotas: true, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	n, _ := sim.LoadDir(filepath.Join("..", "..", "testdata", "invoices"))
	require.Positive(t, n)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)

	r := newRunner(t)
	for k, v := range map[string]string{
		"EFACTURA_ANAF_BASE_URL": srv.URL, "EFACTURA_ANAF_OAUTH_URL": srv.URL,
		"EFACTURA_ANAF_CLIENT_ID": "cli-client", "EFACTURA_ANAF_CLIENT_SECRET": "cli-secret", "EFACTURA_ADDR": "127.0.0.1:0",
	} {
		r.env[k] = v
	}
	// serve --demo: the admin, the companies (verified by their first
	// sync) and the ANAF connection; stopped once the syncs are done.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	serveOut := &testbuf.Buffer{}
	go func() {
		done <- RunEnv(ctx, []string{"serve", "--demo"}, serveOut, serveOut, func(k string) string { return r.env[k] })
	}()
	// Generous: on a machine at load 25 the demo's first syncs took over 60 s.
	deadline := time.Now().Add(180 * time.Second)
	for {
		_, err := os.Stat(filepath.Join(r.env["EFACTURA_DATA_DIR"], "demo-credentials.txt"))
		code, out, _ := r.run("company", "list")
		if err == nil && code == 0 && strings.Contains(out, "27182818") && !strings.Contains(out, "unverified") {
			break
		}
		require.True(t, time.Now().Before(deadline), "serve --demo did not verify the companies in 180 s\ncompany list: %s\nserve: %s", out, serveOut.String())
		time.Sleep(300 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}

	// A fresh invoice of EPS (27182818): a testdata invoice renumbered.
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "invoices", "gen-02-invoice-EPS-0001.xml"))
	require.NoError(t, err)
	dir := t.TempDir()
	valid := filepath.Join(dir, "EPS-0901.xml")
	require.NoError(t, os.WriteFile(valid, []byte(strings.ReplaceAll(string(src), "EPS-0001", "EPS-0901")), 0o600))
	invalid := filepath.Join(dir, "EPS-0902.xml")
	bad := strings.ReplaceAll(string(src), "EPS-0001", "EPS-0902")
	bad = strings.Replace(bad, "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>", "<cbc:InvoiceTypeCode>999</cbc:InvoiceTypeCode>", 1)
	require.NoError(t, os.WriteFile(invalid, []byte(bad), 0o600))

	code, out, errOut := r.run("upload", "--company", "RO27182818", "--wait", valid)
	require.Equal(t, 0, code, "%s\n%s", out, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 1, out)
	f := strings.Split(lines[0], "\t")
	require.Equal(t, []string{valid, "ok", "EPS-0901"}, f[:3], out)
	require.Regexp(t, `^id_incarcare=\d+ id_descarcare=\d+`, f[3])
	require.Equal(t, 1, sim.Stats().Calls["upload"], "sent once")

	code, out, errOut = r.run("upload", "--company", "27182818", invalid, valid)
	require.Equal(t, 1, code, "%s\n%s", out, errOut)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	require.True(t, strings.HasPrefix(lines[0], invalid+"\tinvalid\tEPS-0902\tBR-CL-01: "), lines[0])
	require.True(t, strings.HasPrefix(lines[1], valid+"\tduplicate\tEPS-0901\talready sent as upload "), lines[1])
	require.Contains(t, errOut, "2 of 2 files rejected")
	require.Equal(t, 1, sim.Stats().Calls["upload"], "neither was sent")

	// Not the company's invoice; an unknown company; a missing file.
	code, out, _ = r.run("upload", "--company", "98765438", valid)
	require.Equal(t, 1, code)
	require.Contains(t, out, "\twrong-cif\t")
	code, _, errOut = r.run("upload", "--company", "12345674", filepath.Join(dir, "missing.xml"))
	require.Equal(t, 1, code, errOut)
	code, _, errOut = r.run("upload", "--company", "RO1", valid)
	require.Equal(t, 2, code, errOut)
}
