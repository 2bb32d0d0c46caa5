package api

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/client"
	"github.com/efactura-gateway/efactura/internal/chain"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestArchiveEndpoints: through the Go client, a key sees its own
// company's chain (one entry per archived ZIP), its daily heads as CSV,
// and an audit pack that checks offline; another key sees only its own.
func TestArchiveEndpoints(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	ctx := context.Background()
	_, err := f.st.TakeChainDigests(ctx, time.Now().UTC().Format(time.DateOnly), time.Now())
	require.NoError(t, err)
	ca := f.client(f.keyA)

	ac, err := ca.ArchiveChain(ctx)
	require.NoError(t, err)
	require.Equal(t, cifA, ac.CompanyCIF)
	require.Equal(t, int64(len(f.a)), ac.Length)
	require.Len(t, ac.DailyHeads, 1)
	require.Equal(t, ac.HeadHash, ac.DailyHeads[0].EntryHash)
	require.NotNil(t, ac.AttestsSince)

	csvBody, err := ca.ChainHeads(ctx)
	require.NoError(t, err)
	heads, err := chain.ReadHeads(bytes.NewReader(csvBody))
	require.NoError(t, err)
	require.Len(t, heads, 1)
	require.Equal(t, f.compA.ID, heads[0].CompanyID)

	pack, err := ca.AuditPack(ctx, "2000-01-01", "2099-12-31", "en")
	require.NoError(t, err)
	rep, err := gateway.VerifyAuditPack(bytes.NewReader(pack), int64(len(pack)), heads)
	require.NoError(t, err)
	require.Empty(t, rep.Problems)
	require.Equal(t, int64(len(f.a)), rep.Entries)

	acB, err := f.client(f.keyB).ArchiveChain(ctx)
	require.NoError(t, err)
	require.Equal(t, cifB, acB.CompanyCIF)
	require.Equal(t, int64(len(f.b)), acB.Length)

	_, err = ca.AuditPack(ctx, "31.12.2026", "01.01.2026", "")
	require.True(t, client.IsCode(err, "INVALID_PERIOD"), "%v", err)
}
