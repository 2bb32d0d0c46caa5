package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// Webhooks (issue 19): a company's owners (on the pages) and its API keys
// (read: list and the delivery log; write: changes) manage the company's
// endpoints. The secret is returned once, at creation and rotation, and
// kept sealed with the keyring (HMAC needs the plain secret).

// Store types of webhooks the doors show.
type (
	WebhookEndpoint = store.WebhookEndpoint
	WebhookDelivery = store.WebhookDelivery
)

// WebhookPolicy says which endpoint URLs are accepted and reached
// (production: https, public addresses; EFACTURA_WEBHOOK_ALLOW_CIDRS).
// Service.WebhookPolicy is the gateway's.
type WebhookPolicy = webhook.Policy

// MaxWebhooks is how many endpoints a company may have.
const MaxWebhooks = 10

// MaxSyncFailedThreshold bounds an endpoint's sync.failed threshold.
const MaxSyncFailedThreshold = 100

// Refusals of the webhook use cases.
var (
	ErrWebhookURL         = &Error{Kind: KindInvalid, Code: "webhook_url", Field: "url", Msg: "the endpoint must be an https:// URL of a public address"}
	ErrWebhookURLResolve  = &Error{Kind: KindInvalid, Code: "webhook_url_resolve", Field: "url", Msg: "the endpoint's host name does not resolve"}
	ErrWebhookURLInternal = &Error{Kind: KindInvalid, Code: "webhook_url_internal", Field: "url", Msg: "the endpoint's address is loopback, private, link-local or otherwise not public; an operator may allow it with EFACTURA_WEBHOOK_ALLOW_CIDRS"}
	ErrWebhookEvents      = &Error{Kind: KindInvalid, Code: "webhook_events", Field: "events", Msg: "choose at least one known event type"}
	ErrWebhookThreshold   = &Error{Kind: KindInvalid, Code: "webhook_threshold", Field: "sync_failed_threshold", Msg: fmt.Sprintf("the sync.failed threshold is a number from 1 to %d", MaxSyncFailedThreshold)}
	ErrWebhookTooMany     = &Error{Kind: KindConflict, Code: "webhook_too_many", Msg: fmt.Sprintf("a company has at most %d webhook endpoints", MaxWebhooks)}
	ErrWebhookDisabled    = &Error{Kind: KindConflict, Code: "webhook_disabled", Msg: "the endpoint is disabled: enable it first"}
	ErrWebhookUnavailable = &Error{Kind: KindUnavailable, Code: "webhook_unavailable", Msg: "webhooks need the encryption key (EFACTURA_ENCRYPTION_KEY)"}
)

// WebhookInput is a new endpoint.
type WebhookInput struct {
	URL                 string
	Events              []string // notify types; empty: none (refused)
	SyncFailedThreshold int      // 0: 3
}

// webhookCompany is the tenant check of the webhook use cases: a user
// must own the company (or be the operator at the CLI); a key is its own
// company's with scope (read to look, write to change). Creating an
// endpoint and rotating its secret also refuse an impersonating admin
// (no credential is made that way: CreateCredentialAllowed).
func (s *Service) webhookCompany(ctx context.Context, p Principal, companyID int64, change bool) (*store.Company, error) {
	if k, ok := p.Key(); ok {
		scope := ScopeRead
		if change {
			scope = ScopeWrite
		}
		if err := p.requireScope(scope); err != nil {
			return nil, err
		}
		if companyID != 0 && companyID != k.CompanyID {
			return nil, ErrNotFound
		}
		c, err := s.Store.CompanyByID(ctx, k.CompanyID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrNotFound
		}
		return c, err
	}
	a := p.Actor()
	if a.UserID == 0 && !a.CLI {
		return nil, ErrNotFound
	}
	return s.managed(ctx, a, companyID)
}

