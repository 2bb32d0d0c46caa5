package webhook_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/client"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// docBlock returns the first fenced block of language lang after marker
// in docs/notifications.md.
func docBlock(t *testing.T, marker, lang string) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "notifications.md"))
	require.NoError(t, err)
	_, after, ok := strings.Cut(string(doc), marker)
	require.True(t, ok, "docs/notifications.md lost %q", marker)
	_, block, ok := strings.Cut(after, "```"+lang+"\n")
	require.True(t, ok, "no ```%s block after %q", lang, marker)
	block, _, ok = strings.Cut(block, "```")
	require.True(t, ok)
	return block
}

// TestDocsSignatureCheck runs docs/notifications.md's signature checks as
// written: the shell one (openssl) on the document's own example, whose
// printed value must be what Sign gives, and then on a real delivery —
// the body and header a receiver got from the Deliverer, with the
// endpoint's secret and the header's t= put in the script's two
// variables — and the Go one (client.VerifySignature, the call the
// document shows) on the same delivery.
func TestDocsSignatureCheck(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("openssl is needed: %v", err)
		}
		t.Skipf("openssl not installed: %v", err)
	}
	script := docBlock(t, "In shell, with `openssl`", "sh")
	secretLine := regexp.MustCompile(`(?m)^secret='([^']*)'`)
	tLine := regexp.MustCompile(`(?m)^t=([0-9]+)`)
	expect := regexp.MustCompile(`# ([0-9a-f]{64}) +\(body\.json: (.*), no newline\)`)
	runScript := func(script string, body []byte) string {
		t.Helper()
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "body.json"), body, 0o600))
		cmd := exec.Command("sh", "-c", script)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		return strings.TrimSpace(string(out))
	}

	// The document's example: its printed value is Sign's.
	sm, tm, em := secretLine.FindStringSubmatch(script), tLine.FindStringSubmatch(script), expect.FindStringSubmatch(script)
	require.NotNil(t, sm, "the script sets secret='…'")
	require.NotNil(t, tm, "the script sets t=…")
	require.NotNil(t, em, "the script shows its output for a body")
	var unix int64
	require.NoError(t, json.Unmarshal([]byte(tm[1]), &unix))
	docBody := []byte(em[2])
	v1 := func(header string) string {
		_, v, ok := strings.Cut(header, ",v1=")
		require.True(t, ok, header)
		return v
	}
	require.Equal(t, em[1], v1(webhook.Sign(sm[1], time.Unix(unix, 0), docBody)), "the document's printed value")
	require.Equal(t, em[1], runScript(script, docBody))

	// A real delivery, caught by a receiver.
	st := storetest.NewSQLite(t)
	ctx := t.Context()
	c, err := st.CreateCompany(ctx, "12345674", "ALFA SRL")
	require.NoError(t, err)
	spec, err := secretbox.Generate("t")
	require.NoError(t, err)
	keys, err := secretbox.Parse(spec)
	require.NoError(t, err)
	secret := webhook.NewSecret()
	enc, err := keys.Encrypt([]byte(secret))
	require.NoError(t, err)
	got := make(chan *http.Request, 1)
	var gotBody []byte
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotBody, _ = io.ReadAll(r.Body)
		got <- r
	}))
	t.Cleanup(srv.Close)
	ep := &store.WebhookEndpoint{CompanyID: c.ID, URL: srv.URL + "/hook", EventTypes: []string{notify.UploadNOK}, SecretEnc: enc}
	require.NoError(t, st.CreateWebhookEndpoint(ctx, ep))
	d := &webhook.Deliverer{Store: st, Keys: keys, BaseURL: "https://gw", Logger: slog.New(slog.DiscardHandler),
		Policy:    webhook.Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig}
	ev := &store.Event{CompanyID: c.ID, Type: notify.UploadNOK, SubjectID: 9,
		Detail: json.RawMessage(`{"invoice_number":"F-ș/1","errors":[{"message":"câmp lipsă \"x\""}]}`)}
	_, err = st.RecordEvent(ctx, ev)
	require.NoError(t, err)
	require.NoError(t, d.Dispatch(ctx, ev.ID))
	dls, err := st.WebhookDeliveries(ctx, ep.ID, 1)
	require.NoError(t, err)
	res, err := d.Attempt(ctx, dls[0].ID)
	require.NoError(t, err)
	require.True(t, res.Done)
	r := <-got
	header := r.Header.Get(client.SignatureHeader)
	require.False(t, bytes.HasSuffix(gotBody, []byte("\n")), "the document says bodies end without a newline")
	ts, _, _ := strings.Cut(strings.TrimPrefix(header, "t="), ",")

	real := secretLine.ReplaceAllLiteralString(script, "secret='"+secret+"'")
	real = tLine.ReplaceAllLiteralString(real, "t="+ts)
	out := runScript(real, gotBody)
	require.Equal(t, v1(header), out, "openssl, as documented, gives the header's v1 for a real delivery")
	t.Logf("a real delivery: %s: %s; body %s; openssl printed %s", client.SignatureHeader, header, gotBody, out)
	_, err = hex.DecodeString(out)
	require.NoError(t, err)

	// The Go check, with the call the document shows.
	goBlock := docBlock(t, "In Go, with the gateway's client package", "go")
	require.Contains(t, goBlock, "client.VerifySignature(secret, r.Header.Get(client.SignatureHeader), body, 5*time.Minute)")
	require.NoError(t, client.VerifySignature(secret, r.Header.Get(client.SignatureHeader), gotBody, 5*time.Minute))
	require.ErrorIs(t, client.VerifySignature(secret, header, append(gotBody, ' '), 5*time.Minute), client.ErrSignatureMismatch)
	var we client.WebhookEvent
	require.NoError(t, json.Unmarshal(gotBody, &we))
	require.Equal(t, notify.UploadNOK, we.Type)
	require.Equal(t, "12345674", we.CompanyCIF)
}
