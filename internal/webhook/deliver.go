package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Defaults of a Deliverer.
const (
	DefaultTimeout  = 10 * time.Second // one attempt, redirects included
	DefaultMaxBody  = 64 << 10         // of a receiver's answer read (then the connection is dropped)
	DefaultWindow   = 24 * time.Hour   // a delivery is retried for this long, then its endpoint is disabled
	FirstBackoff    = 30 * time.Second // after the first failed attempt; doubles per attempt
	MaxBackoff      = time.Hour
	MaxRedirects    = 3
	UserAgent       = "efactura-gateway-webhooks/1"
	DisabledTimeout = "deliveries failed for 24 hours"
)

// DataFunc builds an event's envelope data: the invoice or upload in the
// API's own JSON shape with a link (nil: the Deliverer's minimal data).
type DataFunc func(ctx context.Context, ev *store.Event, company *store.Company) (json.RawMessage, error)

// InvoicesDataFunc builds the data of several invoice events of one
// company at once (DispatchMany), by invoice id; an invoice it has no data
// for is left to the DataFunc.
type InvoicesDataFunc func(ctx context.Context, companyID int64, invoiceIDs []int64) (map[int64]json.RawMessage, error)

// DisabledNotifier is told when the gateway disables an endpoint after the
// retry window (the mail notifier e-mails the company's owners), once per
// disablement.
type DisabledNotifier interface {
	WebhookDisabled(ctx context.Context, ep DisabledEndpoint) error
}

// DisabledEndpoint is an endpoint the gateway just disabled. (ID, At)
// names the disablement: a notifier keyed on it tells each one once.
type DisabledEndpoint struct {
	ID        int64
	CompanyID int64
	URL       string
	Reason    string    // DisabledTimeout
	At        time.Time // when it was disabled (the Deliverer's clock), UTC
}

// Deliverer dispatches events and attempts deliveries.
type Deliverer struct {
	Store       *store.Store
	Keys        *secretbox.Keyring
	Policy      Policy
	BaseURL     string
	Data        DataFunc
	Subscribers []notify.Subscriber
	Disabled    DisabledNotifier // optional
	Logger      *slog.Logger
	Now         func() time.Time // the clock (tests); time.Now
	Timeout     time.Duration
	MaxBody     int64
	Window      time.Duration
	// TLSConfig overrides the client's TLS configuration (tests trust
	// their test server's certificate); the SSRF guard stays in place.
	TLSConfig *tls.Config
	// InvoicesData, when set, builds the data of a batch's invoice events
	// with one call per company (DispatchMany) where Data takes one per event.
	InvoicesData InvoicesDataFunc

	client *http.Client
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deliverer) log() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}

func (d *Deliverer) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return DefaultTimeout
}

func (d *Deliverer) window() time.Duration {
	if d.Window > 0 {
		return d.Window
	}
	return DefaultWindow
}

// Client is the HTTP client of deliveries: no proxy, every dialled address
// checked by the policy (net.Dialer.Control), at most MaxRedirects
// redirects each to an accepted scheme, bounded by the Deliverer's timeout.
func (d *Deliverer) Client() *http.Client {
	if d.client != nil {
		return d.client
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: d.Policy.control}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the guard
		DialContext:           dialer.DialContext,
		TLSClientConfig:       d.TLSConfig,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: d.timeout(),
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	d.client = &http.Client{
		Transport: tr,
		Timeout:   d.timeout(),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return errors.New("too many redirects")
			}
			if _, err := d.Policy.ParseURL(req.URL.String()); err != nil {
				return fmt.Errorf("redirect refused: %w", err)
			}
			return nil
		},
	}
	return d.client
}

