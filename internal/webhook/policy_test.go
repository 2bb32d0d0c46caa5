package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/efactura-gateway/efactura/internal/webhook"
)

func TestAddrAllowed(t *testing.T) {
	var closed webhook.Policy
	for _, s := range []string{
		"127.0.0.1", "127.1.2.3", "::1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "169.254.0.1",
		"fe80::1", "fc00::1", "fd12:3456::1", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "100.64.0.1", "100.127.255.254",
		"255.255.255.255", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "198.18.0.1", "240.0.0.1",
		"192.0.0.8", "2002:7f00:1::",
	} {
		if closed.AddrAllowed(netip.MustParseAddr(s)) {
			t.Errorf("%s allowed by default", s)
		}
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "2a00:1450:4001:82b::200e", "193.230.0.1"} {
		if !closed.AddrAllowed(netip.MustParseAddr(s)) {
			t.Errorf("%s refused by default", s)
		}
	}
	open := webhook.Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.1.0.0/16")}}
	for _, s := range []string{"127.0.0.1", "::ffff:127.0.0.1", "10.1.2.3"} {
		if !open.AddrAllowed(netip.MustParseAddr(s)) {
			t.Errorf("%s refused although allowed", s)
		}
	}
	for _, s := range []string{"10.2.0.1", "169.254.169.254", "::1"} {
		if open.AddrAllowed(netip.MustParseAddr(s)) {
			t.Errorf("%s allowed outside the allowed ranges", s)
		}
	}
}

func TestParseURL(t *testing.T) {
	var prod webhook.Policy
	dev := webhook.Policy{AllowHTTP: true}
	for _, tc := range []struct {
		raw  string
		p    webhook.Policy
		code string // "" accepted
	}{
		{"https://erp.example.com/hooks/efactura?k=1", prod, ""},
		{"https://erp.example.com:8443/h", prod, ""},
		{"HTTPS://ERP.example.com/h", prod, ""},
		{"http://erp.example.com/h", prod, "scheme"},
		{"http://erp.example.com/h", dev, ""},
		{"ftp://erp.example.com/h", dev, "scheme"},
		{"file:///etc/passwd", dev, "scheme"},
		{"gopher://127.0.0.1:25/", dev, "scheme"},
		{"erp.example.com/h", prod, "syntax"},
		{"https://user:pw@erp.example.com/h", prod, "syntax"},
		{"https://erp.example.com/h#frag", prod, "syntax"},
		{"https:///h", prod, "host"},
		{"https://127.0.0.1/h", prod, "address"},
		{"https://[::1]/h", prod, "address"},
		{"https://169.254.169.254/latest/meta-data/", prod, "address"},
		{"https://10.0.0.5/h", prod, "address"},
		{"https://192.168.0.1/h", prod, "address"},
		{"https://100.64.1.1/h", prod, "address"},
		{"https://[fd00::1]/h", prod, "address"},
		{"https://0.0.0.0/h", prod, "address"},
		{"https://localhost/h", prod, "address"},
		{"https://api.localhost/h", prod, "address"},
		{"https://localhost./h", prod, "address"},
		{"https://erp.example.com:0/h", prod, "syntax"},
		{"https://erp.example.com:99999/h", prod, "syntax"},
		{"https://" + strings.Repeat("a", 2050) + ".com/", prod, "length"},
	} {
		_, err := tc.p.ParseURL(tc.raw)
		var ue *webhook.URLError
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%q refused: %v", tc.raw, err)
		case tc.code != "" && (!errors.As(err, &ue) || ue.Code != tc.code):
			t.Errorf("%q: got %v, want code %s", tc.raw, err, tc.code)
		}
	}
}

// TestCheckURLResolves: a host name is resolved at creation time and
// refused when it names a loopback address.
func TestCheckURLResolves(t *testing.T) {
	var prod webhook.Policy
	// The machine's own name resolves to loopback (/etc/hosts): only
	// resolution finds that out.
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	if addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host); err != nil || len(addrs) == 0 || !addrs[0].IsLoopback() {
		t.Skipf("%s does not resolve to loopback here", host)
	}
	_, err = prod.CheckURL(context.Background(), "https://"+host+"/h")
	var ue *webhook.URLError
	if !errors.As(err, &ue) || ue.Code != "address" {
		t.Fatalf("%s accepted: %v", host, err)
	}
	_, err = prod.CheckURL(context.Background(), "https://no-such-host.invalid/h")
	if !errors.As(err, &ue) || ue.Code != "resolve" {
		t.Fatalf("an unresolvable host: %v", err)
	}
}

