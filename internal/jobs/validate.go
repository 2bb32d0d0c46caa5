package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/efactura-gateway/efactura/internal/anafsync"
)

// ValidateArchiveArgs is the one-off validate_archive job: validate every
// archived invoice not yet validated with anafsync.ValidatedWith (synced
// before migration 00007, a verdict write that failed, or a new rules
// bundle). The progress is the rows' validated_with, so the job is
// resumable: each execution validates for at most StepDuration, then
// snoozes 0 s to continue in a fresh execution, and a crashed one is
// rescued and continues from the first unvalidated row.
type ValidateArchiveArgs struct{}

// Kind is "validate_archive".
func (ValidateArchiveArgs) Kind() string { return "validate_archive" }

// InsertOpts: at most one validate_archive job waiting or running (River's
// uniqueness over the unfinished states); a finished one does not block
// the next start's.
func (ValidateArchiveArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

type validateWorker struct {
	river.WorkerDefaults[ValidateArchiveArgs]
	r *Runner
}

func (w *validateWorker) Timeout(*river.Job[ValidateArchiveArgs]) time.Duration { return JobTimeout }

func (w *validateWorker) Work(ctx context.Context, job *river.Job[ValidateArchiveArgs]) error {
	start := time.Now()
	c, err := anafsync.ValidateArchive(ctx, w.r.opts.Store, anafsync.ArchiveValidation{Deadline: start.Add(w.r.opts.StepDuration)})
	if c.Checked > 0 {
		w.r.log.Info("validated archived invoices", slog.Int("checked", c.Checked), slog.Int("valid", c.Valid),
			slog.Int("invalid", c.Invalid), slog.Int("not_applicable", c.NotApplicable), slog.Int("failed", c.Failed),
			slog.Duration("took", time.Since(start).Round(time.Millisecond)), slog.Bool("done", c.Done))
	}
	switch {
	case err == nil && c.Done:
		return nil
	case err == nil, ctx.Err() != nil:
		return river.JobSnooze(0) // more to do, or shutdown: the rows keep the progress
	default:
		return fmt.Errorf("jobs: validating the archive: %w", err)
	}
}

// EnqueueValidation inserts the validate_archive job when any archived
// invoice needs validation (one index probe); enqueued reports whether it
// was (false also when one is already waiting or running).
func (r *Runner) EnqueueValidation(ctx context.Context) (enqueued bool, err error) {
	need, err := r.opts.Store.HasInvoicesToValidate(ctx, anafsync.ValidatedWith)
	if err != nil || !need {
		return false, err
	}
	res, err := r.client.Insert(ctx, ValidateArchiveArgs{}, nil)
	if err != nil {
		return false, fmt.Errorf("jobs: enqueue validate_archive: %w", err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}
