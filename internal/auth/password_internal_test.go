package auth

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

// TestHashSlots: no more than MaxConcurrentHashes argon2id computations
// run at once, however many hashes and checks are asked for in parallel.
// Not parallel: it replaces argon2IDKey.
func TestHashSlots(t *testing.T) {
	var running, peak atomic.Int32
	argon2IDKey = func(pw, salt []byte, tm, memory uint32, threads uint8, keyLen uint32) []byte {
		n := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(5 * time.Millisecond) // long enough for the others to pile up
		return argon2.IDKey(pw, salt, tm, memory, threads, keyLen)
	}
	t.Cleanup(func() { argon2IDKey = argon2.IDKey })
	h, err := TestArgon2Params.Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 * MaxConcurrentHashes {
		wg.Go(func() {
			if i%2 == 0 {
				_, _ = TestArgon2Params.Hash("pw")
			} else if ok, err := CheckPassword(h, "pw"); err != nil || !ok {
				t.Errorf("check: %v %v", ok, err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p != MaxConcurrentHashes {
		t.Fatalf("peak of %d hashes at once, want %d", p, MaxConcurrentHashes)
	}
}
