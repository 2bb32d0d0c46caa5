// Command validatecpu measures validate.Validate per document in CPU time
// (this process's user+system time from getrusage, GC included) and wall
// time, with the allocations per call: for each FILE, a warm-up, then N calls.
//
//	go run ./bench/validatecpu [-n N] [-w N] [-profile ro|en] FILE...
//
// Output, one line per file: file, bytes, calls, CPU ms/doc, wall ms/doc,
// allocs/doc, bytes/doc (tab-separated). Used by bench/validate.sh.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/efactura-gateway/efactura/internal/validate"
)

func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	n := flag.Int("n", 0, "calls per file (0: as many as fit in about 2 s)")
	profile := flag.String("profile", validate.ProfileRO, "rules profile")
	warmN := flag.Int("w", 0, "warm-up calls (0: about 200 ms of them); a fixed count makes the work deterministic, e.g. under valgrind")
	flag.Parse()
	for _, file := range flag.Args() {
		doc, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		calls := *n
		t0 := time.Now()
		warm := 0
		for (*warmN == 0 && time.Since(t0) < 200*time.Millisecond) || warm < max(3, *warmN) {
			if _, err := validate.Validate(doc, *profile); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			warm++
		}
		if calls == 0 {
			calls = max(10, int(float64(warm)*2/time.Since(t0).Seconds()/5))
		}
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		c0, w0 := cpu(), time.Now()
		for range calls {
			_, _ = validate.Validate(doc, *profile)
		}
		c1, w1 := cpu(), time.Now()
		runtime.ReadMemStats(&m1)
		per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(calls) }
		fmt.Printf("%s\t%d\t%d\t%.3f\t%.3f\t%d\t%d\n", file, len(doc), calls, per(c1-c0), per(w1.Sub(w0)),
			(m1.Mallocs-m0.Mallocs)/uint64(calls), (m1.TotalAlloc-m0.TotalAlloc)/uint64(calls))
	}
}