// Dispatch is dispatch_event's work: it builds the event's data once,
// creates a delivery (with its job) per enabled endpoint of the company
// that wants the event, tells every Subscriber, and marks the event
// dispatched. Run again (an error, a crash) it creates no second delivery
// and tells the subscribers again (they are idempotent on the event id).
func (d *Deliverer) Dispatch(ctx context.Context, eventID int64) error {
	st := d.Store
	ev, err := st.EventByID(ctx, eventID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the company was deleted
	}
	if err != nil {
		return err
	}
	if ev.DispatchedAt != nil {
		return nil
	}
	company, err := st.CompanyByID(ctx, ev.CompanyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ev.Data == nil {
		data, err := d.buildData(ctx, ev, company)
		if err != nil {
			return fmt.Errorf("webhook: event %s data: %w", ev.PublicID, err)
		}
		if err := st.SetEventData(ctx, ev.ID, data); err != nil {
			return err
		}
		if ev, err = st.EventByID(ctx, eventID); err != nil {
			return err
		}
	}
	eps, err := st.WebhookEndpoints(ctx, ev.CompanyID)
	if err != nil {
		return err
	}
	err = st.WithTx(ctx, func(tx *store.Store) error {
		for i := range eps {
			if !matches(&eps[i], ev) {
				continue
			}
			if _, err := tx.CreateWebhookDelivery(ctx, eps[i].ID, ev.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if ev.Type != notify.Test {
		nev := Envelope(ev, company)
		var errs []error
		for _, s := range d.Subscribers {
			if err := s.Notify(ctx, nev); err != nil {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("webhook: subscribers of event %s: %w", ev.PublicID, err)
		}
	}
	return st.MarkEventDispatched(ctx, ev.ID, d.now())
}

// matches reports whether endpoint e receives event ev.
func matches(e *store.WebhookEndpoint, ev *store.Event) bool {
	if !e.Enabled {
		return false
	}
	if ev.Type == notify.Test {
		var det struct {
			EndpointID int64 `json:"endpoint_id"`
		}
		return json.Unmarshal(ev.Detail, &det) == nil && det.EndpointID == e.ID
	}
	if !e.Wants(ev.Type) {
		return false
	}
	if ev.Type == notify.SyncFailed {
		var det struct {
			Failures int `json:"consecutive_failures"`
		}
		if json.Unmarshal(ev.Detail, &det) != nil {
			return false
		}
		threshold := max(e.SyncFailedThreshold, 1)
		return det.Failures == threshold
	}
	return true
}

// Envelope is the notify.Event of a recorded event.
func Envelope(ev *store.Event, company *store.Company) notify.Event {
	data := ev.Data
	if data == nil {
		data = json.RawMessage("{}")
	}
	return notify.Event{ID: ev.PublicID, Type: ev.Type, CreatedAt: ev.CreatedAt.UTC(), CompanyID: ev.CompanyID,
		CompanyCIF: company.CIF, Data: data}
}

// buildData is the Deliverer's DataFunc, else the minimal data: the
// event's detail with the subject's id and a link.
func (d *Deliverer) buildData(ctx context.Context, ev *store.Event, company *store.Company) (json.RawMessage, error) {
	if d.Data != nil {
		data, err := d.Data(ctx, ev, company)
		switch {
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, err
		case err == nil && data != nil:
			return data, nil
		}
		// The subject is gone (a deleted upload or invoice): the minimal data.
	}
	m := map[string]any{}
	_ = json.Unmarshal(ev.Detail, &m)
	switch ev.Type {
	case notify.InvoiceReceived, notify.InvoiceSent:
		m["id"] = ev.SubjectID
		m["url"] = fmt.Sprintf("%s/api/v1/invoices/%d", d.BaseURL, ev.SubjectID)
	case notify.UploadOK, notify.UploadNOK:
		m["id"] = ev.SubjectID
		m["url"] = fmt.Sprintf("%s/api/v1/uploads/%d", d.BaseURL, ev.SubjectID)
	case notify.Test:
		delete(m, "endpoint_id")
		m["message"] = "a test event from the eFactura gateway"
		m["url"] = fmt.Sprintf("%s/companies/%d/webhooks", d.BaseURL, company.ID)
	default:
		delete(m, "user_id")
		m["url"] = fmt.Sprintf("%s/companies/%d", d.BaseURL, company.ID)
	}
	return json.Marshal(m)
}

// Backoff is the wait after the n-th failed attempt (n ≥ 1):
// FirstBackoff doubled per attempt, at most MaxBackoff.
func Backoff(n int) time.Duration {
	w := FirstBackoff
	for i := 1; i < n && w < MaxBackoff; i++ {
		w *= 2
	}
	return min(w, MaxBackoff)
}

// Result is the outcome of Attempt.
type Result struct {
	Done       bool          // nothing more to do (delivered, given up, gone)
	RetryAfter time.Duration // when !Done: the next attempt's wait
}

// Attempt is deliver_webhook's work: one POST of the delivery's envelope,
// signed now. A 2xx answer delivers it; anything else is retried after
// Backoff until Window has passed since the delivery was created (or
// resent), then the delivery fails and its endpoint is disabled.
func (d *Deliverer) Attempt(ctx context.Context, deliveryID int64) (Result, error) {
	st := d.Store
	dl, err := st.WebhookDeliveryByID(ctx, deliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return Result{Done: true}, nil
	}
	if err != nil {
		return Result{}, err
	}
	if dl.Status == store.DeliveryDelivered || dl.Status == store.DeliveryFailed {
		return Result{Done: true}, nil
	}
	if dl.NextAttemptAt != nil {
		if wait := dl.NextAttemptAt.Sub(d.now()); wait > time.Second {
			return Result{RetryAfter: wait}, nil // a job woken early (a resend's twin): not yet
		}
	}
	ep, err := st.WebhookEndpointByID(ctx, dl.EndpointID)
	if errors.Is(err, store.ErrNotFound) {
		return Result{Done: true}, nil
	}
	if err != nil {
		return Result{}, err
	}
	if !ep.Enabled {
		return Result{Done: true}, st.FailDelivery(ctx, dl.ID, "endpoint disabled")
	}
	ev, err := st.EventByID(ctx, dl.EventID)
	if err != nil {
		return Result{}, err
	}
	company, err := st.CompanyByID(ctx, ev.CompanyID)
	if err != nil {
		return Result{}, err
	}
	secret, err := d.Keys.Decrypt(ep.SecretEnc)
	if err != nil {
		// The key that sealed it is gone: no signature can be made.
		d.log().Error("webhook secret unreadable; the delivery fails", slog.Int64("endpoint_id", ep.ID),
			slog.String("delivery", dl.PublicID))
		return Result{Done: true}, st.FailDelivery(ctx, dl.ID, "the endpoint's secret cannot be decrypted (rotate it)")
	}
	body, err := json.Marshal(Envelope(ev, company))
	if err != nil {
		return Result{}, err
	}
	start := d.now()
	code, sendErr := d.post(ctx, ep.URL, string(secret), body, ev, dl)
	at := d.now()
	latency := at.Sub(start)
	att := store.DeliveryAttempt{ResponseCode: code, Latency: latency, At: at}
	if sendErr == nil {
		att.Status = store.DeliveryDelivered
		return Result{Done: true}, st.RecordDeliveryAttempt(ctx, dl.ID, att)
	}
	att.Error = truncate(sendErr.Error(), 500)
	d.log().Warn("webhook delivery failed", slog.Int64("endpoint_id", ep.ID), slog.String("delivery", dl.PublicID),
		slog.String("event_type", ev.Type), slog.Int("attempt", dl.Attempts+1), slog.Int("status", code),
		slog.String("error", att.Error))
	if at.Sub(dl.RetryFrom) >= d.window() {
		att.Status = store.DeliveryFailed
		return Result{Done: true}, d.giveUp(ctx, ep, dl, att)
	}
	wait := Backoff(dl.Attempts + 1)
	next := at.Add(wait)
	att.Status, att.NextAt = store.DeliveryRetrying, &next
	return Result{RetryAfter: wait}, st.RecordDeliveryAttempt(ctx, dl.ID, att)
}

// giveUp records the last attempt, disables the endpoint with an audit row
// and tells the DisabledNotifier.
func (d *Deliverer) giveUp(ctx context.Context, ep *store.WebhookEndpoint, dl *store.WebhookDelivery, att store.DeliveryAttempt) error {
	st := d.Store
	at := d.now().UTC()
	// Only the attempt that turns the endpoint off disables, audits and
	// tells (two deliveries giving up together disable it once).
	var disabled bool
	err := st.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.RecordDeliveryAttempt(ctx, dl.ID, att); err != nil {
			return err
		}
		var err error
		if disabled, err = tx.DisableWebhookEndpoint(ctx, ep.ID, DisabledTimeout, at); err != nil || !disabled {
			return err
		}
		return tx.Audit(ctx, &store.AuditEvent{Action: store.ActionWebhookDisable, Target: store.TargetWebhook(ep.ID),
			Details: "disabled by the gateway: " + DisabledTimeout + " (delivery " + dl.PublicID + ")"})
	})
	if err != nil || !disabled {
		return err
	}
	d.log().Warn("webhook endpoint disabled: deliveries failed for the whole retry window",
		slog.Int64("endpoint_id", ep.ID), slog.Int64("company_id", ep.CompanyID))
	if d.Disabled != nil {
		de := DisabledEndpoint{ID: ep.ID, CompanyID: ep.CompanyID, URL: ep.URL, Reason: DisabledTimeout, At: at}
		if err := d.Disabled.WebhookDisabled(ctx, de); err != nil {
			d.log().Warn("telling the owners of a disabled webhook endpoint", slog.Int64("endpoint_id", ep.ID),
				slog.String("error", err.Error()))
		}
	}
	return nil
}

// post sends one signed attempt; nil error for a 2xx answer.
func (d *Deliverer) post(ctx context.Context, target, secret string, body []byte, ev *store.Event, dl *store.WebhookDelivery) (int, error) {
	if _, err := d.Policy.ParseURL(target); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("bad endpoint URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderSignature, Sign(secret, d.now(), body))
	req.Header.Set(HeaderEvent, ev.PublicID)
	req.Header.Set(HeaderEventType, ev.Type)
	req.Header.Set(HeaderDelivery, dl.PublicID)
	resp, err := d.Client().Do(req)
	if err != nil {
		return 0, describe(err)
	}
	defer resp.Body.Close()
	maxBody := d.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, errors.New("the receiver answered " + strconv.Itoa(resp.StatusCode))
	}
	return resp.StatusCode, nil
}

// describe turns a client error into the delivery log's short text (the
// SSRF refusal named as such; no URL with its query).
func describe(err error) error {
	switch {
	case errors.Is(err, ErrBlockedAddress):
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Addr != nil {
			return fmt.Errorf("%w (%s)", ErrBlockedAddress, oe.Addr.String())
		}
		return ErrBlockedAddress
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("timed out")
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// DispatchMany is Dispatch for the events of one sync batch (one
// dispatch_event job, issue 16): the same steps, with the events read in
// one query (each company and its endpoints once), their data written in
// one statement and their deliveries in the same transaction, and their
// dispatch marked in one statement, instead of a few statements per
// event. Run again it behaves as Dispatch does: no second delivery, the
// subscribers told again.
func (d *Deliverer) DispatchMany(ctx context.Context, eventIDs []int64) error {
	st := d.Store
	type item struct {
		ev      *store.Event
		company *store.Company
	}
	evs, err := st.EventsByIDs(ctx, eventIDs) // a missing one: its company was deleted
	if err != nil {
		return err
	}
	byID := make(map[int64]*store.Event, len(evs))
	for i := range evs {
		byID[evs[i].ID] = &evs[i]
	}
	companies := map[int64]*store.Company{}
	endpoints := map[int64][]store.WebhookEndpoint{}
	items := make([]*item, 0, len(evs))
	data := map[int64]json.RawMessage{} // built here for the events without (buildDataMany)
	for _, id := range eventIDs {
		ev := byID[id]
		if ev == nil || ev.DispatchedAt != nil {
			continue
		}
		delete(byID, id) // an id listed twice is dispatched once
		company, seen := companies[ev.CompanyID]
		if !seen {
			company, err = st.CompanyByID(ctx, ev.CompanyID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			companies[ev.CompanyID] = company // nil: deleted
			if company != nil {
				if endpoints[ev.CompanyID], err = st.WebhookEndpoints(ctx, ev.CompanyID); err != nil {
					return err
				}
			}
		}
		if company == nil {
			continue
		}
		items = append(items, &item{ev: ev, company: company})
	}
	if len(items) == 0 {
		return nil
	}
	pending := make([]*store.Event, len(items))
	for i, it := range items {
		pending[i] = it.ev
	}
	if err := d.buildDataMany(ctx, pending, companies, data); err != nil {
		return err
	}
	err = st.WithTx(ctx, func(tx *store.Store) error {
		if len(data) > 0 {
			set, err := tx.SetEventsData(ctx, data)
			if err != nil {
				return err
			}
			var lost []int64 // written meanwhile by another dispatch: the first data written wins
			for id := range data {
				if !set[id] {
					lost = append(lost, id)
				}
			}
			again, err := tx.EventsByIDs(ctx, lost)
			if err != nil {
				return err
			}
			for i := range again {
				data[again[i].ID] = again[i].Data
			}
			for _, it := range items {
				if b, ok := data[it.ev.ID]; ok {
					it.ev.Data = b
				}
			}
		}
		for _, it := range items {
			eps := endpoints[it.ev.CompanyID]
			for i := range eps {
				if !matches(&eps[i], it.ev) {
					continue
				}
				if _, err := tx.CreateWebhookDelivery(ctx, eps[i].ID, it.ev.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	done := make([]int64, 0, len(items))
	for _, it := range items {
		if it.ev.Type != notify.Test {
			nev := Envelope(it.ev, it.company)
			var serrs []error
			for _, s := range d.Subscribers {
				if err := s.Notify(ctx, nev); err != nil {
					serrs = append(serrs, err)
				}
			}
			if err := errors.Join(serrs...); err != nil {
				errs = append(errs, fmt.Errorf("webhook: subscribers of event %s: %w", it.ev.PublicID, err))
				continue
			}
		}
		done = append(done, it.ev.ID)
	}
	if err := st.MarkEventsDispatched(ctx, done, d.now()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// buildDataMany builds into data the envelope data of the events without
// one: the invoice events' with InvoicesData, one call per company, the
// others' (and those it has none for) one by one as Dispatch does.
func (d *Deliverer) buildDataMany(ctx context.Context, evs []*store.Event, companies map[int64]*store.Company, data map[int64]json.RawMessage) error {
	if d.InvoicesData != nil {
		byCompany := map[int64][]int64{}
		for _, ev := range evs {
			if ev.Data == nil && (ev.Type == notify.InvoiceReceived || ev.Type == notify.InvoiceSent) {
				byCompany[ev.CompanyID] = append(byCompany[ev.CompanyID], ev.SubjectID)
			}
		}
		built := map[[2]int64]json.RawMessage{}
		for cid, ids := range byCompany {
			m, err := d.InvoicesData(ctx, cid, ids)
			if err != nil {
				return fmt.Errorf("webhook: events' data: %w", err)
			}
			for id, b := range m {
				built[[2]int64{cid, id}] = b
			}
		}
		for _, ev := range evs {
			if b, ok := built[[2]int64{ev.CompanyID, ev.SubjectID}]; ok && ev.Data == nil && (ev.Type == notify.InvoiceReceived || ev.Type == notify.InvoiceSent) {
				data[ev.ID] = b
			}
		}
	}
	for _, ev := range evs {
		if ev.Data != nil {
			continue
		}
		if _, ok := data[ev.ID]; ok {
			continue
		}
		b, err := d.buildData(ctx, ev, companies[ev.CompanyID])
		if err != nil {
			return fmt.Errorf("webhook: event %s data: %w", ev.PublicID, err)
		}
		data[ev.ID] = b
	}
	return nil
}
