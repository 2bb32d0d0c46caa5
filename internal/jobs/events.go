package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/efactura-gateway/efactura/internal/webhook"
)

// Events and webhooks (issue 19). Job kinds:
//   - dispatch_event {event_id}: inserted by the store in the transaction
//     that records the event (Runner is the store's EventQueue); creates a
//     delivery per matching webhook endpoint (each with its
//     deliver_webhook job, in one transaction) and tells the
//     notify.Subscribers (webhook.Deliverer.Dispatch). Retried on error.
//   - deliver_webhook {delivery_id}: one signed POST (webhook.Deliverer.Attempt);
//     a failure snoozes for the back-off (30 s doubling up to 1 h) until
//     the 24-hour window has passed, then the endpoint is disabled.
//   - sweep_events (periodic, every SweepEventsEvery): queues dispatch_event
//     for events left undispatched (recorded by a process without a queue,
//     a lost job), and records anaf.connection.expiring 14 and 3 days
//     before a connection's grant ends (once each).

// SweepEventsEvery is the period of sweep_events.
const SweepEventsEvery = time.Minute

// SweepEventsMax bounds the undispatched events one sweep queues;
// SweepEventsChunk is how many one dispatch_event job carries.
const (
	SweepEventsMax   = 10000
	SweepEventsChunk = 100
)

// ExpiringNotices are the days before a connection's end at which
// anaf.connection.expiring is recorded.
var ExpiringNotices = []int{14, 3}

var eventUnique = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled,
	rivertype.JobStateRetryable,
}}

// DispatchEventArgs is the dispatch_event job.
type DispatchEventArgs struct {
	EventID int64 `json:"event_id,omitempty"`
	// EventIDs: the events of one sync batch, dispatched by one job
	// (store.EventBatchQueue), in order.
	EventIDs []int64 `json:"event_ids,omitempty"`
}

// Kind is "dispatch_event".
func (DispatchEventArgs) Kind() string { return "dispatch_event" }

// InsertOpts: retried (database errors, a subscriber failing); one queued per event.
func (DispatchEventArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueBackground, MaxAttempts: 25, UniqueOpts: eventUnique}
}

// DeliverWebhookArgs is the deliver_webhook job.
type DeliverWebhookArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind is "deliver_webhook".
func (DeliverWebhookArgs) Kind() string { return "deliver_webhook" }

// InsertOpts: failures of the receiver snooze (not attempts); errors are
// the database's. Not unique: a "resend" queues a job at once beside one
// snoozed for an hour; the delivery's next_attempt_at makes the early one
// wait and the late one find it delivered.
func (DeliverWebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueBackground, MaxAttempts: 10}
}

// SweepEventsArgs is the periodic sweep_events job.
type SweepEventsArgs struct{}

// Kind is "sweep_events".
func (SweepEventsArgs) Kind() string { return "sweep_events" }

// InsertOpts: one attempt; it runs again next period.
func (SweepEventsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueBackground, MaxAttempts: 1}
}

func addEventWorkers(w *river.Workers, r *Runner) {
	river.AddWorker(w, &dispatchWorker{r: r})
	river.AddWorker(w, &deliverWorker{r: r})
	river.AddWorker(w, &sweepEventsWorker{r: r})
}

func eventPeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(SweepEventsEvery), func() (river.JobArgs, *river.InsertOpts) {
			return SweepEventsArgs{}, nil
		}, &river.PeriodicJobOpts{ID: "sweep_events", RunOnStart: true}),
	}
}

// EventRecorded queues the dispatch of an event in the store's transaction
// (store.EventQueue).
func (r *Runner) EventRecorded(ctx context.Context, tx *sql.Tx, eventID int64) error {
	_, err := r.client.InsertTx(ctx, tx, DispatchEventArgs{EventID: eventID}, nil)
	return err
}

// EventsRecorded queues the dispatch of several events in one job, in the
// store's transaction (store.EventBatchQueue).
func (r *Runner) EventsRecorded(ctx context.Context, tx *sql.Tx, eventIDs []int64) error {
	_, err := r.client.InsertTx(ctx, tx, DispatchEventArgs{EventIDs: eventIDs}, nil)
	return err
}