// webhookAudit records a webhook action of the principal (a key is named
// in the details).
func (s *Service) webhookAudit(ctx context.Context, p Principal, action string, c *store.Company, ep *store.WebhookEndpoint, extra string) {
	details := store.TargetCompany(c.CIF) + " url=" + redactURL(ep.URL)
	if extra != "" {
		details += " " + extra
	}
	if k, ok := p.Key(); ok {
		details += " api " + store.TargetKey(k.KeyID)
	}
	s.auditTarget(ctx, p.Actor(), action, store.TargetWebhook(ep.ID), details)
}

// redactURL is an endpoint URL without its query (which may carry a token).
func redactURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i] + "?…"
	}
	return u
}

// checkWebhookURL applies the policy to a new endpoint's URL (its host
// resolved now; each delivery checks the dialled address again).
func (s *Service) checkWebhookURL(ctx context.Context, raw string) (string, error) {
	u, err := s.WebhookPolicy.CheckURL(ctx, raw)
	var ue *webhook.URLError
	switch {
	case err == nil:
		return u.String(), nil
	case errors.As(err, &ue) && ue.Code == "resolve":
		return "", ErrWebhookURLResolve
	case errors.As(err, &ue) && ue.Code == "address":
		return "", ErrWebhookURLInternal
	}
	return "", ErrWebhookURL
}

// CreateWebhook adds an endpoint to the company and returns it with its
// secret (shown this once).
func (s *Service) CreateWebhook(ctx context.Context, p Principal, companyID int64, in WebhookInput) (string, *WebhookEndpoint, error) {
	c, err := s.webhookCompany(ctx, p, companyID, true)
	if err != nil {
		return "", nil, err
	}
	if err := CreateCredentialAllowed(p.Actor()); err != nil {
		return "", nil, err
	}
	if s.Secrets == nil {
		return "", nil, ErrWebhookUnavailable
	}
	var bad FieldErrors
	url, err := s.checkWebhookURL(ctx, in.URL)
	if err != nil {
		var ge *Error
		errors.As(err, &ge)
		bad = append(bad, ge)
	}
	events, ok := webhookEvents(in.Events)
	if !ok {
		bad = append(bad, ErrWebhookEvents)
	}
	if in.SyncFailedThreshold == 0 {
		in.SyncFailedThreshold = 3
	}
	if in.SyncFailedThreshold < 1 || in.SyncFailedThreshold > MaxSyncFailedThreshold {
		bad = append(bad, ErrWebhookThreshold)
	}
	if len(bad) > 0 {
		return "", nil, bad
	}
	existing, err := s.Store.WebhookEndpoints(ctx, c.ID)
	if err != nil {
		return "", nil, err
	}
	if len(existing) >= MaxWebhooks {
		return "", nil, ErrWebhookTooMany
	}
	secret := webhook.NewSecret()
	enc, err := s.Secrets.Encrypt([]byte(secret))
	if err != nil {
		return "", nil, err
	}
	ep := &store.WebhookEndpoint{CompanyID: c.ID, URL: url, EventTypes: events, SyncFailedThreshold: in.SyncFailedThreshold,
		SecretEnc: enc, CreatedBy: p.Actor().UserID}
	if err := s.Store.CreateWebhookEndpoint(ctx, ep); err != nil {
		return "", nil, err
	}
	s.webhookAudit(ctx, p, store.ActionWebhookCreate, c, ep, "events="+strings.Join(events, ","))
	return secret, ep, nil
}

// webhookEvents keeps the known types, in notify.Types' order, once each.
func webhookEvents(in []string) ([]string, bool) {
	want := map[string]bool{}
	for _, e := range in {
		for _, f := range strings.Split(e, ",") {
			want[strings.TrimSpace(f)] = true
		}
	}
	var out []string
	for _, t := range notify.Types {
		if want[t] {
			out = append(out, t)
			delete(want, t)
		}
	}
	delete(want, "")
	return out, len(out) > 0 && len(want) == 0
}

