package mail

import (
	"context"
	"errors"
	"strconv"

	"github.com/efactura-gateway/efactura/internal/locale"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// KindWebhookDisabled is the outbox kind of the owners' mail about a
// webhook endpoint the gateway disabled.
const KindWebhookDisabled = "webhook_disabled"

var _ webhook.DisabledNotifier = (*Service)(nil)

// webhookTexts are this mail's words (merged into texts).
var webhookTexts = map[string][2]string{
	"wh.disabled.subject": {"Webhook dezactivat: %s", "Webhook disabled: %s"},
	"wh.disabled.heading": {"Un webhook al firmei a fost dezactivat", "A webhook endpoint of the company was disabled"},
	"wh.disabled.url":     {"Adresa: %s", "Address: %s"},
	"wh.disabled.at":      {"Dezactivat la: %s", "Disabled at: %s"},
	"wh.disabled.why": {"Livrările către această adresă au eșuat timp de 24 de ore, așa că gateway-ul a oprit-o: evenimentele noi nu îi mai sunt trimise.",
		"Deliveries to this address failed for 24 hours, so the gateway stopped using it: new events are no longer sent to it."},
	"wh.disabled.fix": {"Verificați receptorul, apoi reactivați webhookul din pagina webhookurilor firmei; livrările eșuate pot fi retrimise din jurnalul lor.",
		"Check the receiver, then enable the endpoint again on the company's webhooks page; failed deliveries can be resent from its delivery log."},
	"wh.disabled.open":   {"Deschideți webhookurile firmei", "Open the company's webhooks"},
	"wh.disabled.footer": {"Primiți acest e-mail pentru că sunteți proprietar al firmei în eFactura Gateway.", "You get this e-mail because you are an owner of the company in eFactura Gateway."},
}

func init() {
	for k, v := range webhookTexts {
		texts[k] = v
	}
}

// WebhookDisabled is the webhook.DisabledNotifier: it mails each approved
// owner of the endpoint's company (in their language, whatever their
// notification mode: the owners manage the endpoints) that the gateway
// disabled it. Idempotent per (endpoint, disable time, owner).
func (s *Service) WebhookDisabled(ctx context.Context, ep webhook.DisabledEndpoint) error {
	if !s.On() {
		return nil
	}
	c, err := s.st.CompanyByID(ctx, ep.CompanyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	owners, err := s.st.CompanyOwnerRecipients(ctx, ep.CompanyID)
	if err != nil {
		return err
	}
	link := s.baseURL + "/companies/" + strconv.FormatInt(c.ID, 10) + "/webhooks/" + strconv.FormatInt(ep.ID, 10)
	return s.st.WithTx(ctx, func(tx *store.Store) error {
		for _, o := range owners {
			lang := o.Lang
			v := &view{Lang: lang, Heading: tr(lang, "wh.disabled.heading"),
				Sections: []section{{Title: companyTitle(lang, c), Groups: []group{{
					Items: []item{{Text: tr(lang, "wh.disabled.url", ep.URL)}, {Text: tr(lang, "wh.disabled.at", locale.DateTime(lang, ep.At))}},
					Notes: []string{tr(lang, "wh.disabled.why"), tr(lang, "wh.disabled.fix")},
				}}}},
				Link: link, LinkLabel: tr(lang, "wh.disabled.open"), Footer: tr(lang, "wh.disabled.footer")}
			name := c.Name
			if name == "" {
				name = c.CIF
			}
			m := s.compose(v, tr(lang, "wh.disabled.subject", name))
			m.DedupeKey = "webhook-disabled:" + strconv.FormatInt(ep.ID, 10) + ":" + strconv.FormatInt(ep.At.UnixNano(), 10) +
				":" + strconv.FormatInt(o.ID, 10)
			m.Kind, m.UserID, m.To = KindWebhookDisabled, o.ID, o.Email
			if err := s.queue(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}
