package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// The daily digest of the archive chains (issue 20, part 4;
// docs/compliance.md): the periodic archive_digest job, inserted by
// River's leader only, records every chain's head as today's (UTC)
// digest; run hourly, a day keeps its last head.

// DigestEvery is how often archive_digest runs.
const DigestEvery = time.Hour

// ArchiveDigestArgs is the periodic archive_digest job.
type ArchiveDigestArgs struct{}

// Kind is "archive_digest".
func (ArchiveDigestArgs) Kind() string { return "archive_digest" }

// InsertOpts: one per period.
func (ArchiveDigestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueBackground, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: DigestEvery}}
}

type digestWorker struct {
	river.WorkerDefaults[ArchiveDigestArgs]
	r *Runner
}

func (w *digestWorker) Work(ctx context.Context, _ *river.Job[ArchiveDigestArgs]) error {
	return w.r.DigestOnce(ctx)
}

// DigestOnce is archive_digest's work: today's head of every chain.
func (r *Runner) DigestOnce(ctx context.Context) error {
	at := time.Now().UTC()
	n, err := r.opts.Store.TakeChainDigests(ctx, at.Format(time.DateOnly), at)
	if err != nil {
		return err
	}
	r.log.Debug("archive chain digests taken", slog.Int("chains", n))
	return nil
}

func addDigestWorker(workers *river.Workers, r *Runner) {
	river.AddWorker(workers, &digestWorker{r: r})
}

func digestPeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(DigestEvery), func() (river.JobArgs, *river.InsertOpts) {
			return ArchiveDigestArgs{}, nil
		}, &river.PeriodicJobOpts{ID: "archive_digest", RunOnStart: true}),
	}
}
