package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestBrowserWebhooks: an owner adds a webhook on the page (an internal
// address is refused with the reason, a public one shows its secret once),
// then, on an endpoint pointing at a loopback receiver, sends a test
// event: the default configuration refuses the address at dial time, the
// delivery log says so, the receiver is never reached; resend, disable,
// enable and delete answer with their messages.
func TestBrowserWebhooks(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	ctx := t.Context()
	st := g.store
	ana := approvedUser(t, st)
	beta, err := st.CreateCompanyWithOwner(ctx, companyCIF, "BETA TRADING SRL", ana.ID)
	require.NoError(t, err)

	b := newBrowser(t, g.url)
	b.login(userEmail)
	page := fmt.Sprintf("/companies/%d/webhooks", beta.ID)
	b.open(page)
	b.shot("webhooks-empty")
	b.fill("#wh-url", "https://169.254.169.254/latest/meta-data/")
	b.do("check event", chromedp.Click(chromedp.CSS(`input[value="invoice.received"]`)))
	b.submit("main form[action$='/webhooks'] button[type=submit]", "#wh-url-error")
	require.Contains(t, b.text("#wh-url-error"), "EFACTURA_WEBHOOK_ALLOW_CIDRS")
	b.shot("webhooks-refused")

	b.fill("#wh-url", "https://8.8.8.8/efactura")
	b.submit("main form[action$='/webhooks'] button[type=submit]", "#new-secret")
	secret := b.eval(`document.querySelector("#new-secret").value`)
	require.True(t, strings.HasPrefix(secret, "whsec_"), secret)
	b.shot("webhooks-created")
	b.open(page)
	require.NotContains(t, b.eval(`document.body.innerHTML`), secret, "the secret is shown once")

	// An endpoint on a loopback receiver (as if DNS had pointed there).
	var hits atomic.Int32
	rcv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(rcv.Close)
	eps, err := st.WebhookEndpoints(ctx, beta.ID)
	require.NoError(t, err)
	require.Len(t, eps, 1)
	loop := &store.WebhookEndpoint{CompanyID: beta.ID, URL: rcv.URL + "/hook", EventTypes: []string{notify.UploadOK},
		SyncFailedThreshold: 3, SecretEnc: eps[0].SecretEnc}
	require.NoError(t, st.CreateWebhookEndpoint(ctx, loop))
	logPage := fmt.Sprintf("%s/%d", page, loop.ID)
	b.open(logPage)
	b.submit("form[action$='/test'] button", ".flash-ok")
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.open(logPage)
		text := b.eval(`document.querySelector("main").innerText`)
		if strings.Contains(text, "Adresă internă refuzată") {
			break
		}
		require.True(t, time.Now().Before(deadline), "the refused delivery did not reach the log")
		time.Sleep(300 * time.Millisecond)
	}
	b.shot("webhook-log-refused")
	// The Romanian page summarises the error; the raw text is the title.
	raw := b.eval(`document.querySelector("td .delivery-error").title`)
	require.True(t, strings.Contains(raw, "not public") || strings.Contains(raw, "address not allowed"), raw)
	require.NotContains(t, b.eval(`document.querySelector("main").innerText`), "address not allowed")
	require.Zero(t, hits.Load(), "the loopback receiver was reached")
	b.submit("form[action$='/resend'] button", ".flash-ok")
	b.open(page)
	b.submit(fmt.Sprintf("form[action$='/%d/disable'] button", loop.ID), ".flash-ok")
	require.Contains(t, b.eval(`document.querySelector("main").innerText`), "de un proprietar", "why it is disabled, in Romanian")
	b.submit(fmt.Sprintf("form[action$='/%d/enable'] button", loop.ID), ".flash-ok")
	b.eval(`(window.confirm = () => true, "ok")`)
	b.submit(fmt.Sprintf("form[action$='/%d/delete'] button", loop.ID), ".flash-ok")
	b.shot("webhooks-after")
	for _, width := range []int64{360} {
		b.do("viewport", chromedp.EmulateViewport(width, 900))
		b.open(page)
		b.shot(fmt.Sprintf("webhooks-%d", width))
	}
	var console []string
	for _, c := range b.console {
		if !strings.Contains(c, "status of 422") { // the refused form's answer
			console = append(console, c)
		}
	}
	require.Empty(t, console, "console errors or CSP violations")
}
