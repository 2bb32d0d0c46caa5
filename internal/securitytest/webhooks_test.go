package securitytest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// webhook seeds an endpoint of the company (a TEST-NET address: its
// deliveries are refused at dial time, nothing leaves the machine) with
// one delivery of a test event.
func (s *stack) webhook(t *testing.T, c *store.Company) (*store.WebhookEndpoint, *store.WebhookDelivery) {
	t.Helper()
	ctx := context.Background()
	enc, err := s.env.Secrets.Encrypt([]byte(webhook.NewSecret()))
	require.NoError(t, err)
	ep := &store.WebhookEndpoint{CompanyID: c.ID, URL: "https://203.0.113.10/hook", EventTypes: []string{notify.InvoiceReceived},
		SyncFailedThreshold: 3, SecretEnc: enc}
	require.NoError(t, s.st.CreateWebhookEndpoint(ctx, ep))
	detail, _ := json.Marshal(map[string]int64{"endpoint_id": ep.ID})
	ev := &store.Event{CompanyID: c.ID, Type: notify.Test, Detail: detail}
	_, err = s.st.RecordEvent(ctx, ev)
	require.NoError(t, err)
	_, err = s.st.CreateWebhookDelivery(ctx, ep.ID, ev.ID)
	require.NoError(t, err)
	dls, err := s.st.WebhookDeliveries(ctx, ep.ID, 1)
	require.NoError(t, err)
	require.Len(t, dls, 1)
	return ep, &dls[0]
}
