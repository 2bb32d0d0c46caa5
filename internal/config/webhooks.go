package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// webhooks reads EFACTURA_WEBHOOK_ALLOW_CIDRS (comma-separated CIDRs, a
// bare address standing for itself): address ranges webhook deliveries may
// reach although they are loopback, private, link-local or otherwise not
// public (docs/notifications.md, SSRF). Empty by default: closed. Plain
// http:// endpoints are accepted in development only.
func (l *loader) webhooks(c *Config) error {
	c.WebhookAllowHTTP = !c.Production()
	s := l.get("EFACTURA_WEBHOOK_ALLOW_CIDRS", "")
	cidrs, err := ParseCIDRs(s)
	if err != nil {
		return fmt.Errorf("EFACTURA_WEBHOOK_ALLOW_CIDRS: %w", err)
	}
	c.WebhookAllowCIDRs = cidrs
	return nil
}

// ParseCIDRs reads a comma-separated list of CIDRs; a bare address is a
// /32 (/128).
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR", f)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
