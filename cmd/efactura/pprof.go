//go:build pprof

package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Built with `-tags pprof` (benchmarks only: GOFLAGS=-tags=pprof
// bench/sync.sh), the process writes a CPU profile to
// EFACTURA_CPUPROFILE, where %d is the process id, for
// EFACTURA_CPUPROFILE_SECONDS (default 60) or until SIGUSR1.
func init() {
	path := os.Getenv("EFACTURA_CPUPROFILE")
	if path == "" {
		return
	}
	if strings.Contains(path, "%d") {
		path = fmt.Sprintf(path, os.Getpid())
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cpuprofile:", err)
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "cpuprofile:", err)
		return
	}
	secs, _ := strconv.Atoi(os.Getenv("EFACTURA_CPUPROFILE_SECONDS"))
	if secs <= 0 {
		secs = 60
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	go func() {
		select {
		case <-c:
		case <-time.After(time.Duration(secs) * time.Second):
		}
		pprof.StopCPUProfile()
		_ = f.Close()
	}()
}
