package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WebhookEndpoint is a company's webhook receiver (migration 00013).
type WebhookEndpoint struct {
	ID                  int64
	CompanyID           int64
	URL                 string
	EventTypes          []string // the notify types it receives
	SyncFailedThreshold int      // sync.failed is delivered when this many runs in a row failed
	SecretEnc           []byte   // the signing secret, sealed with the secretbox keyring
	Enabled             bool
	DisabledReason      string
	CreatedBy           int64
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Wants reports whether the endpoint receives events of type typ.
func (e *WebhookEndpoint) Wants(typ string) bool {
	for _, t := range e.EventTypes {
		if t == typ {
			return true
		}
	}
	return false
}

const endpointColumns = `id, company_id, url, event_types, sync_failed_threshold, secret_enc, enabled, disabled_reason,
	created_by, created_at, updated_at`

func scanEndpoint(row interface{ Scan(...any) error }) (*WebhookEndpoint, error) {
	var e WebhookEndpoint
	var types string
	var by sql.NullInt64
	if err := row.Scan(&e.ID, &e.CompanyID, &e.URL, &types, &e.SyncFailedThreshold, &e.SecretEnc, &e.Enabled,
		&e.DisabledReason, &by, timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt}); err != nil {
		return nil, err
	}
	if types != "" {
		e.EventTypes = strings.Split(types, ",")
	}
	e.CreatedBy = by.Int64
	return &e, nil
}

// CreateWebhookEndpoint stores e (enabled); ID, CreatedAt, UpdatedAt are set.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error {
	t := now()
	e.CreatedAt, e.UpdatedAt, e.Enabled = t, t, true
	err := s.q.QueryRowContext(ctx, `INSERT INTO webhook_endpoints (company_id, url, event_types, sync_failed_threshold,
			secret_enc, enabled, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
		e.CompanyID, e.URL, strings.Join(e.EventTypes, ","), e.SyncFailedThreshold, e.SecretEnc, true,
		nullInt64(e.CreatedBy), s.tv(t)).Scan(&e.ID)
	return s.wrap("create webhook endpoint", err)
}

// WebhookEndpoints lists a company's endpoints, oldest first.
func (s *Store) WebhookEndpoints(ctx context.Context, companyID int64) ([]WebhookEndpoint, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE company_id = $1 ORDER BY id`, companyID)
	if err != nil {
		return nil, s.wrap("webhook endpoints", err)
	}
	return collect(rows, "webhook endpoints", s, scanEndpoint)
}

// AllWebhookEndpoints lists every endpoint (key rotation).
func (s *Store) AllWebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints ORDER BY id`)
	if err != nil {
		return nil, s.wrap("webhook endpoints", err)
	}
	return collect(rows, "webhook endpoints", s, scanEndpoint)
}

// WebhookEndpointByID returns an endpoint. ErrNotFound.
func (s *Store) WebhookEndpointByID(ctx context.Context, id int64) (*WebhookEndpoint, error) {
	e, err := scanEndpoint(s.q.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1`, id))
	if err != nil {
		return nil, s.wrap("webhook endpoint", err)
	}
	return e, nil
}

// SetWebhookEndpointEnabled enables or disables an endpoint (reason: why
// it was disabled, "" when enabled). ErrNotFound.
func (s *Store) SetWebhookEndpointEnabled(ctx context.Context, id int64, enabled bool, reason string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE webhook_endpoints SET enabled = $1, disabled_reason = $2, updated_at = $3 WHERE id = $4`,
		enabled, reason, s.tv(now()), id)
	return s.mustAffect("enable webhook endpoint", res, err)
}

// SetWebhookEndpointSecret replaces an endpoint's sealed secret. ErrNotFound.
func (s *Store) SetWebhookEndpointSecret(ctx context.Context, id int64, enc []byte) error {
	res, err := s.q.ExecContext(ctx, `UPDATE webhook_endpoints SET secret_enc = $1, updated_at = $2 WHERE id = $3`, enc, s.tv(now()), id)
	return s.mustAffect("webhook endpoint secret", res, err)
}

// DeleteWebhookEndpoint removes an endpoint and its delivery log. ErrNotFound.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, id int64) error {
	return s.WithTx(ctx, func(tx *Store) error {
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE endpoint_id = $1`, id); err != nil {
			return tx.wrap("delete webhook deliveries", err)
		}
		res, err := tx.q.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id)
		return tx.mustAffect("delete webhook endpoint", res, err)
	})
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"   // queued, not attempted yet
	DeliveryRetrying  = "retrying"  // attempted, failed, to be tried again
	DeliveryDelivered = "delivered" // the receiver answered 2xx
	DeliveryFailed    = "failed"    // given up (the retry window passed, or the endpoint is gone or disabled)
)

