package store

import (
	"github.com/efactura-gateway/efactura/internal/tz"

	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Events and webhooks (issue 19, migration 00013). An event is recorded in
// the transaction of the data it announces, and the hook the jobs runner
// installs (SetEventQueue) inserts its dispatch_event River job in that
// same transaction: both commit, or neither. Without a hook (a one-off CLI
// process) the event waits, undispatched, for the periodic sweep.

// EventQueue is what the jobs runner installs: EventRecorded queues the
// dispatch of an event, DeliveryQueued the attempt of a webhook delivery,
// each within tx.
type EventQueue interface {
	EventRecorded(ctx context.Context, tx *sql.Tx, eventID int64) error
	DeliveryQueued(ctx context.Context, tx *sql.Tx, deliveryID int64) error
}

// EventBatchQueue is an EventQueue that queues the dispatch of several
// events at once (one job): ArchiveBatch records an event per archived
// invoice and queues them together when its batch ends (issue 16: one job
// per event was a fifth of the sync's CPU on SQLite).
type EventBatchQueue interface {
	EventQueue
	EventsRecorded(ctx context.Context, tx *sql.Tx, eventIDs []int64) error
}

type eventHook struct {
	mu sync.RWMutex
	q  EventQueue
}

// SetEventQueue installs q (nil removes it) for s and every transaction
// of s.
func (s *Store) SetEventQueue(q EventQueue) {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	s.events.q = q
}

func (s *Store) eventQueue() EventQueue {
	if s.events == nil {
		return nil
	}
	s.events.mu.RLock()
	defer s.events.mu.RUnlock()
	return s.events.q
}

// Event is one recorded event (notify.Event before its data is built).
type Event struct {
	ID        int64
	PublicID  string // evt_…
	CompanyID int64
	Type      string // a notify constant
	SubjectID int64  // the invoice or upload id; 0 when none
	// Detail is what the data is built from besides the subject: the
	// failure count of sync.failed, the days of anaf.connection.expiring,
	// the endpoint of a test event.
	Detail       json.RawMessage
	Data         json.RawMessage // the envelope's data, once built (nil before)
	DedupeKey    string          // "": none
	CreatedAt    time.Time
	DispatchedAt *time.Time
}

// Event types recorded by the store (the notify constants; the store does
// not import notify to stay below it, the values are the contract).
const (
	EventInvoiceReceived          = "invoice.received"
	EventInvoiceSent              = "invoice.sent"
	EventUploadOK                 = "upload.ok"
	EventUploadNOK                = "upload.nok"
	EventSyncFailed               = "sync.failed"
	EventConnectionExpiring       = "anaf.connection.expiring"
	EventConnectionNeedsAttention = "anaf.connection.needs_attention"
	EventSPVAtRisk                = "spv.messages_at_risk"
	EventTest                     = "test"
)

func newPublicID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

const eventColumns = `id, public_id, company_id, type, subject_id, detail, data, dedupe_key, created_at, dispatched_at`

func scanEvent(row interface{ Scan(...any) error }) (*Event, error) {
	var e Event
	var detail string
	var data, dedupe sql.NullString
	if err := row.Scan(&e.ID, &e.PublicID, &e.CompanyID, &e.Type, &e.SubjectID, &detail, &data, &dedupe,
		timeCol{&e.CreatedAt}, nullTimeCol{&e.DispatchedAt}); err != nil {
		return nil, err
	}
	e.Detail = json.RawMessage(detail)
	if data.Valid {
		e.Data = json.RawMessage(data.String)
	}
	e.DedupeKey = dedupe.String
	return &e, nil
}

// RecordEvent records ev in the transaction of s (a transaction of its own
// otherwise) and queues its dispatch in it. ID, PublicID and CreatedAt are
// set. With a DedupeKey already recorded nothing happens (recorded=false).
func (s *Store) RecordEvent(ctx context.Context, ev *Event) (recorded bool, err error) {
	err = s.WithTx(ctx, func(tx *Store) error {
		var err error
		recorded, err = tx.recordEvent(ctx, ev)
		return err
	})
	return recorded, err
}

const insertEventSQL = `INSERT INTO events (public_id, company_id, type, subject_id, detail, dedupe_key, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`

func (s *Store) recordEvent(ctx context.Context, ev *Event) (bool, error) {
	if ev.PublicID == "" {
		ev.PublicID = newPublicID("evt_")
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = now()
	}
	ev.CreatedAt = utcMicro(ev.CreatedAt)
	if len(ev.Detail) == 0 {
		ev.Detail = json.RawMessage("{}")
	}
	err := s.queryRow(ctx, insertEventSQL, ev.PublicID, ev.CompanyID, ev.Type, ev.SubjectID, string(ev.Detail),
		nullString(ev.DedupeKey), s.tv(ev.CreatedAt)).Scan(&ev.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // the dedupe key exists
	}
	if err != nil {
		return false, s.wrap("record event", err)
	}
	if q := s.eventQueue(); q != nil {
		if tx := s.SQLTx(); tx != nil {
			if err := q.EventRecorded(ctx, tx, ev.ID); err != nil {
				return false, s.wrap("queue event", err)
			}
		}
	}
	return true, nil
}

// EventByID returns one event. ErrNotFound.
func (s *Store) EventByID(ctx context.Context, id int64) (*Event, error) {
	e, err := scanEvent(s.q.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1`, id))
	if err != nil {
		return nil, s.wrap("event", err)
	}
	return e, nil
}

// SetEventData records the envelope's data of an event once (a later call
// keeps the first data: redeliveries carry the same bytes).
func (s *Store) SetEventData(ctx context.Context, id int64, data json.RawMessage) error {
	_, err := s.q.ExecContext(ctx, `UPDATE events SET data = $1 WHERE id = $2 AND data IS NULL`, string(data), id)
	return s.wrap("set event data", err)
}

// MarkEventDispatched records that an event's deliveries were created and
// its subscribers told.
func (s *Store) MarkEventDispatched(ctx context.Context, id int64, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `UPDATE events SET dispatched_at = $1 WHERE id = $2`, s.tv(at), id)
	return s.wrap("mark event dispatched", err)
}

// EventsByIDs returns the events of ids that exist, in one query per 200
// ids (a sync batch's dispatch, issue 16), in no particular order.
func (s *Store) EventsByIDs(ctx context.Context, ids []int64) ([]Event, error) {
	var out []Event
	for start := 0; start < len(ids); start += maxIDsPerStatement {
		part := ids[start:min(start+maxIDsPerStatement, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		// Only generated placeholders are formatted into the SQL; the ids are parameters.
		rows, err := s.q.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id IN (`+placeholders(1, len(part))+`)`, args...)
		if err != nil {
			return nil, s.wrap("events", err)
		}
		evs, err := collect(rows, "events", s, scanEvent)
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
	}
	return out, nil
}

