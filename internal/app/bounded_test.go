package app_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// metricLabels scrapes /metrics: every series (name and labels) and, per
// metric and label name, the values seen.
func metricLabels(t *testing.T, base string) (series map[string]bool, values map[string]map[string]bool, body string) {
	t.Helper()
	code, body := get(t, http.DefaultClient, base+"/metrics", nil)
	require.Equal(t, 200, code)
	series, values = map[string]bool{}, map[string]map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		key := l[:strings.LastIndexByte(l, ' ')]
		series[key] = true
		name, labels, ok := strings.Cut(key, "{")
		if !ok {
			continue
		}
		for _, pair := range strings.Split(strings.TrimSuffix(labels, "}"), `",`) {
			k, v, _ := strings.Cut(pair, "=")
			id := name + "." + k
			if values[id] == nil {
				values[id] = map[string]bool{}
			}
			values[id][strings.Trim(v, `"`)] = true
		}
	}
	return series, values, body
}

// TestEveryLabelBoundedOnGateway extends TestMadeUpMethodsAddNoSeries to
// every label of every series of the running gateway: two rounds of 250
// requests, each with fresh random paths (pages and API routes with made-
// up company, invoice and upload ids, unknown paths, 48 KB paths), made-up
// methods, random API keys and login e-mails (users), bodies the server
// refuses (4xx); then a third round where a third of the clients go away
// mid-request. The second round adds no efactura_http_* series; after the
// third no label value of any series carries the random marker and no
// label has more than 60 values.
func TestEveryLabelBoundedOnGateway(t *testing.T) {
	t.Parallel()
	_, lines := serveDemo(t, nil, io.Discard)
	base := lines["url"]
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method, path string, body io.Reader, hdr map[string]string, gone bool) {
		ctx := context.Background()
		if gone {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path, body)
		require.NoError(t, err)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			require.True(t, gone, "%s %.80s: %v", method, path, err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	round := func(r int, gone bool) {
		for i := range 250 {
			mark := fmt.Sprintf("zqmark%d%d", r, rand.IntN(1e9))
			id := fmt.Sprint(rand.IntN(1e9))
			path := []string{
				"/companies/" + id + "/uploads", "/invoices/" + id + "/pdf", "/uploads/" + id + "/status",
				"/api/v1/invoices/" + id, "/api/v1/" + mark, "/" + mark, "/static/" + mark + ".css",
				"/companies/" + mark, "/" + mark + strings.Repeat("x", 48<<10), "/api/v1/invoices?company=" + mark,
			}[i%10]
			method := []string{"GET", "POST", "DELETE", "PUT", "ZQMARK" + id}[i%5]
			hdr := map[string]string{"Authorization": "Bearer efk_" + mark, "X-Request-ID": mark}
			var body io.Reader
			if method == "POST" {
				if i%2 == 0 {
					body = strings.NewReader(url.Values{"email": {mark + "@example.ro"}, "password": {mark}}.Encode())
					hdr["Content-Type"] = "application/x-www-form-urlencoded"
					if i%4 == 0 {
						path = "/login"
					}
				} else {
					body = strings.NewReader(`{"` + mark + `":1}`)
					hdr["Content-Type"] = "text/" + mark
				}
			}
			send(method, path, body, hdr, gone && i%3 == 0)
		}
	}
	metricLabels(t, base) // the scrape's own series
	round(1, false)
	first, _, _ := metricLabels(t, base)
	round(2, false)
	second, _, _ := metricLabels(t, base)
	added := 0
	for s := range second {
		if strings.HasPrefix(s, "efactura_http_") && !first[s] {
			t.Errorf("a new HTTP series in the second round: %s", s)
			added++
		}
	}
	// Clients going away (timing decides between 499 and the route's own
	// status, so not compared series by series): bounded all the same.
	round(3, true)
	final, values, body := metricLabels(t, base)
	if i := strings.Index(strings.ToLower(body), "zqmark"); i >= 0 {
		t.Fatalf("input in a series: %q", body[max(0, strings.LastIndexByte(body[:i], '\n')):min(len(body), i+40)])
	}
	for id, vals := range values {
		require.LessOrEqual(t, len(vals), 60, "label %s has %d values", id, len(vals))
	}
	t.Logf("%d series, %d labels; %d HTTP series added by the second round; %d series after clients went away",
		len(second), len(values), added, len(final))
}