// DeliveryQueued queues an attempt of a delivery in the store's
// transaction (store.EventQueue).
func (r *Runner) DeliveryQueued(ctx context.Context, tx *sql.Tx, deliveryID int64) error {
	_, err := r.client.InsertTx(ctx, tx, DeliverWebhookArgs{DeliveryID: deliveryID}, nil)
	return err
}

type dispatchWorker struct {
	river.WorkerDefaults[DispatchEventArgs]
	r *Runner
}

func (w *dispatchWorker) Work(ctx context.Context, job *river.Job[DispatchEventArgs]) error {
	if len(job.Args.EventIDs) > 0 {
		// A sync batch's events; retried with them all (a dispatched
		// one is skipped).
		if err := w.r.opts.Webhooks.DispatchMany(ctx, job.Args.EventIDs); err != nil {
			w.r.log.Warn("dispatching events", slog.Int("events", len(job.Args.EventIDs)), slog.Int("attempt", job.Attempt),
				slog.String("error", err.Error()))
			return err
		}
	}
	if job.Args.EventID == 0 {
		return nil
	}
	if err := w.r.opts.Webhooks.Dispatch(ctx, job.Args.EventID); err != nil {
		w.r.log.Warn("dispatching an event", slog.Int64("event_id", job.Args.EventID), slog.Int("attempt", job.Attempt),
			slog.String("error", err.Error()))
		return err
	}
	return nil
}

type deliverWorker struct {
	river.WorkerDefaults[DeliverWebhookArgs]
	r *Runner
}

// Timeout: one attempt's bound and a margin for the database.
func (w *deliverWorker) Timeout(*river.Job[DeliverWebhookArgs]) time.Duration {
	return webhook.DefaultTimeout + 20*time.Second
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverWebhookArgs]) error {
	res, err := w.r.opts.Webhooks.Attempt(ctx, job.Args.DeliveryID)
	if err != nil {
		return err
	}
	if res.Done {
		return nil
	}
	return river.JobSnooze(res.RetryAfter)
}

type sweepEventsWorker struct {
	river.WorkerDefaults[SweepEventsArgs]
	r *Runner
}

func (w *sweepEventsWorker) Work(ctx context.Context, job *river.Job[SweepEventsArgs]) error {
	return w.r.SweepEvents(ctx)
}

// SweepEvents is sweep_events' work.
func (r *Runner) SweepEvents(ctx context.Context) error {
	st := r.opts.Store
	now := time.Now()
	if r.opts.Webhooks != nil && r.opts.Webhooks.Now != nil {
		now = r.opts.Webhooks.Now()
	}
	var errs []error
	// Connections whose grant ends within 14 (then 3) days: one notice each.
	toks, err := st.ANAFConnectionsExpiringBefore(ctx, now.Add(time.Duration(ExpiringNotices[0])*24*time.Hour))
	if err != nil {
		errs = append(errs, err)
	}
	for _, t := range toks {
		left := t.RefreshExpiresAt.Sub(now)
		days := ExpiringNotices[0]
		for _, d := range ExpiringNotices {
			if left <= time.Duration(d)*24*time.Hour {
				days = d
			}
		}
		if _, err := st.RecordConnectionExpiring(ctx, t.UserID, *t.RefreshExpiresAt, days); err != nil {
			errs = append(errs, err)
		}
	}
	// Companies near ANAF's 60-day limit: one notice a day each.
	if _, err := st.RecordSPVAtRisk(ctx, now); err != nil {
		errs = append(errs, err)
	}
	evs, err := st.UndispatchedEvents(ctx, now.Add(-time.Minute), SweepEventsMax)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	// A backlog (events recorded by a process without a queue, a restore)
	// is dispatched SweepEventsChunk events per job, as a sync batch's are:
	// one job per event ran a few events a second on SQLite.
	for start := 0; start < len(evs); start += SweepEventsChunk {
		chunk := evs[start:min(start+SweepEventsChunk, len(evs))]
		args := DispatchEventArgs{EventID: chunk[0].ID}
		if len(chunk) > 1 {
			args = DispatchEventArgs{EventIDs: make([]int64, len(chunk))}
			for i := range chunk {
				args.EventIDs[i] = chunk[i].ID
			}
		}
		if _, err := r.client.Insert(ctx, args, nil); err != nil {
			errs = append(errs, fmt.Errorf("jobs: queue dispatch of events %d…: %w", chunk[0].ID, err))
		}
	}
	return errors.Join(errs...)
}
