package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
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
// database check (503 when one fails): every readiness check but the
// database (checked by the handler itself) and the local disk (below).
func healthChecks(required map[string]check) map[string]func(context.Context) error {
	out := map[string]func(context.Context) error{}
	for n, c := range required {
		if n != "database" && n != "disk" {
			out[n] = c
		}
	}
	return out
}

// healthDegradable are the checks /api/v1/health reports as "degraded"
// (200): the degradable ones, and the local disk — it takes this replica
// out of the load balancer (/readyz), but the database still answers, and
// PRODUCT.md §4 keeps health's 503 for a failing database.
func healthDegradable(required, degradable map[string]check) map[string]func(context.Context) error {
	out := map[string]func(context.Context) error{}
	for n, c := range degradable {
		out[n] = c
	}
	if c, ok := required["disk"]; ok {
		out["disk"] = c
	}
	return out
}

// RedisProbeEvery: /api/v1/health and the metrics ping Redis at most this
// often (the rate limiter notices an outage on its own, per request).
const RedisProbeEvery = 5 * time.Second

// localWriteDirs are the local directories the gateway must be able to
// write: the SQLite database's (not a PostgreSQL server's), the log
// file's (EFACTURA_LOG_FILE) and the temp dir; duplicates once.
func localWriteDirs(databaseURL, logFile string) []string {
	var dirs []string
	if d, ok := store.SQLiteDir(databaseURL); ok {
		dirs = append(dirs, d)
	}
	if logFile != "" {
		dirs = append(dirs, filepath.Dir(logFile))
	}
	dirs = append(dirs, os.TempDir())
	seen := map[string]bool{}
	out := dirs[:0]
	for _, d := range dirs {
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// probeBytes is what the disk probe writes: one page, so a file system
// with no free block fails it (creating an empty file may still succeed).
const probeBytes = 4096

// diskWritable is the "disk" readiness check: in each directory it
// creates a file, writes probeBytes, syncs it to disk and removes it. A
// full disk (ENOSPC), a quota, a read-only remount or a lost mount fails
// it, naming the directory. The change of state (failing, writable again)
// is logged once each, not per probe.
func diskWritable(dirs []string, logger *slog.Logger) check {
	buf := make([]byte, probeBytes)
	var mu sync.Mutex
	failing := false
	probe := func(ctx context.Context) error {
		for _, dir := range dirs {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := writeProbe(dir, buf); err != nil {
				return fmt.Errorf("cannot write to %s: %w", dir, err)
			}
		}
		return nil
	}
	return func(ctx context.Context) error {
		err := probe(ctx)
		if ctx.Err() != nil {
			return err // our deadline: no verdict on the disk
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil && !failing:
			logger.Error("local disk not writable: this replica is not ready (/readyz 503) until it is",
				slog.String("error", err.Error()))
		case err == nil && failing:
			logger.Info("local disk writable again: ready")
		}
		failing = err != nil
		return err
	}
}

func writeProbe(dir string, buf []byte) error {
	f, err := os.CreateTemp(dir, ".efactura-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	defer func() { _ = os.Remove(name) }()
	if _, err := f.Write(buf); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
