package anaf

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sample reads a copy of a shared/anaf/samples body from testdata/.
func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// canned is one scripted HTTP answer.
type canned struct {
	status int
	ctype  string
	body   []byte
	header map[string]string
}

func (c canned) write(w http.ResponseWriter) {
	for k, v := range c.header {
		w.Header().Set(k, v)
	}
	if c.ctype != "" {
		w.Header().Set("Content-Type", c.ctype)
	}
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(c.body)
}

var testNow = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// newTestClient starts h and returns a client pointed at it (with trailing
// slashes on the URLs, env test, a fixed clock).
func newTestClient(t *testing.T, h http.Handler, mod ...func(*Config)) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := Config{
		BaseURL: srv.URL + "/", OAuthURL: srv.URL + "/", Env: EnvTest,
		ClientID: "cid", ClientSecret: "s3cret", RedirectURI: "https://gw.example/anaf/callback",
		Timeout: 5 * time.Second, Now: func() time.Time { return testNow },
	}
	for _, m := range mod {
		m(&cfg)
	}
	return New(cfg)
}

func cannedClient(t *testing.T, c canned, mod ...func(*Config)) *Client {
	t.Helper()
	return newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { c.write(w) }), mod...)
}
