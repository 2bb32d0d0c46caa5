package app

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/efactura-gateway/efactura/internal/api"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// WebhookPolicy is the configured policy of webhook endpoints: https only
// in production, internal addresses only within EFACTURA_WEBHOOK_ALLOW_CIDRS.
func (e *Env) WebhookPolicy() webhook.Policy {
	return webhook.Policy{AllowHTTP: e.Cfg.WebhookAllowHTTP, AllowCIDRs: e.Cfg.WebhookAllowCIDRs}
}

// Deliverer builds the event dispatcher and webhook deliverer the jobs
// run (issue 19): data in the API's shape, the configured policy, and the
// subscribers (e-mail) told of every event.
func (e *Env) Deliverer(gw *gateway.Service, subs []notify.Subscriber, disabled webhook.DisabledNotifier) *webhook.Deliverer {
	data := api.EventData(gw, e.Cfg.BaseURL)
	return &webhook.Deliverer{
		Store: e.Store, Keys: e.Secrets, Policy: e.WebhookPolicy(), BaseURL: e.Cfg.BaseURL,
		Logger: e.Logger.With(slog.String("component", "webhooks")), Subscribers: subs, Disabled: disabled,
		Data: func(ctx context.Context, ev *store.Event, _ *store.Company) (json.RawMessage, error) {
			return data(ctx, ev.Type, ev.CompanyID, ev.SubjectID)
		},
		InvoicesData: api.EventInvoicesData(gw, e.Cfg.BaseURL),
	}
}