// Webhooks lists the company's endpoints.
func (s *Service) Webhooks(ctx context.Context, p Principal, companyID int64) (*Company, []WebhookEndpoint, error) {
	c, err := s.webhookCompany(ctx, p, companyID, false)
	if err != nil {
		return nil, nil, err
	}
	eps, err := s.Store.WebhookEndpoints(ctx, c.ID)
	return c, eps, err
}

// webhook returns an endpoint of the company; ErrNotFound otherwise.
func (s *Service) webhook(ctx context.Context, c *store.Company, id int64) (*store.WebhookEndpoint, error) {
	ep, err := s.Store.WebhookEndpointByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && ep.CompanyID != c.ID {
		return nil, ErrNotFound
	}
	return ep, err
}

// SetWebhookEnabled enables or disables an endpoint.
func (s *Service) SetWebhookEnabled(ctx context.Context, p Principal, companyID, id int64, enabled bool) error {
	c, err := s.webhookCompany(ctx, p, companyID, true)
	if err != nil {
		return err
	}
	ep, err := s.webhook(ctx, c, id)
	if err != nil {
		return err
	}
	reason, action := "", store.ActionWebhookEnable
	if !enabled {
		reason, action = WebhookDisabledByOwner, store.ActionWebhookDisable
	}
	if err := s.Store.SetWebhookEndpointEnabled(ctx, ep.ID, enabled, reason); err != nil {
		return err
	}
	s.webhookAudit(ctx, p, action, c, ep, "")
	return nil
}

// DeleteWebhook removes an endpoint and its delivery log.
func (s *Service) DeleteWebhook(ctx context.Context, p Principal, companyID, id int64) error {
	c, err := s.webhookCompany(ctx, p, companyID, true)
	if err != nil {
		return err
	}
	ep, err := s.webhook(ctx, c, id)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteWebhookEndpoint(ctx, ep.ID); err != nil {
		return err
	}
	s.webhookAudit(ctx, p, store.ActionWebhookDelete, c, ep, "")
	return nil
}

// RotateWebhookSecret gives an endpoint a new secret, returned this once;
// the old one stops signing at once.
func (s *Service) RotateWebhookSecret(ctx context.Context, p Principal, companyID, id int64) (string, error) {
	c, err := s.webhookCompany(ctx, p, companyID, true)
	if err != nil {
		return "", err
	}
	if err := CreateCredentialAllowed(p.Actor()); err != nil {
		return "", err
	}
	if s.Secrets == nil {
		return "", ErrWebhookUnavailable
	}
	ep, err := s.webhook(ctx, c, id)
	if err != nil {
		return "", err
	}
	secret := webhook.NewSecret()
	enc, err := s.Secrets.Encrypt([]byte(secret))
	if err != nil {
		return "", err
	}
	if err := s.Store.SetWebhookEndpointSecret(ctx, ep.ID, enc); err != nil {
		return "", err
	}
	s.webhookAudit(ctx, p, store.ActionWebhookRotate, c, ep, "")
	return secret, nil
}

// WebhookLog is an endpoint with its latest deliveries.
type WebhookLog struct {
	Company    *Company
	Endpoint   *WebhookEndpoint
	Deliveries []WebhookDelivery
}

// WebhookDeliveries returns an endpoint's latest deliveries (at most 100).
func (s *Service) WebhookDeliveries(ctx context.Context, p Principal, companyID, id int64) (*WebhookLog, error) {
	c, err := s.webhookCompany(ctx, p, companyID, false)
	if err != nil {
		return nil, err
	}
	ep, err := s.webhook(ctx, c, id)
	if err != nil {
		return nil, err
	}
	dls, err := s.Store.WebhookDeliveries(ctx, ep.ID, 100)
	if err != nil {
		return nil, err
	}
	return &WebhookLog{Company: c, Endpoint: ep, Deliveries: dls}, nil
}

