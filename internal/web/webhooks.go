package web

import (
	"net/http"
	"strconv"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// Webhooks (issue 19): /companies/{id}/webhooks lists the company's
// endpoints with a form to add one; /companies/{id}/webhooks/{wid} shows
// an endpoint's delivery log with "resend" and "send test event". Owners
// only (gateway.Service webhook use cases).

// webhookForm is the add-endpoint form.
type webhookForm struct {
	URL       string
	Events    map[string]bool
	Threshold string
	Errors    formErrors
}

// webhooksPage is the data of webhooks.html.
type webhooksPage struct {
	Company    *gateway.Company
	Endpoints  []gateway.WebhookEndpoint
	EventTypes []string
	Form       webhookForm
	NewSecret  string // the secret just made (create or rotate), shown this once
	NewURL     string
	Reasons    map[int64]string // why each disabled endpoint is, in the page's language
}

// webhookLogPage is the data of webhook.html.
type webhookLogPage struct {
	Log *gateway.WebhookLog
	// Errors are the deliveries' last errors summarised in the page's
	// language, by delivery id (the raw text is the cell's title).
	Errors  map[int64]string
	Reasons map[int64]string // why the endpoint is disabled, in the page's language
}

// disabledReasons says, in the request's language, why each disabled
// endpoint is (the stored reason itself when it is not a known one).
func (a *app) disabledReasons(r *http.Request, eps ...gateway.WebhookEndpoint) map[int64]string {
	out := map[int64]string{}
	for _, ep := range eps {
		if ep.Enabled || ep.DisabledReason == "" {
			continue
		}
		if kind := gateway.WebhookDisabledReasonKind(ep.DisabledReason); kind != "" {
			out[ep.ID] = a.t(r, "webhooks.reason."+kind)
		} else {
			out[ep.ID] = ep.DisabledReason
		}
	}
	return out
}

func init() {
	for code, key := range map[string]string{
		"webhook_url":          "webhooks.err.url",
		"webhook_url_resolve":  "webhooks.err.resolve",
		"webhook_url_internal": "webhooks.err.internal",
		"webhook_events":       "webhooks.err.events",
		"webhook_threshold":    "webhooks.err.threshold",
	} {
		fieldMessages[code] = key
	}
}

func webhooksPath(c *gateway.Company) string {
	return "/companies/" + strconv.FormatInt(c.ID, 10) + "/webhooks"
}

func (a *app) showWebhooksPage(w http.ResponseWriter, r *http.Request) {
	c, ok := a.ownedCompany(w, r)
	if !ok {
		return
	}
	a.renderWebhooks(w, r, http.StatusOK, webhooksPage{Company: c, Form: webhookForm{Threshold: "3", Events: map[string]bool{}}})
}

func (a *app) renderWebhooks(w http.ResponseWriter, r *http.Request, status int, p webhooksPage) {
	_, eps, err := a.gw().Webhooks(r.Context(), gateway.UserPrincipal(a.actor(r)), p.Company.ID)
	if err != nil {
		a.useCaseError(w, r, err, "/companies")
		return
	}
	p.Endpoints, p.EventTypes = eps, gateway.WebhookEventTypes()
	p.Reasons = a.disabledReasons(r, eps...)
	a.render(w, r, status, "webhooks", "companies", p)
}

// submitCreateWebhook adds an endpoint and shows its secret in this
// response only (no redirect: the secret never rests in the session).
func (a *app) submitCreateWebhook(w http.ResponseWriter, r *http.Request) {
	c, ok := a.ownedCompany(w, r)
	if !ok || a.refuseWhileImpersonating(w, r) {
		return
	}
	_ = r.ParseForm()
	f := webhookForm{URL: r.PostFormValue("url"), Threshold: r.PostFormValue("threshold"), Events: map[string]bool{}}
	for _, e := range r.PostForm["events"] {
		f.Events[e] = true
	}
	threshold, terr := gateway.ParseWebhookThreshold(f.Threshold)
	if terr != nil {
		threshold = -1 // the use case names the field
	}
	secret, ep, err := a.gw().CreateWebhook(r.Context(), gateway.UserPrincipal(a.actor(r)), c.ID,
		gateway.WebhookInput{URL: f.URL, Events: r.PostForm["events"], SyncFailedThreshold: threshold})
	if fe, ok := a.formErrors(r, err); ok {
		f.Errors = fe
		a.renderWebhooks(w, r, http.StatusUnprocessableEntity, webhooksPage{Company: c, Form: f})
		return
	}
	if err != nil {
		a.useCaseError(w, r, err, webhooksPath(c))
		return
	}
	a.renderWebhooks(w, r, http.StatusCreated, webhooksPage{Company: c, NewSecret: secret, NewURL: ep.URL,
		Form: webhookForm{Threshold: "3", Events: map[string]bool{}}})
}

// webhookTarget reads {id} (owned company) and {wid}.
func (a *app) webhookTarget(w http.ResponseWriter, r *http.Request) (*gateway.Company, int64, bool) {
	c, ok := a.ownedCompany(w, r)
	if !ok {
		return nil, 0, false
	}
	wid, err := strconv.ParseInt(r.PathValue("wid"), 10, 64)
	if err != nil || wid < 1 {
		a.notFound(w, r)
		return nil, 0, false
	}
	return c, wid, true
}

func (a *app) submitWebhookEnabled(enabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, wid, ok := a.webhookTarget(w, r)
		if !ok {
			return
		}
		if err := a.gw().SetWebhookEnabled(r.Context(), gateway.UserPrincipal(a.actor(r)), c.ID, wid, enabled); err != nil {
			a.useCaseError(w, r, err, webhooksPath(c))
			return
		}
		key := "webhooks.disabled.ok"
		if enabled {
			key = "webhooks.enabled.ok"
		}
		a.setFlash(r, "ok", a.t(r, key))
		redirect(w, r, webhooksPath(c))
	}
}

