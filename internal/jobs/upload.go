package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Sending invoices (issue 14). Job kinds:
//   - send_upload {upload_id}: sends the upload once (anafsync.Engine.SendUpload),
//     queued by the gateway in the transaction that creates the upload. A
//     send that could not start (nothing reached ANAF) is retried by River;
//     one that began and died is never resent (the upload turns unknown).
//   - poll_upload {upload_id}: follows a pending upload through stareMesaj
//     with backoff (anafsync.DefaultUploadPolls; quota → snooze until the
//     reset), and reconciles an unknown one by queueing syncs of its company
//     and matching the archived messages, for anafsync.UnknownFor. The job
//     snoozes between steps; each step claims the upload's next_poll_at
//     (anafsync.DefaultPollLease), so a duplicate job finds it held and ends.
//   - resume_uploads (periodic, every ResumeUploadsEvery): queues the job an
//     upload should have and lost (a process killed mid-poll, a crash
//     between a state change and the next job's insert): send_upload for
//     one still sending after a minute (unique: a no-op when it exists),
//     poll_upload for one pending or unknown (within UnknownFor) whose next
//     poll is overdue. A restarted process runs it at once.

// ResumeUploadsEvery is the period of resume_uploads.
const ResumeUploadsEvery = time.Minute

// UploadJobTimeout bounds one send or poll step (ANAF's upload may take the
// client's whole timeout).
const UploadJobTimeout = 2 * time.Minute

var uploadUnique = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateScheduled, rivertype.JobStateRetryable,
}}

// SendUploadArgs is the send_upload job.
type SendUploadArgs struct {
	UploadID int64 `json:"upload_id"`
}

// Kind is "send_upload".
func (SendUploadArgs) Kind() string { return "send_upload" }

// InsertOpts: a few attempts for a send that could not start; one job per upload.
func (SendUploadArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: uploadUnique}
}

// PollUploadArgs is the poll_upload job.
type PollUploadArgs struct {
	UploadID int64 `json:"upload_id"`
}

// Kind is "poll_upload".
func (PollUploadArgs) Kind() string { return "poll_upload" }

// InsertOpts: snoozes do not count; errors (database) are retried. Not
// unique in River (a job left running by a dead process would block its
// replacement until River's rescue): the step's claim dedupes.
func (PollUploadArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25}
}

// ResumeUploadsArgs is the periodic resume_uploads job.
type ResumeUploadsArgs struct{}

// Kind is "resume_uploads".
func (ResumeUploadsArgs) Kind() string { return "resume_uploads" }

// InsertOpts: one attempt. Not unique by period: only River's leader
// inserts it, and a newly elected leader (a restart after a crash) runs
// it at once — that is its point; it is idempotent.
func (ResumeUploadsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1}
}

func addUploadWorkers(w *river.Workers, r *Runner) {
	river.AddWorker(w, &sendUploadWorker{r: r})
	river.AddWorker(w, &pollUploadWorker{r: r})
	river.AddWorker(w, &resumeUploadsWorker{r: r})
}

func uploadPeriodicJobs(every time.Duration) []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
			return ResumeUploadsArgs{}, nil
		}, &river.PeriodicJobOpts{ID: "resume_uploads", RunOnStart: true}),
	}
}

// EnqueueUpload queues the send_upload job of an upload; within a
// store transaction (tx from store.WithTx) the job commits with it.
func (r *Runner) EnqueueUpload(ctx context.Context, tx *store.Store, uploadID int64) error {
	var err error
	if tx != nil && tx.SQLTx() != nil {
		_, err = r.client.InsertTx(ctx, tx.SQLTx(), SendUploadArgs{UploadID: uploadID}, nil)
	} else {
		_, err = r.client.Insert(ctx, SendUploadArgs{UploadID: uploadID}, nil)
	}
	if err != nil {
		return fmt.Errorf("jobs: enqueue send of upload %d: %w", uploadID, err)
	}
	return nil
}

func (r *Runner) enqueuePoll(ctx context.Context, uploadID int64, after time.Duration) error {
	opts := &river.InsertOpts{}
	if after > 0 {
		opts.ScheduledAt = time.Now().Add(after)
	}
	_, err := r.client.Insert(ctx, PollUploadArgs{UploadID: uploadID}, opts)
	return err
}

// ---- send_upload

type sendUploadWorker struct {
	river.WorkerDefaults[SendUploadArgs]
	r *Runner
}

