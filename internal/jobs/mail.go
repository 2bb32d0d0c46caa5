package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/efactura-gateway/efactura/internal/store"
)

// E-mail (issue 19; internal/mail). Job kinds:
//   - send_mail {mail_id}: sends one outbox mail (mail.Service.Deliver),
//     queued in the transaction that composes it; retried by River with its
//     exponential backoff up to MailAttempts (about a day and a half); the
//     last failure marks the mail failed, which admins see on /admin/mail.
//     A mail already sent is never sent again.
//   - mail_digest (periodic, every MailDigestEvery, leader only): queues the
//     daily digests that are due (mail.Service.SendDigests: from 07:00
//     Romanian time, once per user and day).

// MailAttempts is how many times a mail is tried (River's backoff:
// attempt^4 seconds, so the 12th is about a day and a half after the first).
const MailAttempts = 12

// MailDigestEvery is the period of mail_digest.
const MailDigestEvery = time.Hour

// SendMailArgs is the send_mail job.
type SendMailArgs struct {
	MailID int64 `json:"mail_id"`
}

// Kind is "send_mail".
func (SendMailArgs) Kind() string { return "send_mail" }

// InsertOpts: MailAttempts; one job per mail.
func (SendMailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueBackground, MaxAttempts: MailAttempts, UniqueOpts: uploadUnique}
}

// MailDigestArgs is the periodic mail_digest job.
type MailDigestArgs struct{}

// Kind is "mail_digest".
func (MailDigestArgs) Kind() string { return "mail_digest" }

// InsertOpts: a few attempts; idempotent (one digest per user and day).
func (MailDigestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueBackground, MaxAttempts: 3}
}

func addMailWorkers(w *river.Workers, r *Runner) {
	if r.opts.Mail == nil {
		return
	}
	river.AddWorker(w, &sendMailWorker{r: r})
	river.AddWorker(w, &mailDigestWorker{r: r})
}

func mailPeriodicJobs(r *Runner) []*river.PeriodicJob {
	if r.opts.Mail == nil || !r.opts.Mail.On() {
		return nil
	}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(MailDigestEvery), func() (river.JobArgs, *river.InsertOpts) {
			return MailDigestArgs{}, nil
		}, &river.PeriodicJobOpts{ID: "mail_digest", RunOnStart: true}),
	}
}

// EnqueueMail queues the send_mail job of an outbox mail; within a store
// transaction (tx from store.WithTx) the job commits with the mail. It is
// mail.Service.Enqueue.
func (r *Runner) EnqueueMail(ctx context.Context, tx *store.Store, mailID int64) error {
	var err error
	if tx != nil && tx.SQLTx() != nil {
		_, err = r.client.InsertTx(ctx, tx.SQLTx(), SendMailArgs{MailID: mailID}, nil)
	} else {
		_, err = r.client.Insert(ctx, SendMailArgs{MailID: mailID}, nil)
	}
	if err != nil {
		return fmt.Errorf("jobs: enqueue mail %d: %w", mailID, err)
	}
	return nil
}

type sendMailWorker struct {
	river.WorkerDefaults[SendMailArgs]
	r *Runner
}

func (w *sendMailWorker) Timeout(*river.Job[SendMailArgs]) time.Duration { return time.Minute }

func (w *sendMailWorker) Work(ctx context.Context, job *river.Job[SendMailArgs]) error {
	return w.r.opts.Mail.Deliver(ctx, job.Args.MailID, job.Attempt >= job.MaxAttempts)
}

type mailDigestWorker struct {
	river.WorkerDefaults[MailDigestArgs]
	r *Runner
}

func (w *mailDigestWorker) Work(ctx context.Context, job *river.Job[MailDigestArgs]) error {
	n, err := w.r.opts.Mail.SendDigests(ctx)
	if n > 0 {
		w.r.log.Info("daily digests queued", slog.Int("count", n))
	}
	return err
}