// WebhookDelivery is one (event, endpoint) delivery and its last attempt.
type WebhookDelivery struct {
	ID            int64
	PublicID      string // dlv_…
	EndpointID    int64
	EventID       int64
	EventPublicID string
	EventType     string
	Status        string
	Attempts      int
	ResponseCode  int
	LatencyMS     int
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	RetryFrom     time.Time // the retry window's start: creation, or the last "resend"
	NextAttemptAt *time.Time
	DeliveredAt   *time.Time
}

const deliveryColumns = `d.id, d.public_id, d.endpoint_id, d.event_id, e.public_id, e.type, d.status, d.attempts, d.response_code,
	d.latency_ms, d.last_error, d.created_at, d.updated_at, d.retry_from, d.next_attempt_at, d.delivered_at`

const deliveryFrom = ` FROM webhook_deliveries d JOIN events e ON e.id = d.event_id`

func scanDelivery(row interface{ Scan(...any) error }) (*WebhookDelivery, error) {
	var d WebhookDelivery
	if err := row.Scan(&d.ID, &d.PublicID, &d.EndpointID, &d.EventID, &d.EventPublicID, &d.EventType, &d.Status, &d.Attempts,
		&d.ResponseCode, &d.LatencyMS, &d.LastError, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}, timeCol{&d.RetryFrom},
		nullTimeCol{&d.NextAttemptAt}, nullTimeCol{&d.DeliveredAt}); err != nil {
		return nil, err
	}
	return &d, nil
}

