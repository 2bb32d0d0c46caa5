package app

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestApplyMemoryLimit: without GOMEMLIMIT serve's soft memory limit is
// DefaultMemoryLimit; with it, the runtime's own (read at start) stays.
// Not parallel: the limit is the process's.
func TestApplyMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })

	require.Equal(t, DefaultMemoryLimit, ApplyMemoryLimit(func(string) string { return "" }))
	require.Equal(t, DefaultMemoryLimit, debug.SetMemoryLimit(-1))

	debug.SetMemoryLimit(prev)
	env := func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1GiB" // what the runtime read; the test binary's own limit stands in
		}
		return ""
	}
	require.Equal(t, prev, ApplyMemoryLimit(env))
	require.Equal(t, prev, debug.SetMemoryLimit(-1))
}
