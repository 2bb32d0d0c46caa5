//go:build unix

package invoice_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used so far:
// benchmarks report it per operation (cpu-ns/op), which a loaded machine
// disturbs far less than the wall time of ns/op.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
