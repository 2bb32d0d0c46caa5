package store

import (
	"context"
	"database/sql"
)

// Audit appends an audit event (At set to now when zero; ID set on e).
func (s *Store) Audit(ctx context.Context, e *AuditEvent) error {
	if e.At.IsZero() {
		e.At = now()
	}
	e.At = utcMicro(e.At)
	var actor any
	if e.ActorID != nil {
		actor = *e.ActorID
	}
	err := s.q.QueryRowContext(ctx, `
		INSERT INTO audit_events (at, actor_id, action, target, details, ip)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		s.tv(e.At), actor, e.Action, e.Target, e.Details, e.IP).Scan(&e.ID)
	return s.wrap("audit", err)
}

// AuditEvents lists the latest events, newest first (limit <= 0: 100).
func (s *Store) AuditEvents(ctx context.Context, limit int) ([]AuditEvent, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.q.QueryContext(ctx, `
		SELECT id, at, actor_id, action, target, details, ip
		FROM audit_events ORDER BY at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, s.wrap("audit events", err)
	}
	return collect(rows, "audit events", s, func(row interface{ Scan(...any) error }) (*AuditEvent, error) {
		var (
			e     AuditEvent
			actor sql.NullInt64
		)
		if err := row.Scan(&e.ID, timeCol{&e.At}, &actor, &e.Action, &e.Target, &e.Details, &e.IP); err != nil {
			return nil, err
		}
		if actor.Valid {
			e.ActorID = &actor.Int64
		}
		return &e, nil
	})
}
