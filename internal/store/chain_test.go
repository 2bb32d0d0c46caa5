package store_test

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/chain"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// checkChain reads the company's whole chain and checks every link; it
// returns the entries.
func checkChain(t *testing.T, st *store.Store, companyID int64) []chain.Entry {
	t.Helper()
	entries, err := st.ChainEntries(t.Context(), companyID, 0, 100000)
	require.NoError(t, err)
	c := chain.Checker{CompanyID: companyID}
	for _, e := range entries {
		require.Nil(t, c.Add(e), "seq %d", e.Seq)
	}
	cs, err := st.ChainStateOf(t.Context(), companyID)
	require.NoError(t, err)
	require.Equal(t, int64(len(entries)), cs.Seq)
	if len(entries) > 0 {
		require.Equal(t, entries[len(entries)-1].EntryHash, cs.EntryHash)
	}
	return entries
}

// TestArchiveChainAppend: InsertInvoice and ArchiveBatch append one entry
// per archived ZIP in their transaction (none for an idempotent repeat,
// none for a batch rolled back), per company, with the ZIP's SHA-256.
func TestArchiveChainAppend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		a, b := mkCompany(t, st, "98765438"), mkCompany(t, st, "12345674")
		inv := sampleInvoice(a.ID, "4000000001")
		_, err := st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
		_, err = st.InsertInvoice(ctx, sampleInvoice(a.ID, "4000000001")) // the same message again
		require.NoError(t, err)
		require.NoError(t, st.ArchiveBatch(ctx, []store.ArchiveItem{
			{Invoice: sampleInvoice(a.ID, "4000000002")}, {Invoice: sampleInvoice(b.ID, "4000000002")}, {Invoice: sampleInvoice(a.ID, "4000000003")},
		}, "w"))
		bad := sampleInvoice(a.ID, "4000000004")
		require.Error(t, st.ArchiveBatch(ctx, []store.ArchiveItem{
			{Invoice: bad}, {Invoice: sampleInvoice(a.ID, "4000000005"), Validation: &store.InvoiceValidation{}}, // no ValidatedWith: refused
		}, "w"))

		ea := checkChain(t, st, a.ID)
		require.Len(t, ea, 3)
		require.Equal(t, []string{"4000000001", "4000000002", "4000000003"}, []string{ea[0].ANAFID, ea[1].ANAFID, ea[2].ANAFID})
		require.Equal(t, chain.Genesis, ea[0].PrevHash)
		require.Equal(t, fmt.Sprintf("%x", inv.ZIPSHA256), ea[0].ZIPSHA256)
		require.Equal(t, inv.ID, ea[0].InvoiceID)
		require.Equal(t, inv.SyncedAt, ea[0].CreatedAt)
		require.Len(t, checkChain(t, st, b.ID), 1)

		e, err := st.ChainEntryOf(ctx, inv.ID)
		require.NoError(t, err)
		require.Equal(t, ea[0], *e)
	})
}

// TestArchiveChainConcurrentAppends: archivers of one company at once
// (separate transactions on a pool) never fork the chain.
func TestArchiveChainConcurrentAppends(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		const workers, each = 6, 5
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					id := fmt.Sprintf("5%03d%05d", w, i)
					if i%2 == 0 {
						_, err := st.InsertInvoice(ctx, sampleInvoice(c.ID, id))
						errs <- err
					} else {
						errs <- st.ArchiveBatch(ctx, []store.ArchiveItem{{Invoice: sampleInvoice(c.ID, id)}, {Invoice: sampleInvoice(c.ID, id+"b")}}, "w")
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		entries := checkChain(t, st, c.ID)
		require.Len(t, entries, workers*(each+each/2))
	})
}