// setEventDataRows writes the data of events that have none (SetEventsData).
var setEventDataRows = newMultiRow(2, `UPDATE events SET data = v.column2 FROM (VALUES `, ", ",
	`) AS v WHERE events.id = v.column1 AND events.data IS NULL RETURNING id`,
	func(p []string) string { return "(CAST(" + p[0] + " AS BIGINT), " + p[1] + ")" })

// SetEventsData is SetEventData for several events, in a few statements
// (multiRow): each event keeps the first data written. set reports the
// events whose data is now data[id] (the others had data already).
func (s *Store) SetEventsData(ctx context.Context, data map[int64]json.RawMessage) (set map[int64]bool, err error) {
	ids := make([]int64, 0, len(data))
	for id := range data {
		ids = append(ids, id)
	}
	set = make(map[int64]bool, len(ids))
	err = setEventDataRows.query(ctx, s, len(ids), func(i int, dst []any) []any {
		return append(dst, ids[i], string(data[ids[i]]))
	}, func(r *sql.Rows) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		set[id] = true
		return nil
	})
	return set, s.wrap("set event data", err)
}

// MarkEventsDispatched is MarkEventDispatched for several events, in one
// statement per 200.
func (s *Store) MarkEventsDispatched(ctx context.Context, ids []int64, at time.Time) error {
	for start := 0; start < len(ids); start += maxIDsPerStatement {
		part := ids[start:min(start+maxIDsPerStatement, len(ids))]
		args := make([]any, 0, len(part)+1)
		args = append(args, s.tv(at))
		for _, id := range part {
			args = append(args, id)
		}
		// Only generated placeholders are formatted into the SQL; the ids are parameters.
		if _, err := s.q.ExecContext(ctx, `UPDATE events SET dispatched_at = $1 WHERE id IN (`+placeholders(2, len(part))+`)`, args...); err != nil {
			return s.wrap("mark events dispatched", err)
		}
	}
	return nil
}