// CreateWebhookDelivery records the delivery of an event to an endpoint
// and queues its first attempt, in the transaction of s; idempotent on
// (endpoint, event): created=false when it existed.
func (s *Store) CreateWebhookDelivery(ctx context.Context, endpointID, eventID int64) (created bool, err error) {
	err = s.WithTx(ctx, func(tx *Store) error {
		t := now()
		var id int64
		err := tx.q.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (public_id, endpoint_id, event_id, status, created_at, updated_at, retry_from, next_attempt_at)
			VALUES ($1, $2, $3, $4, $5, $5, $5, $5) ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING id`,
			newPublicID("dlv_"), endpointID, eventID, DeliveryPending, tx.tv(t)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return tx.wrap("create webhook delivery", err)
		}
		created = true
		return tx.queueDelivery(ctx, id)
	})
	return created, err
}

func (s *Store) queueDelivery(ctx context.Context, id int64) error {
	if q := s.eventQueue(); q != nil {
		if tx := s.SQLTx(); tx != nil {
			if err := q.DeliveryQueued(ctx, tx, id); err != nil {
				return s.wrap("queue webhook delivery", err)
			}
		}
	}
	return nil
}

// WebhookDeliveryByID returns one delivery. ErrNotFound.
func (s *Store) WebhookDeliveryByID(ctx context.Context, id int64) (*WebhookDelivery, error) {
	d, err := scanDelivery(s.q.QueryRowContext(ctx, `SELECT `+deliveryColumns+deliveryFrom+` WHERE d.id = $1`, id))
	if err != nil {
		return nil, s.wrap("webhook delivery", err)
	}
	return d, nil
}

// WebhookDeliveries lists an endpoint's latest deliveries, newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, endpointID int64, limit int) ([]WebhookDelivery, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+deliveryColumns+deliveryFrom+`
		WHERE d.endpoint_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2`, endpointID, limit)
	if err != nil {
		return nil, s.wrap("webhook deliveries", err)
	}
	return collect(rows, "webhook deliveries", s, scanDelivery)
}

// DeliveryAttempt is the outcome of one attempt.
type DeliveryAttempt struct {
	Status       string // DeliveryDelivered, DeliveryRetrying or DeliveryFailed
	ResponseCode int
	Latency      time.Duration
	Error        string
	At           time.Time
	NextAt       *time.Time // the next attempt (DeliveryRetrying)
}

// RecordDeliveryAttempt records an attempt of delivery id. ErrNotFound.
func (s *Store) RecordDeliveryAttempt(ctx context.Context, id int64, a DeliveryAttempt) error {
	var delivered any
	if a.Status == DeliveryDelivered {
		delivered = s.tv(a.At)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, response_code = $2,
			latency_ms = $3, last_error = $4, updated_at = $5, next_attempt_at = $6, delivered_at = COALESCE($7, delivered_at)
		WHERE id = $8`,
		a.Status, a.ResponseCode, int(a.Latency/time.Millisecond), a.Error, s.tv(a.At), s.tpv(a.NextAt), delivered, id)
	return s.mustAffect("record webhook delivery attempt", res, err)
}

// FailDelivery gives a delivery up without an attempt (its endpoint was
// disabled or its secret cannot be read). ErrNotFound.
func (s *Store) FailDelivery(ctx context.Context, id int64, reason string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, last_error = $2, updated_at = $3, next_attempt_at = NULL
		WHERE id = $4`, DeliveryFailed, reason, s.tv(now()), id)
	return s.mustAffect("fail webhook delivery", res, err)
}

// ResendWebhookDelivery queues delivery id again (the "resend" button):
// pending, with a new retry window from now, and a job in the same
// transaction. ErrNotFound.
func (s *Store) ResendWebhookDelivery(ctx context.Context, id int64) error {
	return s.WithTx(ctx, func(tx *Store) error {
		t := now()
		res, err := tx.q.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, retry_from = $2, updated_at = $2,
			next_attempt_at = $2, last_error = '' WHERE id = $3`, DeliveryPending, tx.tv(t), id)
		if err := tx.mustAffect("resend webhook delivery", res, err); err != nil {
			return err
		}
		return tx.queueDelivery(ctx, id)
	})
}

// Audit actions of webhooks (issue 19).
const (
	ActionWebhookCreate  = "webhook.create"
	ActionWebhookEnable  = "webhook.enable"
	ActionWebhookDisable = "webhook.disable" // by an owner, or by the gateway after the retry window (actor none)
	ActionWebhookDelete  = "webhook.delete"
	ActionWebhookRotate  = "webhook.rotate" // a new secret
	ActionWebhookResend  = "webhook.resend" // a delivery queued again
	ActionWebhookTest    = "webhook.test"   // a test event sent
)

// TargetWebhook is the audit target of an endpoint.
func TargetWebhook(id int64) string { return "webhook:" + strconv.FormatInt(id, 10) }

// rotateWebhookSecrets is RotateSecrets for the webhook endpoints' secrets.
func (s *Store) rotateWebhookSecrets(ctx context.Context, reseal func(ct []byte) ([]byte, bool, error), st *RotateStats) error {
	eps, err := s.AllWebhookEndpoints(ctx)
	if err != nil {
		return err
	}
	for _, ep := range eps {
		if len(ep.SecretEnc) == 0 {
			continue
		}
		st.Secrets++
		out, changed, err := reseal(ep.SecretEnc)
		if err != nil {
			return fmt.Errorf("rotate: webhook secret of endpoint %d: %w", ep.ID, err)
		}
		if changed {
			if _, err := s.q.ExecContext(ctx, `UPDATE webhook_endpoints SET secret_enc = $1 WHERE id = $2`, out, ep.ID); err != nil {
				return s.wrap("rotate: webhook secret", err)
			}
			st.Reencrypted++
		}
	}
	return nil
}