// TestArchiveChainBackfill: ZIPs archived before migration 00017 are
// chained by the migration in archiving order (invoice id), timed at the
// migration, and recorded as backfilled; the next archive appends after them.
func TestArchiveChainBackfill(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			st, _ := storetest.Fresh(t, d)
			require.NoError(t, st.MigrateUpTo(ctx, 12))
			a, b := mkCompany(t, st, "98765438"), mkCompany(t, st, "12345674")
			var ids []int64
			for i, cid := range []int64{a.ID, b.ID, a.ID, a.ID} {
				var id int64
				zip := []byte(fmt.Sprintf("zip %d", i))
				require.NoError(t, st.DB().QueryRowContext(ctx, `INSERT INTO invoices (company_id, anaf_id, message_type, anaf_created_at, zip_sha256, synced_at)
					VALUES ($1, $2, 'FACTURA PRIMITA', $3, $4, $3) RETURNING id`, cid, fmt.Sprintf("600000000%d", i),
					st.TimeValue(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), sha(zip)).Scan(&id))
				_, err := st.DB().ExecContext(ctx, `INSERT INTO invoice_blobs (invoice_id, zip) VALUES ($1, $2)`, id, zip)
				require.NoError(t, err)
				ids = append(ids, id)
			}
			before := time.Now().UTC().Add(-time.Second)
			require.NoError(t, st.Migrate(ctx))

			ea := checkChain(t, st, a.ID)
			require.Len(t, ea, 3)
			require.Equal(t, []int64{ids[0], ids[2], ids[3]}, []int64{ea[0].InvoiceID, ea[1].InvoiceID, ea[2].InvoiceID})
			require.Equal(t, fmt.Sprintf("%x", sha([]byte("zip 3"))), ea[2].ZIPSHA256)
			require.True(t, ea[0].CreatedAt.After(before), "timed at the migration, not at the archiving")
			require.Len(t, checkChain(t, st, b.ID), 1)
			cs, err := st.ChainStateOf(ctx, a.ID)
			require.NoError(t, err)
			require.Equal(t, int64(3), cs.BackfillSeq)
			require.NotNil(t, cs.BackfillAt)
			require.Equal(t, ea[0].CreatedAt, *cs.FirstAt)

			// Migrating again chains nothing twice; a new archive goes after.
			require.NoError(t, st.Migrate(ctx))
			_, err = st.InsertInvoice(ctx, sampleInvoice(a.ID, "6000000009"))
			require.NoError(t, err)
			require.Len(t, checkChain(t, st, a.ID), 4)
			cs, err = st.ChainStateOf(ctx, a.ID)
			require.NoError(t, err)
			require.Equal(t, int64(3), cs.BackfillSeq)
		})
	}
}

// TestChainDigests: a day's digest holds every chain's last head of that
// day; the next day gets its own row.
func TestChainDigests(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		a := mkCompany(t, st, "98765438")
		mkCompany(t, st, "12345674") // no chain: no digest
		_, err := st.InsertInvoice(ctx, sampleInvoice(a.ID, "7000000001"))
		require.NoError(t, err)
		at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		n, err := st.TakeChainDigests(ctx, "2026-03-01", at)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		_, err = st.InsertInvoice(ctx, sampleInvoice(a.ID, "7000000002"))
		require.NoError(t, err)
		_, err = st.TakeChainDigests(ctx, "2026-03-01", at.Add(time.Hour))
		require.NoError(t, err)
		_, err = st.TakeChainDigests(ctx, "2026-03-02", at.Add(24*time.Hour))
		require.NoError(t, err)
		ds, err := st.ChainDigests(ctx, a.ID)
		require.NoError(t, err)
		require.Len(t, ds, 2)
		require.Equal(t, "2026-03-02", ds[0].Day)
		require.Equal(t, int64(2), ds[1].Seq)
		require.Equal(t, "98765438", ds[1].CIF)
		require.Equal(t, at.Add(time.Hour), ds[1].TakenAt)
		all, err := st.ChainDigests(ctx, 0)
		require.NoError(t, err)
		require.Len(t, all, 2)
	})
}

func sha(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
