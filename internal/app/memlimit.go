package app

import (
	"runtime/debug"
	"strings"
)

// DefaultMemoryLimit is the Go runtime's soft memory limit that `efactura
// serve` sets when GOMEMLIMIT is not in its environment (64 MiB). It
// counts the Go heap, goroutine stacks and the runtime's own metadata —
// not the binary's pages, SQLite's memory map nor its page cache, which
// the process's RSS also holds. Near it the collector runs more often and
// returns freed memory to the operating system at once instead of minutes
// later, so bursts of concurrent requests no longer leave their garbage
// resident. It is soft: the runtime never refuses an allocation, and with
// a live heap above the limit (a large document) the collector is capped
// at about half the CPU, so work slows down rather than fails.
// docs/operations.md, "Memory"; measured in docs/performance.md.
const DefaultMemoryLimit int64 = 64 << 20

// ApplyMemoryLimit sets DefaultMemoryLimit unless GOMEMLIMIT is set (the
// runtime has read it at start; GOMEMLIMIT=off removes the limit). It
// returns the limit in effect (math.MaxInt64: none).
func ApplyMemoryLimit(getenv func(string) string) int64 {
	if strings.TrimSpace(getenv("GOMEMLIMIT")) != "" {
		return debug.SetMemoryLimit(-1)
	}
	debug.SetMemoryLimit(DefaultMemoryLimit)
	return DefaultMemoryLimit
}