func (w *sendUploadWorker) Timeout(*river.Job[SendUploadArgs]) time.Duration { return UploadJobTimeout }

func (w *sendUploadWorker) Work(ctx context.Context, job *river.Job[SendUploadArgs]) error {
	final := job.Attempt >= job.MaxAttempts
	next, err := w.r.opts.Engine.SendUpload(ctx, job.Args.UploadID, final)
	if err != nil {
		w.r.log.Warn("sending an upload", slog.Int64("upload_id", job.Args.UploadID), slog.Int("attempt", job.Attempt),
			slog.String("error", err.Error()))
		return err
	}
	if next.Retry {
		return river.JobSnooze(next.After)
	}
	w.r.afterUploadStep(ctx, job.Args.UploadID, next)
	return nil
}

// afterUploadStep queues what a step asked for: a sync of the company
// (reconciliation) and the poll job.
func (r *Runner) afterUploadStep(ctx context.Context, uploadID int64, next anafsync.UploadNext) {
	if next.Sync {
		if u, err := r.opts.Store.UploadByID(ctx, uploadID); err == nil {
			if _, err := r.StartSync(ctx, u.CompanyID); err != nil {
				r.log.Warn("queueing a sync to reconcile an upload", slog.Int64("upload_id", uploadID), slog.String("error", err.Error()))
			}
		}
	}
	if next.Poll {
		if err := r.enqueuePoll(ctx, uploadID, next.After); err != nil {
			// resume_uploads queues it within a minute.
			r.log.Warn("queueing the poll of an upload", slog.Int64("upload_id", uploadID), slog.String("error", err.Error()))
		}
	}
}

// ---- poll_upload

type pollUploadWorker struct {
	river.WorkerDefaults[PollUploadArgs]
	r *Runner
}

func (w *pollUploadWorker) Timeout(*river.Job[PollUploadArgs]) time.Duration { return UploadJobTimeout }

func (w *pollUploadWorker) Work(ctx context.Context, job *river.Job[PollUploadArgs]) error {
	next, err := w.r.opts.Engine.PollUpload(ctx, job.Args.UploadID)
	if err != nil {
		if ctx.Err() != nil {
			return river.JobSnooze(time.Second)
		}
		w.r.log.Warn("polling an upload", slog.Int64("upload_id", job.Args.UploadID), slog.String("error", err.Error()))
		if next.Poll {
			return river.JobSnooze(next.After)
		}
		return err
	}
	if next.Done || !next.Poll {
		return nil
	}
	if next.Sync {
		w.r.afterUploadStep(ctx, job.Args.UploadID, anafsync.UploadNext{Sync: true})
	}
	return river.JobSnooze(next.After)
}

// ---- resume_uploads

type resumeUploadsWorker struct {
	river.WorkerDefaults[ResumeUploadsArgs]
	r *Runner
}

func (w *resumeUploadsWorker) Work(ctx context.Context, job *river.Job[ResumeUploadsArgs]) error {
	return w.r.ResumeUploads(ctx)
}

// ResumeUploads queues the job every unfinished upload should have (a
// no-op for those that have it) and prunes expired idempotency keys.
func (r *Runner) ResumeUploads(ctx context.Context) error {
	st := r.opts.Store
	now := time.Now()
	if r.opts.Engine.Now != nil {
		now = r.opts.Engine.Now()
	}
	if _, err := st.PruneIdempotency(ctx, now); err != nil {
		r.log.Warn("pruning idempotency keys", slog.String("error", err.Error()))
	}
	var errs []error
	for _, state := range []string{store.UploadSending, store.UploadPending, store.UploadUnknown} {
		ups, err := st.UploadsInState(ctx, 0, state)
		if err != nil {
			return err
		}
		for _, u := range ups {
			var args river.JobArgs = PollUploadArgs{UploadID: u.ID}
			switch state {
			case store.UploadSending:
				if now.Sub(u.CreatedAt) < time.Minute {
					continue // its job was queued with it
				}
				args = SendUploadArgs{UploadID: u.ID}
			case store.UploadUnknown:
				since := u.CreatedAt
				if u.SentAt != nil {
					since = *u.SentAt
				}
				if now.Sub(since) > anafsync.UnknownFor {
					continue
				}
			}
			if state != store.UploadSending && u.NextPollAt != nil && u.NextPollAt.After(now) {
				continue // its job is due later (or a step holds it)
			}
			if _, err := r.client.Insert(ctx, args, nil); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