// ResendWebhookDelivery queues a delivery of the endpoint again, now,
// with a new 24-hour window.
func (s *Service) ResendWebhookDelivery(ctx context.Context, p Principal, companyID, endpointID, deliveryID int64) error {
	c, err := s.webhookCompany(ctx, p, companyID, true)
	if err != nil {
		return err
	}
	ep, err := s.webhook(ctx, c, endpointID)
	if err != nil {
		return err
	}
	if !ep.Enabled {
		return ErrWebhookDisabled
	}
	dl, err := s.Store.WebhookDeliveryByID(ctx, deliveryID)
	if errors.Is(err, store.ErrNotFound) || err == nil && dl.EndpointID != ep.ID {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if err := s.Store.ResendWebhookDelivery(ctx, dl.ID); err != nil {
		return err
	}
	s.webhookAudit(ctx, p, store.ActionWebhookResend, c, ep, "delivery="+dl.PublicID+" event="+dl.EventPublicID)
	return nil
}

// SendTestWebhook records a "test" event for this endpoint only; it is
// delivered (signed, logged) like any other.
func (s *Service) SendTestWebhook(ctx context.Context, p Principal, companyID, endpointID int64) (string, error) {
	c, err := s.webhookCompany(ctx, p, companyID, true)
	if err != nil {
		return "", err
	}
	ep, err := s.webhook(ctx, c, endpointID)
	if err != nil {
		return "", err
	}
	if !ep.Enabled {
		return "", ErrWebhookDisabled
	}
	detail, _ := json.Marshal(map[string]any{"endpoint_id": ep.ID})
	ev := &store.Event{CompanyID: c.ID, Type: notify.Test, Detail: detail}
	if _, err := s.Store.RecordEvent(ctx, ev); err != nil {
		return "", err
	}
	s.webhookAudit(ctx, p, store.ActionWebhookTest, c, ep, "event="+ev.PublicID)
	return ev.PublicID, nil
}

// WebhookEventTypes are the types an endpoint may choose, in display order.
func WebhookEventTypes() []string { return append([]string(nil), notify.Types...) }

// ParseWebhookThreshold reads a threshold field ("" → 0: the default).
func ParseWebhookThreshold(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxSyncFailedThreshold {
		return 0, ErrWebhookThreshold
	}
	return n, nil
}

// EventInvoices returns the company's invoices among ids, by id, for the
// webhook data of a batch of invoice events (one query instead of one per
// event, issue 16); a missing one is gone. A system use case (the
// dispatch job), no principal.
func (s *Service) EventInvoices(ctx context.Context, companyID int64, ids []int64) (map[int64]*Invoice, error) {
	invs, err := s.Store.InvoicesByIDs(ctx, companyID, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*Invoice, len(invs))
	for i := range invs {
		out[invs[i].ID] = &invs[i]
	}
	return out, nil
}

// EventSubject returns what an event is about, for its webhook data: the
// invoice (invoice.*) or the upload (upload.*) of the company; both nil
// for other types; store.ErrNotFound when the subject is gone. A system
// use case (the dispatch job), no principal.
func (s *Service) EventSubject(ctx context.Context, companyID int64, typ string, subjectID int64) (*Invoice, *Upload, error) {
	switch typ {
	case notify.InvoiceReceived, notify.InvoiceSent:
		inv, err := s.Store.InvoiceByID(ctx, companyID, subjectID)
		if err != nil {
			return nil, nil, err
		}
		return inv, nil, nil
	case notify.UploadOK, notify.UploadNOK:
		c, err := s.Store.CompanyByID(ctx, companyID)
		if err != nil {
			return nil, nil, err
		}
		u, err := s.Store.UploadByID(ctx, subjectID)
		if err != nil {
			return nil, nil, err
		}
		if u.CompanyID != companyID {
			return nil, nil, store.ErrNotFound
		}
		return nil, s.uploadView(c, u), nil
	}
	return nil, nil, nil
}
