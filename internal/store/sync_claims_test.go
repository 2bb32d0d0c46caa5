package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestClaimDownloads: the chunk forms of ArchivedZIP, ClaimDownload and
// ReleaseDownload the sync's look-ahead uses (issue 16) answer as the
// single ones do, on both databases.
func TestClaimDownloads(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765439")
		require.NoError(t, st.ArchiveBatch(ctx, []store.ArchiveItem{{Invoice: sampleInvoice(c.ID, "4000000001")}}, "w1"))

		got, err := st.ArchivedAmong(ctx, []string{"4000000001", "4000000002", "4000000001"})
		require.NoError(t, err)
		require.Equal(t, map[string]bool{"4000000001": true}, got)
		got, err = st.ArchivedAmong(ctx, nil)
		require.NoError(t, err)
		require.Empty(t, got)

		// w2 holds a live claim on ...03, an expired one on ...04.
		ok, err := st.ClaimDownload(ctx, "4000000003", "w2", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = st.ClaimDownload(ctx, "4000000004", "w2", -time.Second)
		require.NoError(t, err)
		require.True(t, ok)
		claimed, err := st.ClaimDownloads(ctx, []string{"4000000002", "4000000003", "4000000004", "4000000002"}, "w1", time.Minute)
		require.NoError(t, err)
		require.Equal(t, map[string]bool{"4000000002": true, "4000000004": true}, claimed)
		// Claimed again by the same owner: extended.
		claimed, err = st.ClaimDownloads(ctx, []string{"4000000002"}, "w1", time.Minute)
		require.NoError(t, err)
		require.True(t, claimed["4000000002"])
		ok, err = st.ClaimDownload(ctx, "4000000002", "w2", time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "w1 holds it")

		// Released: only w1's claims go.
		require.NoError(t, st.ReleaseDownloads(ctx, []string{"4000000002", "4000000003", "4000000004"}, "w1"))
		ok, err = st.ClaimDownload(ctx, "4000000002", "w2", time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "w1's claim released")
		ok, err = st.ClaimDownload(ctx, "4000000003", "w3", time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "w2's claim stays")

		// More ids than one statement takes.
		many := make([]string, 450)
		for i := range many {
			many[i] = "5" + time.Unix(int64(i), 0).UTC().Format("150405") + "000"
		}
		claimed, err = st.ClaimDownloads(ctx, many, "w1", time.Minute)
		require.NoError(t, err)
		require.Len(t, claimed, 450)
		require.NoError(t, st.ReleaseDownloads(ctx, many, "w1"))
		claimed, err = st.ClaimDownloads(ctx, many, "w2", time.Minute)
		require.NoError(t, err)
		require.Len(t, claimed, 450)
	})
}

// TestRenewDownloads: the sync extends the claims it holds (a slow chunk
// keeps them past their TTL), never another owner's.
func TestRenewDownloads(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		// w1's claims would have expired; w2's is live.
		claimed, err := st.ClaimDownloads(ctx, []string{"4100000001", "4100000002"}, "w1", -time.Second)
		require.NoError(t, err)
		require.Len(t, claimed, 2)
		ok, err := st.ClaimDownload(ctx, "4100000003", "w2", -time.Second)
		require.NoError(t, err)
		require.True(t, ok)

		require.NoError(t, st.RenewDownloads(ctx, []string{"4100000001", "4100000002", "4100000003", "4100000009"}, "w1", time.Minute))
		for _, id := range []string{"4100000001", "4100000002"} {
			ok, err := st.ClaimDownload(ctx, id, "w3", time.Minute)
			require.NoError(t, err)
			require.False(t, ok, "w1's renewed claim on %s holds", id)
		}
		ok, err = st.ClaimDownload(ctx, "4100000003", "w3", time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "w2's expired claim was not renewed by w1")
		require.NoError(t, st.RenewDownloads(ctx, nil, "w1", time.Minute))
	})
}
