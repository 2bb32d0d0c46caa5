package store

import (
	"context"
	"strconv"
	"strings"
)

const messageStateColumns = `company_id, anaf_id, state, deferred_until, anaf_text, message_type, anaf_created_at, updated_at`

func scanMessageState(row interface{ Scan(...any) error }) (*MessageState, error) {
	var m MessageState
	err := row.Scan(&m.CompanyID, &m.ANAFID, &m.State, nullTimeCol{&m.DeferredUntil}, &m.ANAFText, &m.MessageType,
		nullTimeCol{&m.ANAFCreatedAt}, timeCol{&m.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// SetMessageState records (or replaces) what the sync knows of one listed
// message of the company: deferred until a quota reset, or expired.
// UpdatedAt is set to now.
func (s *Store) SetMessageState(ctx context.Context, m *MessageState) error {
	m.UpdatedAt = now()
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO sync_message_states (`+messageStateColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (company_id, anaf_id) DO UPDATE SET state = excluded.state, deferred_until = excluded.deferred_until,
			anaf_text = excluded.anaf_text, message_type = excluded.message_type,
			anaf_created_at = excluded.anaf_created_at, updated_at = excluded.updated_at`,
		m.CompanyID, m.ANAFID, m.State, s.tpv(m.DeferredUntil), textParam(m.ANAFText), m.MessageType,
		s.tpv(m.ANAFCreatedAt), s.tv(m.UpdatedAt))
	return s.wrap("set message state", err)
}

// ClearMessageState forgets the state of a message (it was archived).
func (s *Store) ClearMessageState(ctx context.Context, companyID int64, anafID string) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM sync_message_states WHERE company_id = $1 AND anaf_id = $2`, companyID, anafID)
	return s.wrap("clear message state", err)
}

// MessageStates returns the recorded states of those of anafIDs the
// company has one for, by ANAF id.
func (s *Store) MessageStates(ctx context.Context, companyID int64, anafIDs []string) (map[string]*MessageState, error) {
	out := map[string]*MessageState{}
	const chunk = 500
	for start := 0; start < len(anafIDs); start += chunk {
		ids := anafIDs[start:min(start+chunk, len(anafIDs))]
		args := make([]any, 0, len(ids)+1)
		args = append(args, companyID)
		ph := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			ph[i] = "$" + strconv.Itoa(i+2)
		}
		// Only generated placeholders are formatted into the SQL; the ids are parameters.
		rows, err := s.q.QueryContext(ctx, `SELECT `+messageStateColumns+` FROM sync_message_states
			WHERE company_id = $1 AND anaf_id IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, s.wrap("message states", err)
		}
		list, err := collect(rows, "message states", s, scanMessageState)
		if err != nil {
			return nil, err
		}
		for i := range list {
			out[list[i].ANAFID] = &list[i]
		}
	}
	return out, nil
}

// MessagesInState lists the company's messages in state (MessageExpired,
// MessageDeferred), newest first, at most limit (default 100).
func (s *Store) MessagesInState(ctx context.Context, companyID int64, state string, limit int) ([]MessageState, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+messageStateColumns+` FROM sync_message_states
		WHERE company_id = $1 AND state = $2 ORDER BY updated_at DESC, anaf_id DESC LIMIT $3`, companyID, state, limit)
	if err != nil {
		return nil, s.wrap("messages in state", err)
	}
	return collect(rows, "messages in state", s, scanMessageState)
}
