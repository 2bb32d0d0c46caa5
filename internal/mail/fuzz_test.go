package mail

import (
	"strings"
	"testing"

	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// FuzzComposeEvent: any event data (the payload another package builds)
// gives a mail, never a panic, and the HTML part escapes what it shows.
func FuzzComposeEvent(f *testing.F) {
	st := storetest.NewSQLite(f)
	svc, err := New(Options{Store: st, BaseURL: "https://gw.example.ro", SecretKey: "fuzz-secret-key-0123456789abcdef"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(notify.InvoiceReceived, `{"id":42,"invoice_number":"F-1","supplier_name":"BETA","total_amount":1190.00,"currency":"RON"}`)
	f.Add(notify.UploadNOK, `{"id":"7","total_amount":"12.5","errors":[{"id":"BR-01","message":"x"}]}`)
	f.Add(notify.ConnectionExpiring, `{"expires_at":"2026-03-01T10:00:00Z"}`)
	f.Add(notify.SyncFailed, `not json`)
	f.Add(notify.SPVAtRisk, `{"at_risk_messages":3,"stale":true}`)
	f.Fuzz(func(t *testing.T, typ, data string) {
		ev := notify.Event{ID: "evt", Type: typ, CompanyID: 1, Data: []byte(data)}
		for _, lang := range []string{"ro", "en"} {
			m := svc.composeEvent(ev, &store.Company{ID: 1, CIF: "12345674", Name: "ALFA"}, store.NotifySubscriber{UserID: 1, Lang: lang})
			if m.Text == "" || m.HTML == "" {
				t.Fatal("empty mail")
			}
			if strings.Contains(m.HTML, "<script") {
				t.Fatalf("unescaped data in the HTML part: %q", data)
			}
		}
	})
}
