package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/efactura-gateway/efactura/internal/store"
)

// Login throttling defaults (PRODUCT.md §9): failed logins per 15 minutes,
// 10 per (account, client address), 50 per address, 200 per account from
// any address; then a wait, never a permanent lock.
const (
	DefaultLoginPerAccountIP = 10
	DefaultLoginPerIP        = 50
	DefaultLoginPerAccount   = 200
	DefaultLoginWindow       = 15 * time.Minute
)

// loginPruneEvery is how often one process deletes the failures that left
// the window (each replica does; the DELETE is idempotent).
const loginPruneEvery = time.Minute

// LoginLimits configure the login throttle; a zero field takes its default.
type LoginLimits struct {
	PerAccountIP int           // failures per (account, client address)
	PerIP        int           // failures per client address, any account
	PerAccount   int           // failures per account, any address
	Window       time.Duration // the sliding window they are counted in
}

func (l LoginLimits) withDefaults() LoginLimits {
	if l.PerAccountIP <= 0 {
		l.PerAccountIP = DefaultLoginPerAccountIP
	}
	if l.PerIP <= 0 {
		l.PerIP = DefaultLoginPerIP
	}
	if l.PerAccount <= 0 {
		l.PerAccount = DefaultLoginPerAccount
	}
	if l.Window <= 0 {
		l.Window = DefaultLoginWindow
	}
	return l
}

// LoginThrottle counts failed logins in the database (table
// login_failures), so every replica on it shares the counts. The
// per-(account, address) limit stops one client guessing one password; the
// per-address limit stops one client trying many accounts; the larger
// per-account limit bounds guessing from many addresses. A stranger
// exhausting the first two only makes their own address wait; the owner
// logging in from their own address is not stopped until the account-wide
// limit, which takes many addresses to reach.
//
// One LoginThrottle serves one process (it remembers when it last pruned);
// build it with NewLoginThrottle and share it, as Service.Throttle.
type LoginThrottle struct {
	limits    LoginLimits
	now       func() time.Time
	lastPrune atomic.Int64 // Unix nanoseconds of this process's last prune
}

// NewLoginThrottle is a throttle with the limits (zero fields: defaults).
func NewLoginThrottle(l LoginLimits) *LoginThrottle {
	return &LoginThrottle{limits: l.withDefaults(), now: time.Now}
}

// defaultThrottle serves a Service without a Throttle.
var defaultThrottle = NewLoginThrottle(LoginLimits{})

// loginKeys are the throttle's keys of an attempt: the account is the
// SHA-256 of the lower-cased e-mail typed (whether or not such an account
// exists, so a throttled answer says nothing about existence), the address
// the client's IP, an IPv6 client's /64 (one subscriber's network).
func loginKeys(email, ip string) (account, addr string) {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:]), throttleAddr(ip)
}

// throttleAddr is the address a client's failures are counted under.
func throttleAddr(ip string) string {
	p := net.ParseIP(ip)
	if p == nil {
		return ip
	}
	if p.To4() != nil {
		return p.To4().String()
	}
	return (&net.IPNet{IP: p.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// wait returns how long the attempt must wait: zero when every scope is
// under its limit, else until the oldest failure counted toward the
// longest-blocked scope leaves the window.
func (t *LoginThrottle) wait(ctx context.Context, st *store.Store, email, ip string) (time.Duration, error) {
	account, addr := loginKeys(email, ip)
	now := t.now()
	b, err := st.LoginFailureBlocks(ctx, account, addr, now.Add(-t.limits.Window), store.LoginFailureLimits{
		PerAccountIP: t.limits.PerAccountIP, PerIP: t.limits.PerIP, PerAccount: t.limits.PerAccount})
	if err != nil {
		return 0, err
	}
	var longest time.Duration
	for _, oldest := range []time.Time{b.AccountIP, b.IP, b.Account} {
		if oldest.IsZero() {
			continue
		}
		if d := oldest.Add(t.limits.Window).Sub(now); d > longest {
			longest = d
		}
	}
	return longest, nil
}

// fail records a failed attempt and, at most once a minute per process,
// deletes the failures that left the window (the table stays bounded).
func (t *LoginThrottle) fail(ctx context.Context, st *store.Store, email, ip string) error {
	account, addr := loginKeys(email, ip)
	now := t.now()
	if err := st.RecordLoginFailure(ctx, account, addr, now); err != nil {
		return err
	}
	last := t.lastPrune.Load()
	if now.UnixNano()-last >= int64(loginPruneEvery) && t.lastPrune.CompareAndSwap(last, now.UnixNano()) {
		if _, err := st.PruneLoginFailures(ctx, now.Add(-t.limits.Window)); err != nil {
			return err
		}
	}
	return nil
}

// succeeded forgets the account's failures from this address (a user's
// own typos); failures from other addresses stay counted.
func (t *LoginThrottle) succeeded(ctx context.Context, st *store.Store, email, ip string) error {
	account, addr := loginKeys(email, ip)
	return st.ClearLoginFailures(ctx, account, addr)
}
