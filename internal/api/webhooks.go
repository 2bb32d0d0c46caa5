package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// Webhooks (issue 19, docs/notifications.md): the key's company's
// endpoints. A read key lists them and their delivery logs; a write key
// creates, enables/disables, deletes, rotates the secret, resends a
// delivery and sends a test event. The secret is in the answer of create
// and rotate only.

// webhookJSON is an endpoint.
type webhookJSON struct {
	ID                  int64    `json:"id"`
	URL                 string   `json:"url"`
	Events              []string `json:"events"`
	SyncFailedThreshold int      `json:"sync_failed_threshold"`
	Enabled             bool     `json:"enabled"`
	DisabledReason      *string  `json:"disabled_reason"`
	CreatedAt           string   `json:"created_at"`
	Secret              string   `json:"secret,omitempty"` // create and rotate only
}

func webhookOut(e *gateway.WebhookEndpoint) webhookJSON {
	events := e.EventTypes
	if events == nil {
		events = []string{}
	}
	return webhookJSON{ID: e.ID, URL: e.URL, Events: events, SyncFailedThreshold: e.SyncFailedThreshold, Enabled: e.Enabled,
		DisabledReason: nullable(e.DisabledReason), CreatedAt: e.CreatedAt.UTC().Format(time.RFC3339)}
}

// deliveryJSON is one delivery of the log.
type deliveryJSON struct {
	ID            string  `json:"id"`       // dlv_…, the X-Efactura-Delivery header
	EventID       string  `json:"event_id"` // evt_…, the envelope's id
	EventType     string  `json:"event_type"`
	Status        string  `json:"status"` // pending | retrying | delivered | failed
	Attempts      int     `json:"attempts"`
	ResponseCode  *int    `json:"response_code"`
	LatencyMS     int     `json:"latency_ms"`
	LastError     *string `json:"last_error"`
	CreatedAt     string  `json:"created_at"`
	NextAttemptAt *string `json:"next_attempt_at"`
	DeliveredAt   *string `json:"delivered_at"`
}

func deliveryOut(d *gateway.WebhookDelivery) deliveryJSON {
	out := deliveryJSON{ID: d.PublicID, EventID: d.EventPublicID, EventType: d.EventType, Status: d.Status, Attempts: d.Attempts,
		LatencyMS: d.LatencyMS, LastError: nullable(d.LastError), CreatedAt: d.CreatedAt.UTC().Format(time.RFC3339),
		DeliveredAt: rfc3339(d.DeliveredAt)}
	if d.ResponseCode != 0 {
		c := d.ResponseCode
		out.ResponseCode = &c
	}
	if d.Status == "retrying" || d.Status == "pending" {
		out.NextAttemptAt = rfc3339(d.NextAttemptAt)
	}
	return out
}

// webhookInput is POST /api/v1/webhooks's body.
type webhookInput struct {
	URL                 string   `json:"url"`
	Events              []string `json:"events"`
	SyncFailedThreshold int      `json:"sync_failed_threshold"`
}

// webhookError answers a webhook use case's refusal: 404 WEBHOOK_NOT_FOUND
// for a missing endpoint or delivery, 422 with the first field's code for
// bad input, else as useCaseError.
func (h *handler) webhookError(w http.ResponseWriter, r *http.Request, err error) {
	var fe gateway.FieldErrors
	switch {
	case errors.Is(err, gateway.ErrNotFound):
		writeError(w, http.StatusNotFound, "WEBHOOK_NOT_FOUND", "No such webhook endpoint or delivery.")
	case errors.As(err, &fe) && len(fe) > 0:
		writeError(w, http.StatusUnprocessableEntity, strings.ToUpper(fe[0].Code), fe.Error())
	default:
		h.useCaseError(w, r, err)
	}
}

func webhookID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusNotFound, "WEBHOOK_NOT_FOUND", "No such webhook endpoint or delivery.")
		return 0, false
	}
	return id, true
}

func (h *handler) listWebhooks(w http.ResponseWriter, r *http.Request) {
	_, eps, err := h.gw.Webhooks(r.Context(), principalFrom(r.Context()).Principal, 0)
	if err != nil {
		h.webhookError(w, r, err)
		return
	}
	out := make([]webhookJSON, 0, len(eps))
	for i := range eps {
		out = append(out, webhookOut(&eps[i]))
	}
	writeJSON(w, http.StatusOK, dataResponse[[]webhookJSON]{Data: out})
}

