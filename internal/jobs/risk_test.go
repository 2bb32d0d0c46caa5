package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/riskcheck"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestCheckRisksJob: after a sync, the check_risks job checks every
// received invoice against the simulator's VAT-payer register (on SQLite
// and PostgreSQL): each gets its check row with the VAT part done, and
// the simulator's inactive, cash-VAT and split-VAT suppliers are flagged.
func TestCheckRisksJob(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		e := newEnv(t, st, 40, nil)
		eng := e.syncAll(t, st)
		vat := anaf.New(anaf.Config{PublicBaseURL: e.srv.URL, VATLimiter: rate.NewLimiter(rate.Inf, 1)})
		ch := riskcheck.New(riskcheck.Options{Store: st, ANAF: vat, Batch: 7})
		require.NoError(t, jobs.Migrate(ctx, st, nil))
		r, err := jobs.New(jobs.Options{Store: st, Engine: eng, Logger: slog.New(slog.DiscardHandler), Risk: ch})
		require.NoError(t, err)
		ok, err := r.CheckRisksNow(ctx)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, r.Start(ctx))
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = r.Stop(sctx)
		})
		deadline := time.Now().Add(60 * time.Second)
		for {
			res, err := r.Client().JobList(ctx, river.NewJobListParams().Kinds(jobs.CheckRisksArgs{}.Kind()).First(10))
			require.NoError(t, err)
			require.NotEmpty(t, res.Jobs)
			if res.Jobs[0].State == rivertype.JobStateCompleted {
				break
			}
			require.NotContains(t, []rivertype.JobState{rivertype.JobStateDiscarded, rivertype.JobStateCancelled}, res.Jobs[0].State)
			require.True(t, time.Now().Before(deadline), "check_risks still %s", res.Jobs[0].State)
			time.Sleep(50 * time.Millisecond)
		}
		seen := map[string]int{}
		received := 0
		for _, c := range e.cos {
			list, _, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID, MessageType: store.TypeReceived})
			require.NoError(t, err)
			for _, inv := range list {
				received++
				chk, err := st.RiskCheckOf(ctx, c.ID, inv.ID)
				require.NoError(t, err, "invoice %d checked", inv.ID)
				require.True(t, chk.VATDone)
				flags, err := st.RiskFlags(ctx, c.ID, inv.ID)
				require.NoError(t, err)
				for _, f := range flags {
					seen[f.Code]++
				}
			}
		}
		require.NotZero(t, received)
		for _, code := range []string{"supplier_inactive", "supplier_cash_vat", "supplier_split_vat"} {
			require.NotZero(t, seen[code], "%s in %v", code, seen)
		}
	})
}
