package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/store"
)

// scheduler starts a sync of every company with auto-sync on whose
// interval has passed since its last run. In-process only: the durable,
// replica-safe job queue is issue 4's.
type scheduler struct {
	store  *store.Store
	engine *anafsync.Engine
	logger *slog.Logger
	every  time.Duration

	lastPrune time.Time
}

func (s *scheduler) run(ctx context.Context) {
	every := s.every
	if every == 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.tick(ctx)
		}
	}
}

func (s *scheduler) tick(ctx context.Context) {
	if time.Since(s.lastPrune) > 6*time.Hour {
		s.lastPrune = time.Now()
		if _, err := s.store.QuotaPrune(ctx, time.Now().Add(-48*time.Hour)); err != nil {
			s.logger.Warn("scheduler: pruning quota counters", slog.String("error", err.Error()))
		}
	}
	companies, err := s.store.Companies(ctx)
	if err != nil {
		s.logger.Warn("scheduler: listing companies", slog.String("error", err.Error()))
		return
	}
	for _, c := range companies {
		if !c.AutoSync {
			continue
		}
		interval := time.Duration(c.SyncIntervalMinutes) * time.Minute
		if interval <= 0 {
			interval = time.Hour
		}
		run, err := s.store.LastSyncRun(ctx, c.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err == nil && time.Since(run.StartedAt) < interval {
			continue
		}
		if err := s.engine.SyncNow(ctx, c.ID); err != nil && !errors.Is(err, anafsync.ErrBusy) {
			s.logger.Warn("scheduler: starting sync", slog.String("cif", c.CIF), slog.String("error", err.Error()))
		}
	}
}
