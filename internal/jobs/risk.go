package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Supplier risk flags (issue 20, part 2): the periodic check_risks job
// runs riskcheck.Checker steps over received invoices without a check
// (and those whose VAT lookup is due again) for at most StepDuration,
// then snoozes 0 s while a batch was full. ANAF's VAT-payer service being
// down is not a job failure: the invoices wait for their retry time.

// CheckRisksEvery is the period of check_risks.
const CheckRisksEvery = 30 * time.Second

// CheckRisksArgs is the check_risks job.
type CheckRisksArgs struct{}

// Kind is "check_risks".
func (CheckRisksArgs) Kind() string { return "check_risks" }

// InsertOpts: at most one waiting or running.
func (CheckRisksArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueBackground, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

type riskWorker struct {
	river.WorkerDefaults[CheckRisksArgs]
	r *Runner
}

func (w *riskWorker) Timeout(*river.Job[CheckRisksArgs]) time.Duration { return JobTimeout }

func (w *riskWorker) Work(ctx context.Context, _ *river.Job[CheckRisksArgs]) error {
	ch := w.r.opts.Risk
	if ch == nil {
		return nil
	}
	deadline := time.Now().Add(w.r.opts.StepDuration)
	for {
		res, err := ch.Step(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return river.JobSnooze(0)
			}
			return fmt.Errorf("jobs: checking supplier risks: %w", err)
		}
		if res.Checked > 0 {
			w.r.log.Info("checked supplier risks", slog.Int("invoices", res.Checked), slog.Int("flags", res.Flags),
				slog.Int("vat_pending", res.VATPending), slog.Int("vat_requests", res.Lookups), slog.Int("cache_hits", res.CacheHits))
		}
		// ANAF's VAT service failing is not the job's failure: the
		// invoices wait for their retry time (riskcheck); stop for now.
		if !res.More || res.VATPending > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return river.JobSnooze(0)
		}
	}
}

// CheckRisksNow queues check_risks (tests, after a sync); false when one
// is already waiting or running.
func (r *Runner) CheckRisksNow(ctx context.Context) (bool, error) {
	res, err := r.client.Insert(ctx, CheckRisksArgs{}, nil)
	if err != nil {
		return false, fmt.Errorf("jobs: enqueue check_risks: %w", err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

func riskPeriodicJobs(every time.Duration) []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
			return CheckRisksArgs{}, nil
		}, &river.PeriodicJobOpts{ID: "check_risks", RunOnStart: true}),
	}
}
