package gateway_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestUnverifiedSyncRunsShowNoCounts: while a company is unverified its
// sync runs keep their status and error but show nothing a run learnt from
// ANAF (an installation older than verification may have listed messages
// with a token that did not consent); verified, the counts are back.
func TestUnverifiedSyncRunsShowNoCounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	run, err := b.st.StartSyncRun(ctx, b.company.ID)
	require.NoError(t, err)
	run.Status, run.Found, run.New, run.Pages, run.Error = store.SyncOK, 11, 11, 1, "first error: x"
	require.NoError(t, b.st.FinishSyncRun(ctx, run))
	p := gateway.UserPrincipal(actor(b.own))

	last, err := b.gw.LastSync(ctx, p, b.company.ID)
	require.NoError(t, err)
	require.Equal(t, store.SyncOK, last.Status)
	require.Zero(t, last.Found)
	require.Zero(t, last.New)
	runs, err := b.gw.SyncRuns(ctx, p, b.company.ID, 10)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	require.Zero(t, runs[0].Found)

	_, err = b.st.SetCompanyVerified(ctx, b.company.ID, b.own.ID)
	require.NoError(t, err)
	last, err = b.gw.LastSync(ctx, p, b.company.ID)
	require.NoError(t, err)
	require.Equal(t, 11, last.Found)
}