func (h *handler) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in webhookInput
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_JSON", "The body must be a JSON object {url, events, sync_failed_threshold}.")
		return
	}
	secret, ep, err := h.gw.CreateWebhook(r.Context(), principalFrom(r.Context()).Principal, 0,
		gateway.WebhookInput{URL: in.URL, Events: in.Events, SyncFailedThreshold: in.SyncFailedThreshold})
	if err != nil {
		h.webhookError(w, r, err)
		return
	}
	out := webhookOut(ep)
	out.Secret = secret
	writeJSON(w, http.StatusCreated, dataResponse[webhookJSON]{Data: out})
}

func (h *handler) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookID(w, r, "id")
	if !ok {
		return
	}
	if err := h.gw.DeleteWebhook(r.Context(), principalFrom(r.Context()).Principal, 0, id); err != nil {
		h.webhookError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) setWebhookEnabled(enabled bool) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := webhookID(w, r, "id")
		if !ok {
			return
		}
		p := principalFrom(r.Context()).Principal
		if err := h.gw.SetWebhookEnabled(r.Context(), p, 0, id, enabled); err != nil {
			h.webhookError(w, r, err)
			return
		}
		_, eps, err := h.gw.Webhooks(r.Context(), p, 0)
		if err != nil {
			h.webhookError(w, r, err)
			return
		}
		for i := range eps {
			if eps[i].ID == id {
				writeJSON(w, http.StatusOK, dataResponse[webhookJSON]{Data: webhookOut(&eps[i])})
				return
			}
		}
		h.webhookError(w, r, gateway.ErrNotFound)
	}
}

func (h *handler) rotateWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookID(w, r, "id")
	if !ok {
		return
	}
	secret, err := h.gw.RotateWebhookSecret(r.Context(), principalFrom(r.Context()).Principal, 0, id)
	if err != nil {
		h.webhookError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dataResponse[map[string]string]{Data: map[string]string{"secret": secret}})
}

func (h *handler) webhookDeliveries(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookID(w, r, "id")
	if !ok {
		return
	}
	log, err := h.gw.WebhookDeliveries(r.Context(), principalFrom(r.Context()).Principal, 0, id)
	if err != nil {
		h.webhookError(w, r, err)
		return
	}
	out := make([]deliveryJSON, 0, len(log.Deliveries))
	for i := range log.Deliveries {
		out = append(out, deliveryOut(&log.Deliveries[i]))
	}
	writeJSON(w, http.StatusOK, dataResponse[[]deliveryJSON]{Data: out})
}

func (h *handler) testWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookID(w, r, "id")
	if !ok {
		return
	}
	evID, err := h.gw.SendTestWebhook(r.Context(), principalFrom(r.Context()).Principal, 0, id)
	if err != nil {
		h.webhookError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, dataResponse[map[string]string]{Data: map[string]string{"event_id": evID}})
}

func (h *handler) resendDelivery(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookID(w, r, "id")
	if !ok {
		return
	}
	p := principalFrom(r.Context()).Principal
	log, err := h.gw.WebhookDeliveries(r.Context(), p, 0, id)
	if err != nil {
		h.webhookError(w, r, err)
		return
	}
	dlv := r.PathValue("delivery")
	for i := range log.Deliveries {
		if log.Deliveries[i].PublicID == dlv {
			if err := h.gw.ResendWebhookDelivery(r.Context(), p, 0, id, log.Deliveries[i].ID); err != nil {
				h.webhookError(w, r, err)
				return
			}
			w.WriteHeader(http.StatusAccepted)
			return
		}
	}
	h.webhookError(w, r, gateway.ErrNotFound)
}

// The webhook routes' POST bodies are JSON (none for the actions).
func init() {
	for _, p := range []string{"/api/v1/webhooks", "/api/v1/webhooks/{id}/enable", "/api/v1/webhooks/{id}/disable",
		"/api/v1/webhooks/{id}/rotate-secret", "/api/v1/webhooks/{id}/test", "/api/v1/webhooks/{id}/deliveries/{delivery}/resend"} {
		bodyTypes["POST "+p] = []string{"application/json"}
	}
}