func (a *app) submitDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	c, wid, ok := a.webhookTarget(w, r)
	if !ok {
		return
	}
	if err := a.gw().DeleteWebhook(r.Context(), gateway.UserPrincipal(a.actor(r)), c.ID, wid); err != nil {
		a.useCaseError(w, r, err, webhooksPath(c))
		return
	}
	a.setFlash(r, "ok", a.t(r, "webhooks.deleted"))
	redirect(w, r, webhooksPath(c))
}

// submitRotateWebhook shows the new secret in this response only.
func (a *app) submitRotateWebhook(w http.ResponseWriter, r *http.Request) {
	c, wid, ok := a.webhookTarget(w, r)
	if !ok || a.refuseWhileImpersonating(w, r) {
		return
	}
	secret, err := a.gw().RotateWebhookSecret(r.Context(), gateway.UserPrincipal(a.actor(r)), c.ID, wid)
	if err != nil {
		a.useCaseError(w, r, err, webhooksPath(c))
		return
	}
	url := ""
	if log, err := a.gw().WebhookDeliveries(r.Context(), gateway.UserPrincipal(a.actor(r)), c.ID, wid); err == nil {
		url = log.Endpoint.URL
	}
	a.renderWebhooks(w, r, http.StatusOK, webhooksPage{Company: c, NewSecret: secret, NewURL: url,
		Form: webhookForm{Threshold: "3", Events: map[string]bool{}}})
}

func (a *app) showWebhookLog(w http.ResponseWriter, r *http.Request) {
	c, wid, ok := a.webhookTarget(w, r)
	if !ok {
		return
	}
	log, err := a.gw().WebhookDeliveries(r.Context(), gateway.UserPrincipal(a.actor(r)), c.ID, wid)
	if err != nil {
		a.useCaseError(w, r, err, webhooksPath(c))
		return
	}
	errs := map[int64]string{}
	for _, dl := range log.Deliveries {
		if kind, status := gateway.DeliveryErrorKind(dl.LastError); kind == gateway.DeliveryErrStatus {
			errs[dl.ID] = a.t(r, "webhooks.derr.status", status)
		} else if kind != "" {
			errs[dl.ID] = a.t(r, "webhooks.derr."+kind)
		}
	}
	a.render(w, r, http.StatusOK, "webhook", "companies", webhookLogPage{Log: log, Errors: errs,
		Reasons: a.disabledReasons(r, *log.Endpoint)})
}

func (a *app) submitTestWebhook(w http.ResponseWriter, r *http.Request) {
	c, wid, ok := a.webhookTarget(w, r)
	if !ok {
		return
	}
	back := webhooksPath(c) + "/" + strconv.FormatInt(wid, 10)
	if _, err := a.gw().SendTestWebhook(r.Context(), gateway.UserPrincipal(a.actor(r)), c.ID, wid); err != nil {
		a.useCaseError(w, r, err, back)
		return
	}
	a.setFlash(r, "ok", a.t(r, "webhooks.test.sent"))
	redirect(w, r, back)
}

func (a *app) submitResendDelivery(w http.ResponseWriter, r *http.Request) {
	c, wid, ok := a.webhookTarget(w, r)
	if !ok {
		return
	}
	did, err := strconv.ParseInt(r.PathValue("did"), 10, 64)
	if err != nil || did < 1 {
		a.notFound(w, r)
		return
	}
	back := webhooksPath(c) + "/" + strconv.FormatInt(wid, 10)
	if err := a.gw().ResendWebhookDelivery(r.Context(), gateway.UserPrincipal(a.actor(r)), c.ID, wid, did); err != nil {
		a.useCaseError(w, r, err, back)
		return
	}
	a.setFlash(r, "ok", a.t(r, "webhooks.resent"))
	redirect(w, r, back)
}