// TestDialGuard: the delivery client refuses, at dial time, an address the
// policy does not allow, whatever name led there, and the redirect to one
// (by address, or by a name resolving to one).
func TestDialGuard(t *testing.T) {
	hit := false
	target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	t.Cleanup(target.Close)
	tlsConf := target.Client().Transport.(*http.Transport).TLSClientConfig
	d := &webhook.Deliverer{TLSConfig: tlsConf}
	port := target.URL[strings.LastIndex(target.URL, ":"):]
	for _, u := range []string{target.URL, "https://localhost" + port, "https://127.0.0.2" + port} {
		req, _ := http.NewRequest(http.MethodPost, u, nil)
		resp, err := d.Client().Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("%s: reached", u)
		}
		if !errors.Is(err, webhook.ErrBlockedAddress) {
			t.Fatalf("%s: %v, want the address refused", u, err)
		}
	}
	if hit {
		t.Fatal("the loopback server was reached")
	}

	// A redirect from an allowed address to blocked ones.
	for _, to := range []string{"https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/", "https://127.0.0.2" + port + "/", "http://127.0.0.1" + port + "/"} {
		redirector := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, to, http.StatusTemporaryRedirect)
		}))
		allow := webhook.Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
		d := &webhook.Deliverer{Policy: allow, TLSConfig: redirector.Client().Transport.(*http.Transport).TLSClientConfig}
		req, _ := http.NewRequest(http.MethodPost, redirector.URL, strings.NewReader("{}"))
		resp, err := d.Client().Do(req)
		redirector.Close()
		if err == nil {
			resp.Body.Close()
			t.Fatalf("redirect to %s followed", to)
		}
		if !errors.Is(err, webhook.ErrBlockedAddress) && !strings.Contains(err.Error(), "redirect refused") {
			t.Fatalf("redirect to %s: %v", to, err)
		}
	}

	// A redirect to a host name (which the URL check cannot judge) that
	// resolves to a blocked address: refused when dialled. The redirector
	// listens on 127.0.0.3, the only address allowed; the name is the
	// machine's own, resolving to another loopback address.
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip4", host)
	if err != nil || len(addrs) == 0 || !addrs[0].Unmap().IsLoopback() || addrs[0].Unmap() == netip.MustParseAddr("127.0.0.3") {
		t.Skipf("%s does not resolve to a loopback address other than 127.0.0.3 here", host)
	}
	l, err := net.Listen("tcp", "127.0.0.3:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.3: %v", err)
	}
	redirector := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+host+port+"/", http.StatusTemporaryRedirect)
	}))
	redirector.Listener.Close()
	redirector.Listener = l
	redirector.StartTLS()
	t.Cleanup(redirector.Close)
	allow := webhook.Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.3/32")}}
	conf := redirector.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	conf.ServerName = "127.0.0.1" // the test certificate's name; the address is 127.0.0.3
	d = &webhook.Deliverer{Policy: allow, TLSConfig: conf}
	req, _ := http.NewRequest(http.MethodPost, redirector.URL, strings.NewReader("{}"))
	resp, err := d.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("redirect to %s (%s) followed", host, addrs[0])
	}
	if !errors.Is(err, webhook.ErrBlockedAddress) {
		t.Fatalf("redirect to %s (%s): %v, want the address refused at dial time", host, addrs[0], err)
	}
	if hit {
		t.Fatal("the loopback server was reached")
	}
}

// FuzzParseURL: any input is accepted or refused with a URLError, never
// a panic; an accepted URL is https with a host and no user information,
// and a literal address in it is public.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"https://erp.example.com/h", "http://127.0.0.1/", "https://[::ffff:10.0.0.1]/", "https://user@x/",
		"https://169.254.169.254", "https://0x7f000001/", "https://2130706433/", "https://[fe80::1%25eth0]/"} {
		f.Add(s)
	}
	var prod webhook.Policy
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := prod.ParseURL(raw)
		if err != nil {
			var ue *webhook.URLError
			if !errors.As(err, &ue) {
				t.Fatalf("%q: %T %v", raw, err, err)
			}
			return
		}
		if u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
			t.Fatalf("%q accepted as %v", raw, u)
		}
		if a, err := netip.ParseAddr(u.Hostname()); err == nil && !prod.AddrAllowed(a) {
			t.Fatalf("%q: blocked literal %s accepted", raw, a)
		}
	})
}