// UndispatchedEvents lists events recorded before before and not yet
// dispatched (their job lost, or recorded without a queue), oldest first.
func (s *Store) UndispatchedEvents(ctx context.Context, before time.Time, limit int) ([]Event, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+eventColumns+` FROM events
		WHERE dispatched_at IS NULL AND created_at < $1 ORDER BY created_at, id LIMIT $2`, s.tv(before), limit)
	if err != nil {
		return nil, s.wrap("undispatched events", err)
	}
	return collect(rows, "undispatched events", s, scanEvent)
}

// CompanyEvents lists a company's latest events, newest first.
func (s *Store) CompanyEvents(ctx context.Context, companyID int64, limit int) ([]Event, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+eventColumns+` FROM events
		WHERE company_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, companyID, limit)
	if err != nil {
		return nil, s.wrap("company events", err)
	}
	return collect(rows, "company events", s, scanEvent)
}

// invoiceEvents records invoice.received or invoice.sent for each of the
// invoices the sync (or an accepted upload) just inserted, in order, unless
// it is a duplicate of one already announced or a message of another type
// (ANAF's error lists, buyer messages): the events written together
// (multiRow) and their dispatch queued in the transaction — in one job
// when batchQueue and the queue takes several (EventBatchQueue), else one
// job per event.
func (s *Store) invoiceEvents(ctx context.Context, invs []*Invoice, batchQueue bool) error {
	evs := make([]*Event, 0, len(invs))
	for _, inv := range invs {
		var typ string
		switch inv.MessageType {
		case TypeReceived:
			typ = EventInvoiceReceived
		case TypeSent:
			typ = EventInvoiceSent
		default:
			continue
		}
		if inv.DuplicateOf != 0 {
			continue
		}
		evs = append(evs, &Event{PublicID: newPublicID("evt_"), CompanyID: inv.CompanyID, Type: typ, SubjectID: inv.ID,
			Detail: json.RawMessage("{}"), CreatedAt: utcMicro(inv.SyncedAt)})
	}
	if len(evs) == 0 {
		return nil
	}
	byPublic := make(map[string]*Event, len(evs))
	for _, ev := range evs {
		byPublic[ev.PublicID] = ev
	}
	ids := make([]int64, 0, len(evs))
	err := insertEventRows.query(ctx, s, len(evs), func(i int, dst []any) []any {
		ev := evs[i]
		return append(dst, ev.PublicID, ev.CompanyID, ev.Type, ev.SubjectID, string(ev.Detail), nil, s.tv(ev.CreatedAt))
	}, func(r *sql.Rows) error {
		var (
			id  int64
			pub string
		)
		if err := r.Scan(&id, &pub); err != nil {
			return err
		}
		if ev := byPublic[pub]; ev != nil {
			ev.ID = id
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return s.wrap("record event", err)
	}
	q, tx := s.eventQueue(), s.SQLTx()
	if q == nil || tx == nil {
		return nil // recorded without a queue: the periodic sweep dispatches them
	}
	if bq, ok := q.(EventBatchQueue); ok && batchQueue {
		return s.wrap("queue events", bq.EventsRecorded(ctx, tx, ids))
	}
	for _, id := range ids {
		if err := q.EventRecorded(ctx, tx, id); err != nil {
			return s.wrap("queue event", err)
		}
	}
	return nil
}

// uploadEvent records upload.ok or upload.nok when an upload reaches that
// state (state is the new one).
func (s *Store) uploadEvent(ctx context.Context, companyID, uploadID int64, state string) error {
	var typ string
	switch state {
	case UploadOK:
		typ = EventUploadOK
	case UploadNOK, UploadInvalid:
		typ = EventUploadNOK
	default:
		return nil
	}
	_, err := s.recordEvent(ctx, &Event{CompanyID: companyID, Type: typ, SubjectID: uploadID})
	return err
}

// syncFailedEvent records sync.failed after a failed run r, with the
// number of consecutive failed runs of the company (this one included):
// each endpoint is told once, when the count reaches its threshold.
func (s *Store) syncFailedEvent(ctx context.Context, r *SyncRun) error {
	if r.Status != SyncFailed {
		return nil
	}
	n, err := s.consecutiveFailedRuns(ctx, r.CompanyID)
	if err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]any{"consecutive_failures": max(n, 1), "run_id": r.ID, "error": r.Error})
	_, err = s.recordEvent(ctx, &Event{CompanyID: r.CompanyID, Type: EventSyncFailed, SubjectID: r.ID, Detail: detail})
	return err
}

// consecutiveFailedRuns counts the company's latest finished runs that
// failed, newest first, up to the first that did not.
func (s *Store) consecutiveFailedRuns(ctx context.Context, companyID int64) (int, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT status FROM sync_runs WHERE company_id = $1 AND finished_at IS NOT NULL
		ORDER BY finished_at DESC, id DESC LIMIT 1000`, companyID)
	if err != nil {
		return 0, s.wrap("consecutive failed syncs", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var st string
		if err := rows.Scan(&st); err != nil {
			return 0, s.wrap("consecutive failed syncs", err)
		}
		if st != SyncFailed {
			break
		}
		n++
	}
	return n, s.wrap("consecutive failed syncs", rows.Err())
}

