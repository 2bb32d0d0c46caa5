//go:build pprof

package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
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

// With EFACTURA_HEAPPROFILE set (a path, %d the process id, a second %d
// a sequence number), each SIGUSR2 writes a heap profile there after a
// collection (the live heap: go tool pprof -sample_index=inuse_space).
func init() {
	path := os.Getenv("EFACTURA_HEAPPROFILE")
	if path == "" {
		return
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR2)
	go func() {
		for n := 1; ; n++ {
			<-c
			p := path
			switch strings.Count(p, "%d") {
			case 1:
				p = fmt.Sprintf(p, os.Getpid())
			case 2:
				p = fmt.Sprintf(p, os.Getpid(), n)
			}
			f, err := os.Create(p)
			if err != nil {
				fmt.Fprintln(os.Stderr, "heapprofile:", err)
				continue
			}
			runtime.GC()
			if err := pprof.WriteHeapProfile(f); err != nil {
				fmt.Fprintln(os.Stderr, "heapprofile:", err)
			}
			_ = f.Close()
		}
	}()
}
