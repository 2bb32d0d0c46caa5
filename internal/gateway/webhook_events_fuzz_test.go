package gateway

import (
	"slices"
	"strings"
	"testing"

	"github.com/efactura-gateway/efactura/internal/notify"
)

// FuzzWebhookEvents: the event list of a new webhook endpoint (the API's
// "events" array, the page's checkboxes; comma-separated items allowed)
// never panics; it is accepted only when every non-blank name is a known
// event type and there is at least one, and then it is those types, once
// each, in notify.Types order ("test" is never one).
func FuzzWebhookEvents(f *testing.F) {
	f.Add("invoice.received", "upload.nok")
	f.Add("invoice.received,upload.ok, sync.failed", "")
	f.Add("test", "invoice.sent")
	f.Add(" , ", "anaf.connection.expiring,anaf.connection.expiring")
	f.Add("INVOICE.RECEIVED", "nope")
	f.Fuzz(func(t *testing.T, a, b string) {
		got, ok := webhookEvents([]string{a, b})
		want := map[string]bool{}
		known := true
		for _, f := range strings.Split(a+","+b, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if !slices.Contains(notify.Types, f) {
				known = false
			}
			want[f] = true
		}
		if ok != (known && len(want) > 0) {
			t.Fatalf("%q %q: ok %v", a, b, ok)
		}
		if !ok {
			return
		}
		var exp []string
		for _, typ := range notify.Types {
			if want[typ] {
				exp = append(exp, typ)
			}
		}
		if !slices.Equal(got, exp) {
			t.Fatalf("%q %q: %v, want %v", a, b, got, exp)
		}
	})
}
