package gateway_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
)

func webhookBundle(t *testing.T) *testBundle {
	b := setup(t)
	spec, err := secretbox.Generate("test")
	require.NoError(t, err)
	keys, err := secretbox.Parse(spec)
	require.NoError(t, err)
	b.gw.Secrets = keys
	return b
}

func TestWebhookUseCases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	b := webhookBundle(t)
	own := gateway.UserPrincipal(actor(b.own))
	in := gateway.WebhookInput{URL: "https://127.0.0.1:8443/hook?token=abc", Events: []string{notify.InvoiceReceived, notify.SyncFailed}}

	// The default policy refuses internal addresses, with the field named.
	_, _, err := b.gw.CreateWebhook(ctx, own, b.company.ID, in)
	var fe gateway.FieldErrors
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "webhook_url_internal", fe[0].Code)
	for _, u := range []string{"http://erp.example.com/h", "https://169.254.169.254/", "https://10.1.2.3/", "https://[::1]/", "https://localhost/"} {
		_, _, err := b.gw.CreateWebhook(ctx, own, b.company.ID, gateway.WebhookInput{URL: u, Events: []string{notify.UploadOK}})
		require.ErrorAs(t, err, &fe, u)
		require.Equal(t, "url", fe[0].Field, u)
	}
	_, _, err = b.gw.CreateWebhook(ctx, own, b.company.ID, gateway.WebhookInput{URL: "https://8.8.8.8/", Events: []string{"nope"}})
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "webhook_events", fe[0].Code)

	b.gw.WebhookPolicy = gateway.WebhookPolicy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	// Members, admins and read keys do not manage webhooks.
	_, _, err = b.gw.CreateWebhook(ctx, gateway.UserPrincipal(actor(b.mem)), b.company.ID, in)
	require.ErrorIs(t, err, gateway.ErrNotFound)
	_, _, err = b.gw.CreateWebhook(ctx, gateway.UserPrincipal(actor(b.admin)), b.company.ID, in)
	require.ErrorIs(t, err, gateway.ErrNotFound)
	_, _, err = b.gw.CreateWebhook(ctx, gateway.KeyOf(b.company.ID, store.ScopeRead, 1), 0, in)
	require.ErrorIs(t, err, gateway.ErrInsufficientScope)
	imp := actor(b.own)
	imp.ImpersonatorID, imp.ImpersonatorEmail = b.admin.ID, b.admin.Email
	_, _, err = b.gw.CreateWebhook(ctx, gateway.UserPrincipal(imp), b.company.ID, in)
	require.ErrorIs(t, err, gateway.ErrImpersonating)

	secret, ep, err := b.gw.CreateWebhook(ctx, own, b.company.ID, in)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(secret, "whsec_"))
	require.Equal(t, 3, ep.SyncFailedThreshold)
	require.Equal(t, []string{notify.InvoiceReceived, notify.SyncFailed}, ep.EventTypes)
	require.NotContains(t, string(ep.SecretEnc), secret)
	a := b.lastAudit(t)
	require.Equal(t, store.ActionWebhookCreate, a.Action)
	require.NotContains(t, a.Details, secret)
	require.NotContains(t, a.Details, "token=abc", "the URL's query is not audited")

	// A write key of the company sees and changes it; another company's key does not.
	wk := gateway.KeyOf(b.company.ID, store.ScopeWrite, 2)
	_, eps, err := b.gw.Webhooks(ctx, wk, 0)
	require.NoError(t, err)
	require.Len(t, eps, 1)
	other, err := b.st.CreateCompany(ctx, "14399840", "BETA SRL")
	require.NoError(t, err)
	require.ErrorIs(t, b.gw.DeleteWebhook(ctx, gateway.KeyOf(other.ID, store.ScopeWrite, 3), other.ID, ep.ID), gateway.ErrNotFound)
	_, _, err = b.gw.Webhooks(ctx, gateway.UserPrincipal(actor(b.mem)), b.company.ID)
	require.ErrorIs(t, err, gateway.ErrNotFound)

	rotated, err := b.gw.RotateWebhookSecret(ctx, wk, 0, ep.ID)
	require.NoError(t, err)
	require.NotEqual(t, secret, rotated)
	require.NoError(t, b.gw.SetWebhookEnabled(ctx, own, b.company.ID, ep.ID, false))
	_, err = b.gw.SendTestWebhook(ctx, own, b.company.ID, ep.ID)
	require.ErrorIs(t, err, gateway.ErrWebhookDisabled)
	require.NoError(t, b.gw.SetWebhookEnabled(ctx, own, b.company.ID, ep.ID, true))
	evID, err := b.gw.SendTestWebhook(ctx, own, b.company.ID, ep.ID)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(evID, "evt_"))
	log, err := b.gw.WebhookDeliveries(ctx, own, b.company.ID, ep.ID)
	require.NoError(t, err)
	require.Empty(t, log.Deliveries, "created by the dispatch job")
	require.NoError(t, b.gw.DeleteWebhook(ctx, own, b.company.ID, ep.ID))
	_, eps, err = b.gw.Webhooks(ctx, own, b.company.ID)
	require.NoError(t, err)
	require.Empty(t, eps)
	audits, err := b.st.AuditEvents(ctx, 20)
	require.NoError(t, err)
	for _, a := range audits {
		require.NotContains(t, a.Details, secret)
		require.NotContains(t, a.Details, rotated)
	}
}
