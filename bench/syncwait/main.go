// Command syncwait waits until a gateway database holds -want archived
// messages with no sync run left open, then prints the seconds it waited
// and the count (bench/sync.sh).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/efactura-gateway/efactura/internal/store"
)

func main() {
	db := flag.String("db", "", "database URL (sqlite:PATH or postgres://...)")
	want := flag.Int("want", 0, "messages expected in the archive")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after")
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
	last := -1
	for {
		var n, open int
		err := st.DB().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM invoices), (SELECT COUNT(*) FROM sync_runs WHERE finished_at IS NULL)`).Scan(&n, &open)
		if err == nil && n >= *want && open == 0 {
			fmt.Printf("%.3f %d\n", time.Since(start).Seconds(), n)
			return
		}
		if err == nil && n != last && time.Since(start) > 0 {
			last = n
		}
		if time.Since(start) > *timeout {
			fmt.Fprintf(os.Stderr, "syncwait: %d of %d after %v (last error: %v)\n", last, *want, *timeout, err)
			os.Exit(1)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