// connectionEvents records anaf.connection.needs_attention for every
// company the user is a member of, when the user's connection status
// becomes reconnect_needed or needs_attention (from another status).
func (s *Store) connectionEvents(ctx context.Context, userID int64, from, to string) error {
	if from == to || (to != ANAFReconnectNeeded && to != ANAFNeedsAttention) {
		return nil
	}
	ids, err := s.memberCompanyIDs(ctx, userID)
	if err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]any{"user_id": userID, "status": to})
	for _, id := range ids {
		if _, err := s.recordEvent(ctx, &Event{CompanyID: id, Type: EventConnectionNeedsAttention, SubjectID: userID, Detail: detail}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) memberCompanyIDs(ctx context.Context, userID int64) ([]int64, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT company_id FROM memberships WHERE user_id = $1 ORDER BY company_id`, userID)
	if err != nil {
		return nil, s.wrap("member companies", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, s.wrap("member companies", err)
		}
		ids = append(ids, id)
	}
	return ids, s.wrap("member companies", rows.Err())
}

// RecordConnectionExpiring records anaf.connection.expiring for each
// company of the user, once per (user, expiry, days): the periodic job
// calls it 14 and 3 days before a connection's expiry.
func (s *Store) RecordConnectionExpiring(ctx context.Context, userID int64, expiresAt time.Time, days int) (int, error) {
	n := 0
	err := s.WithTx(ctx, func(tx *Store) error {
		ids, err := tx.memberCompanyIDs(ctx, userID)
		if err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"user_id": userID, "expires_at": expiresAt.UTC().Format(time.RFC3339), "days": days})
		for _, id := range ids {
			key := strings.Join([]string{"expiring", itoa(id), itoa(userID), expiresAt.UTC().Format(time.RFC3339), itoa(int64(days))}, ":")
			ok, err := tx.recordEvent(ctx, &Event{CompanyID: id, Type: EventConnectionExpiring, SubjectID: userID, Detail: detail, DedupeKey: key})
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		return nil
	})
	return n, err
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// spvAtRisk is one company's SPV 60-day edge (RecordSPVAtRisk).
type spvAtRisk struct {
	id       int64
	messages int
	stale    bool
	last     *time.Time
}

// spvAtRiskCompanies lists the verified companies with messages at risk
// or stale as of now (RecordSPVAtRisk).
func (s *Store) spvAtRiskCompanies(ctx context.Context, now time.Time) ([]spvAtRisk, error) {
	cut := now.Add(-SPVAtRiskAge)
	rows, err := s.q.QueryContext(ctx, `
		SELECT c.id, c.auto_sync, c.created_at,
			(SELECT count(*) FROM sync_message_states x WHERE x.company_id = c.id AND x.state = $1 AND x.anaf_created_at < $2),
			coalesce((SELECT r.at_risk FROM sync_runs r WHERE r.company_id = c.id AND r.finished_at IS NOT NULL
				ORDER BY r.started_at DESC, r.id DESC LIMIT 1), 0),
			(SELECT MAX(r.finished_at) FROM sync_runs r WHERE r.company_id = c.id AND r.status IN `+syncSuccessStatuses+`)
		FROM companies c WHERE c.status = 'verified' ORDER BY c.id`, MessageDeferred, s.tv(cut))
	if err != nil {
		return nil, s.wrap("spv at risk events", err)
	}
	defer rows.Close()
	var found []spvAtRisk
	for rows.Next() {
		var (
			a                spvAtRisk
			auto             bool
			created          time.Time
			deferred, failed int
		)
		if err := rows.Scan(&a.id, &auto, timeCol{&created}, &deferred, &failed, nullTimeCol{&a.last}); err != nil {
			return nil, s.wrap("spv at risk events", err)
		}
		a.messages = deferred + failed
		f := PortfolioFigures{LastSuccess: a.last}
		a.stale = auto && f.Stale(created, now)
		if a.messages > 0 || a.stale {
			found = append(found, a)
		}
	}
	return found, s.wrap("spv at risk events", rows.Err())
}

// RecordSPVAtRisk records spv.messages_at_risk, at most once per company
// and Romanian calendar day, for each verified company with messages at
// risk of ANAF's 60-day limit (as CompanySPVAtRisk counts them) or, when
// it syncs on its own, no successful sync for SPVAtRiskAge (stale). The
// periodic sweep_events job calls it; it answers how many it recorded.
func (s *Store) RecordSPVAtRisk(ctx context.Context, now time.Time) (int, error) {
	found, err := s.spvAtRiskCompanies(ctx, now)
	if err != nil {
		return 0, err
	}
	day := now.In(tz.Bucharest()).Format(time.DateOnly)
	n := 0
	for _, a := range found {
		d := map[string]any{"at_risk_messages": a.messages, "at_risk_age_days": int(SPVAtRiskAge / (24 * time.Hour)), "stale": a.stale,
			"last_successful_sync_at": nil}
		if a.last != nil {
			d["last_successful_sync_at"] = a.last.UTC().Format(time.RFC3339)
		}
		detail, _ := json.Marshal(d)
		ok, err := s.RecordEvent(ctx, &Event{CompanyID: a.id, Type: EventSPVAtRisk, Detail: detail,
			DedupeKey: "spv:" + itoa(a.id) + ":" + day})
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// ANAFConnectionsExpiringBefore lists connected ANAF tokens whose grant
// (the refresh token) expires before t: the connection ends then, and its
// user must connect again (anaf.connection.expiring).
func (s *Store) ANAFConnectionsExpiringBefore(ctx context.Context, t time.Time) ([]ANAFToken, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+anafTokenColumns+` FROM anaf_tokens
		WHERE status = $1 AND refresh_expires_at IS NOT NULL AND refresh_expires_at < $2 ORDER BY refresh_expires_at, user_id`,
		ANAFConnected, s.tv(t))
	if err != nil {
		return nil, s.wrap("anaf connections expiring", err)
	}
	return collect(rows, "anaf connections expiring", s, scanANAFToken)
}
