// Package webhook delivers events to a company's webhook endpoints (issue
// 19): the signature (Stripe-like "t=<unix>,v1=<hex HMAC-SHA256>"), the
// endpoint-URL rules and the SSRF guard, the HTTP attempt with bounded time
// and body, and the delivery step with its back-off and the 24-hour window
// after which an endpoint is disabled. The River jobs that run it are in
// internal/jobs (events.go).
package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// Policy says where deliveries may go. The zero Policy is production's:
// https only, public unicast addresses only.
type Policy struct {
	// AllowHTTP accepts http:// endpoints (development only).
	AllowHTTP bool
	// AllowCIDRs are address ranges allowed although blocked by default
	// (EFACTURA_WEBHOOK_ALLOW_CIDRS), e.g. 127.0.0.0/8 in tests or an
	// ERP on the operator's own network.
	AllowCIDRs []netip.Prefix
}

// blocked are the ranges a delivery never reaches unless allowed:
// besides what netip classifies (loopback, private, link-local,
// multicast, unspecified), the shared/CGNAT range, "this network",
// IETF protocol assignments, benchmarking, reserved and broadcast, and
// the IPv6 translation prefixes that embed an IPv4 address.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
		"64:ff9b::/96", "64:ff9b:1::/48", "2001:db8::/32", "2002::/16", "100::/64", "fec0::/10",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// ErrBlockedAddress is the refusal of an address the policy does not allow.
var ErrBlockedAddress = errors.New("webhook: address not allowed")

// AddrAllowed reports whether a delivery may connect to ip.
func (p Policy) AddrAllowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return false
	}
	for _, a := range p.AllowCIDRs {
		if a.Contains(ip) {
			return true
		}
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsGlobalUnicast() {
		return false
	}
	for _, b := range blocked {
		if b.Contains(ip) {
			return false
		}
	}
	return true
}

// control is the net.Dialer Control that refuses a connection to an
// address the policy does not allow: it sees the address actually dialled
// (after DNS resolution, on every attempt and every redirect), so DNS
// rebinding cannot slip past a check made earlier.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !p.AddrAllowed(ip) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, host)
	}
	return nil
}

// MaxURLLength bounds an endpoint URL.
const MaxURLLength = 2048

// URLError is a refused endpoint URL; Reason is a short English reason,
// Code names it for translated messages.
type URLError struct {
	Code   string // scheme, syntax, host, address, resolve, length
	Reason string
}

func (e *URLError) Error() string { return "webhook: endpoint URL refused: " + e.Reason }

// ParseURL checks an endpoint URL's shape without resolving it: absolute
// https (http when AllowHTTP), a host, no user information, no fragment,
// at most MaxURLLength bytes; a literal address must be allowed. It returns
// the URL normalised (scheme and host lower case).
func (p Policy) ParseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > MaxURLLength {
		return nil, &URLError{"length", fmt.Sprintf("longer than %d characters", MaxURLLength)}
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return nil, &URLError{"syntax", "not an absolute URL"}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowHTTP:
	default:
		return nil, &URLError{"scheme", "only https:// endpoints are accepted"}
	}
	if u.User != nil {
		return nil, &URLError{"syntax", "user information in the URL is not accepted"}
	}
	if u.Fragment != "" || u.RawFragment != "" {
		return nil, &URLError{"syntax", "a fragment is not accepted"}
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || strings.ContainsAny(host, " %") {
		return nil, &URLError{"host", "no host"}
	}
	if port := u.Port(); port != "" {
		if n, err := netip.ParseAddrPort("0.0.0.0:" + port); err != nil || n.Port() == 0 {
			return nil, &URLError{"syntax", "bad port"}
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !p.AddrAllowed(ip) {
			return nil, &URLError{"address", "the address is loopback, private, link-local or otherwise not public"}
		}
	} else if h := strings.TrimSuffix(host, "."); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return nil, &URLError{"address", "the address is loopback, private, link-local or otherwise not public"}
	}
	u.Host = strings.ToLower(u.Host)
	return u, nil
}

// CheckURL is ParseURL, then the host's addresses resolved: every one
// must be allowed (the check at creation time; each delivery checks again
// at dial time).
func (p Policy) CheckURL(ctx context.Context, raw string) (*url.URL, error) {
	u, err := p.ParseURL(raw)
	if err != nil {
		return nil, err
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return u, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, &URLError{"resolve", "the host name does not resolve"}
	}
	for _, a := range addrs {
		if !p.AddrAllowed(a) {
			return nil, &URLError{"address", "the host name resolves to a loopback, private, link-local or otherwise non-public address"}
		}
	}
	return u, nil
}
