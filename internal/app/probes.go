package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Probe timings: ANAF's reachability is checked at most once per
// ANAFProbeEvery with ANAFProbeTimeout; a request waits at most DBWait for
// a database connection before answering 503.
const (
	ANAFProbeEvery   = 60 * time.Second
	ANAFProbeTimeout = 5 * time.Second
	DBWait           = 5 * time.Second
)

// check is one dependency check: nil means healthy.
type check func(ctx context.Context) error

// cachedProbe remembers a check's result for ttl, so /api/v1/health does
// not call ANAF on every request (and a slow ANAF does not slow it down
// more than once per ttl).
type cachedProbe struct {
	ttl   time.Duration
	check check
	mu    sync.Mutex
	at    time.Time
	err   error
}

func (p *cachedProbe) Check(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.at.IsZero() && time.Since(p.at) < p.ttl {
		return p.err
	}
	p.err = p.check(ctx)
	p.at = time.Now()
	return p.err
}

// anafReachable answers whether ANAF's API host answers HTTP at all (any
// status counts: the question is the network path, not a call that would
// spend quota or need a token).
func anafReachable(baseURL string, client *http.Client) check {
	if client == nil {
		client = &http.Client{Timeout: ANAFProbeTimeout}
	}
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, ANAFProbeTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, baseURL+"/", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("ANAF (%s) unreachable: %w", baseURL, err)
		}
		_ = resp.Body.Close()
		return nil
	}
}

// jobQueueCheck reads River's job table: the queue's tables exist and answer.
func jobQueueCheck(r *jobs.Runner) check {
	return func(ctx context.Context) error {
		_, err := r.Client().JobList(ctx, river.NewJobListParams().First(1))
		return err
	}
}

// readyHandler is /readyz: 200 "ok" when every required dependency
// answers within 2 s, else 503 naming the failing ones (never ANAF: its
// outage must not take replicas out of the load balancer).
func readyHandler(checks map[string]check) http.Handler {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var failed []string
		for _, n := range names {
			if err := checks[n](ctx); err != nil {
				failed = append(failed, n)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if len(failed) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "unavailable: %s\n", strings.Join(failed, ", "))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
}

// dbGate makes a request wait at most wait for a free database connection
// before it is handled; when the pool stays exhausted it answers 503 with
// Retry-After instead of letting the request hang. The connection is
// given back at once: the gate only proves one can be had now.
func dbGate(st *store.Store, wait time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		conn, err := st.DB().Conn(ctx)
		cancel()
		if err == nil {
			_ = conn.Close()
			next.ServeHTTP(w, r)
			return
		}
		if r.Context().Err() != nil {
			return // the client left
		}
		w.Header().Set("Retry-After", "5")
		w.Header().Set("Cache-Control", "no-store")
		msg := "The database is busy or unavailable; try again shortly."
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "Every database connection is busy; try again shortly."
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, `{"error":"Service Unavailable","message":%q,"code":"SERVICE_UNAVAILABLE"}`, msg)
			return
		}
		http.Error(w, msg, http.StatusServiceUnavailable)
	})
}

// healthChecks are the required checks /api/v1/health adds to its own
// database check.
func healthChecks(required map[string]check) map[string]func(context.Context) error {
	out := map[string]func(context.Context) error{}
	for n, c := range required {
		if n != "database" {
			out[n] = c
		}
	}
	return out
}
