package web

import (
	"sync"
	"time"
)

// Login throttling defaults (PRODUCT.md §9): 10 failed attempts per 15
// minutes per account and per IP, then a wait; never a permanent lock.
const (
	defaultLoginAttempts = 10
	defaultLoginWindow   = 15 * time.Minute
)

// loginThrottle counts failed logins per key ("acct:" + e-mail, "ip:" +
// address) in a sliding window, in memory (one process; a shared version
// comes with Redis).
type loginThrottle struct {
	mu       sync.Mutex
	limit    int
	window   time.Duration
	now      func() time.Time
	failures map[string][]time.Time
}

func newLoginThrottle(limit int, window time.Duration) *loginThrottle {
	if limit <= 0 {
		limit = defaultLoginAttempts
	}
	if window <= 0 {
		window = defaultLoginWindow
	}
	return &loginThrottle{limit: limit, window: window, now: time.Now, failures: map[string][]time.Time{}}
}

// recent drops failures older than the window; the caller holds mu.
func (t *loginThrottle) recent(key string, now time.Time) []time.Time {
	list := t.failures[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= t.window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(t.failures, key)
		return nil
	}
	t.failures[key] = list
	return list
}

// wait returns how long the keys must wait before another attempt: zero
// when every key has fewer than limit failures in the window.
func (t *loginThrottle) wait(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var longest time.Duration
	for _, k := range keys {
		list := t.recent(k, now)
		if len(list) >= t.limit {
			// Free again when the oldest counted failure leaves the window.
			if d := list[len(list)-t.limit].Add(t.window).Sub(now); d > longest {
				longest = d
			}
		}
	}
	return longest
}

// fail records a failed attempt for every key.
func (t *loginThrottle) fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.failures) > 100_000 { // bound the memory an attacker can make us hold
		for k := range t.failures {
			t.recent(k, now)
		}
	}
	for _, k := range keys {
		list := t.recent(k, now)
		if len(list) >= 4*t.limit { // enough to block; do not grow without bound
			list = list[1:]
		}
		t.failures[k] = append(list, now)
	}
}

// reset forgets the failures of a key (an account after a good login).
func (t *loginThrottle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
}
