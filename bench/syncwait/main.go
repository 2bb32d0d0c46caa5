// Command syncwait watches a gateway's first sync of every company
// (bench/sync.sh): it waits until -companies companies each have a finished
// sync run and no run is open, and measures meanwhile the gateway's CPU
// time and resident memory (/proc/PID) and, on PostgreSQL, the CPU time of
// the database's backends serving the gateway.
//
// It polls only sync_runs (a small table): counting invoices while the
// sync runs would itself scan the archive. It then prints one line:
//
//	seconds archived listed gw_cpu_ms db_cpu_ms rss_start_kib rss_peak_kib rss_end_kib drain_s gw_all_ms db_all_ms anon_peak_kib anon_end_kib
//
// anon_peak_kib and anon_end_kib are the anonymous part of the resident
// memory (RssAnon: the heaps): VmRSS also counts the database file's pages
// SQLite reads through its memory map (mmap_size), which the kernel drops
// when it needs them.
//
// drain_s is how long the background jobs the sync left (its events'
// dispatch, risk checks, validation) took to finish after it (at most
// -drain); gw_all_ms and db_all_ms are the CPU times counted then.
//
// seconds runs from the first sync run seen to the last one finished;
// archived counts the invoices; listed sums what the runs listed for the
// companies' own CIFs (found; a page listed again after a step ran out of
// time counts again). A message dated after the window's end (inside the
// last minute) is left to the next sync and not waited for. db_cpu_ms is
// -1 on SQLite.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/store"
)

func main() {
	db := flag.String("db", "", "database URL (sqlite:PATH or postgres://...)")
	companies := flag.Int("companies", 1, "companies whose first sync is waited for")
	pid := flag.Int("pid", 0, "the gateway's process id (CPU time and RSS); 0: not measured")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after")
	drain := flag.Duration("drain", 3*time.Minute, "after the sync, wait at most this long for its background jobs")
	flag.Parse()
	ctx := context.Background()
	start := time.Now()
	var st *store.Store
	for {
		var err error
		st, err = store.Open(ctx, *db, store.PoolConfig{MaxConns: 2})
		if err == nil {
			break
		}
		if time.Since(start) > *timeout {
			fmt.Fprintln(os.Stderr, "syncwait:", err)
			os.Exit(1)
		}
		time.Sleep(200 * time.Millisecond)
	}
	defer st.Close()
	pg := strings.HasPrefix(*db, "postgres")
	backends := map[int]int64{} // PostgreSQL backend pid → CPU ticks last read
	var rssStart, rssPeak, rssEnd, anonPeak, anonEnd int64
	var first time.Time
	sample := func() {
		if *pid > 0 {
			if r := rssKiB(*pid); r > 0 {
				if rssStart == 0 {
					rssStart = r
				}
				rssPeak, rssEnd = max(rssPeak, r), r
			}
			if a := statusKiB(*pid, "RssAnon:"); a > 0 {
				anonPeak, anonEnd = max(anonPeak, a), a
			}
		}
		if pg {
			rows, err := st.DB().QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
			if err != nil {
				return
			}
			defer rows.Close()
			for rows.Next() {
				var p int
				if rows.Scan(&p) == nil {
					if t := cpuTicks(p); t >= 0 {
						backends[p] = t
					}
				}
			}
		}
	}
	for {
		sample()
		var open, done, runs int
		err := st.DB().QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM sync_runs WHERE finished_at IS NULL),
			(SELECT COUNT(DISTINCT company_id) FROM sync_runs WHERE finished_at IS NOT NULL),
			(SELECT COUNT(*) FROM sync_runs)`).Scan(&open, &done, &runs)
		if err == nil && runs > 0 && first.IsZero() {
			first = time.Now()
		}
		if err == nil && done >= *companies && open == 0 {
			break
		}
		if time.Since(start) > *timeout {
			fmt.Fprintf(os.Stderr, "syncwait: %d of %d companies synced after %v (last error: %v)\n", done, *companies, *timeout, err)
			os.Exit(1)
		}
		time.Sleep(100 * time.Millisecond)
	}
	secs := time.Since(first).Seconds()
	sample()
	cpu := func() (gw, db int64) {
		gw, db = -1, -1
		if *pid > 0 {
			gw = cpuTicks(*pid) * 1000 / clockTicks
		}
		if pg {
			var t int64
			for _, v := range backends {
				t += v
			}
			db = t * 1000 / clockTicks
		}
		return gw, db
	}
	gwCPU, dbCPU := cpu()
	// The work the sync leaves to background jobs (its events' dispatch,
	// the risk checks of received invoices, validation): waited for up to
	// -drain, then the CPU counted again.
	drainStart := time.Now()
	for quiet := 0; quiet < 3 && time.Since(drainStart) < *drain; {
		sample()
		var n int
		err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE state IN ('available', 'running', 'retryable', 'scheduled')
			AND kind IN ('dispatch_event', 'deliver_webhook', 'check_risks', 'validate_archive', 'send_mail')`).Scan(&n)
		if err == nil && n == 0 {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(200 * time.Millisecond)
	}
	drainSecs := time.Since(drainStart).Seconds()
	gwAll, dbAll := cpu()
	var n, listed int
	if err := st.DB().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM invoices), (SELECT COALESCE(SUM(found_count), 0) FROM sync_runs)`).Scan(&n, &listed); err != nil {
		fmt.Fprintln(os.Stderr, "syncwait:", err)
		os.Exit(1)
	}
	fmt.Printf("%.3f %d %d %d %d %d %d %d %.1f %d %d %d %d\n", secs, n, listed, gwCPU, dbCPU, rssStart, rssPeak, rssEnd, drainSecs, gwAll, dbAll, anonPeak, anonEnd)
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

// cpuTicks is the user + system CPU time of a process in clock ticks
// (/proc/PID/stat fields 14 and 15), -1 when it cannot be read.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	k, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return u + k
}

// rssKiB is the resident memory of a process (VmRSS), 0 when unknown.
func rssKiB(pid int) int64 { return statusKiB(pid, "VmRSS:") }

// statusKiB is a kB field of /proc/PID/status (VmRSS:, RssAnon:), 0 when unknown.
func statusKiB(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
