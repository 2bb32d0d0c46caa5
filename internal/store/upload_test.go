package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func mkUpload(c *store.Company, number, state string) *store.Upload {
	return &store.Upload{CompanyID: c.ID, FileName: number + ".xml", State: state, SellerCIF: c.CIF,
		InvoiceNumber: number, IssueDate: "2026-01-15", BuyerCIF: "12345674", TotalAmount: "119.00", Currency: "RON",
		Document: []byte("<Invoice/>"), DocSHA256: []byte("0123456789abcdef0123456789abcdef"),
		Options: store.UploadOptions{Extern: true}}
}

func TestUploads(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "40000006")
		other := mkCompany(t, st, "40000014")

		u := mkUpload(c, "F-1", store.UploadSending)
		require.NoError(t, st.CreateUpload(ctx, u))
		require.NotZero(t, u.ID)
		got, err := st.UploadByID(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, []byte("<Invoice/>"), got.Document)
		require.True(t, got.Options.Extern)
		require.Equal(t, store.UploadSending, got.State)
		require.Empty(t, got.Errors)

		// One active upload per invoice: a second one is refused, in
		// another company it is not, and a nok one does not block.
		require.ErrorIs(t, st.CreateUpload(ctx, mkUpload(c, "F-1", store.UploadSending)), store.ErrAlreadyExists)
		require.NoError(t, st.CreateUpload(ctx, mkUpload(other, "F-1", store.UploadSending)))
		require.NoError(t, st.CreateUpload(ctx, mkUpload(c, "F-1", store.UploadInvalid)), "invalid ones do not block")
		active, err := st.ActiveUpload(ctx, c.ID, c.CIF, "F-1", "2026-01-15")
		require.NoError(t, err)
		require.Equal(t, u.ID, active.ID)

		// Guarded transitions.
		idx := "5001"
		require.NoError(t, st.UpdateUpload(ctx, u.ID, store.UploadUpdate{State: store.UploadPending, IDIncarcare: &idx}, store.UploadSending))
		require.ErrorIs(t, st.UpdateUpload(ctx, u.ID, store.UploadUpdate{State: store.UploadNOK}, store.UploadSending), store.ErrNotFound)
		errs := []store.UploadError{{ID: "BR-RO-110", Message: "a"}, {ID: "ANAF", Message: "b"}}
		require.NoError(t, st.UpdateUpload(ctx, u.ID, store.UploadUpdate{State: store.UploadNOK, Errors: errs}, store.UploadPending))
		got, err = st.UploadByID(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, errs, got.Errors)
		require.Equal(t, "5001", got.IDIncarcare)
		byIdx, err := st.UploadByIncarcare(ctx, c.ID, "5001")
		require.NoError(t, err)
		require.Equal(t, u.ID, byIdx.ID)
		// nok: the invoice may be sent again.
		require.NoError(t, st.CreateUpload(ctx, mkUpload(c, "F-1", store.UploadSending)))

		list, total, err := st.Uploads(ctx, store.UploadFilter{CompanyID: c.ID})
		require.NoError(t, err)
		require.Equal(t, 3, total)
		require.Len(t, list, 3)
		require.GreaterOrEqual(t, list[0].ID, list[1].ID, "newest first")
		_, total, err = st.Uploads(ctx, store.UploadFilter{CompanyID: c.ID, State: store.UploadNOK})
		require.NoError(t, err)
		require.Equal(t, 1, total)
		future := time.Now().Add(time.Hour)
		_, total, err = st.Uploads(ctx, store.UploadFilter{CompanyID: c.ID, CreatedFrom: &future})
		require.NoError(t, err)
		require.Zero(t, total)
		sending, err := st.UploadsInState(ctx, 0, store.UploadSending)
		require.NoError(t, err)
		require.Len(t, sending, 2)
	})
}

func TestUploadConcurrentInsert(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "40000006")
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 8 {
			wg.Go(func() {
				if err := st.CreateUpload(ctx, mkUpload(c, "F-9", store.UploadSending)); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				} else {
					require.ErrorIs(t, err, store.ErrAlreadyExists)
				}
			})
		}
		wg.Wait()
		require.Equal(t, 1, ok)
	})
}

func TestUploadIdempotency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "40000006")
		u := mkUpload(c, "F-2", store.UploadSending)
		require.NoError(t, st.CreateUpload(ctx, u))
		now := time.Now()
		_, _, err := st.IdempotentUpload(ctx, "key:1", "abc", now)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, st.RecordIdempotency(ctx, "key:1", "abc", []byte("sum"), u.ID, now))
		require.ErrorIs(t, st.RecordIdempotency(ctx, "key:1", "abc", []byte("sum"), u.ID, now), store.ErrAlreadyExists)
		require.NoError(t, st.RecordIdempotency(ctx, "key:2", "abc", []byte("sum"), u.ID, now), "scoped per key")
		id, sum, err := st.IdempotentUpload(ctx, "key:1", "abc", now.Add(time.Hour))
		require.NoError(t, err)
		require.Equal(t, u.ID, id)
		require.Equal(t, []byte("sum"), sum)
		// After 24 h the entry is ignored, replaced and pruned.
		later := now.Add(store.IdempotencyTTL + time.Minute)
		_, _, err = st.IdempotentUpload(ctx, "key:1", "abc", later)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, st.RecordIdempotency(ctx, "key:1", "abc", []byte("other"), u.ID, later))
		n, err := st.PruneIdempotency(ctx, later)
		require.NoError(t, err)
		require.Equal(t, int64(1), n, "key:2's entry")
	})
}

func TestSentInvoiceFor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "40000006")
		inv := &store.Invoice{CompanyID: c.ID, ANAFID: "3001", UploadID: "5001", MessageType: store.TypeSent,
			CIFEmitent: c.CIF, SupplierCIF: c.CIF, InvoiceNumber: "F-3", IssueDate: "2026-01-15",
			ANAFCreatedAt: time.Now(), ZIP: []byte("zip")}
		_, err := st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
		got, err := st.SentInvoiceFor(ctx, c.ID, c.CIF, "F-3", "2026-01-15")
		require.NoError(t, err)
		require.Equal(t, "3001", got.ANAFID)
		// Once an upload claims the index, it is no longer a candidate.
		u := mkUpload(c, "F-3", store.UploadSending)
		require.NoError(t, st.CreateUpload(ctx, u))
		idx := "5001"
		require.NoError(t, st.UpdateUpload(ctx, u.ID, store.UploadUpdate{IDIncarcare: &idx}))
		_, err = st.SentInvoiceFor(ctx, c.ID, c.CIF, "F-3", "2026-01-15")
		require.ErrorIs(t, err, store.ErrNotFound)

		e := &store.Invoice{CompanyID: c.ID, ANAFID: "3002", UploadID: "5002", MessageType: store.TypeErrors,
			CIFEmitent: c.CIF, ANAFCreatedAt: time.Now(), ZIP: []byte("zip")}
		_, err = st.InsertInvoice(ctx, e)
		require.NoError(t, err)
		list, err := st.UnclaimedErrorsSince(ctx, c.ID, time.Now().Add(-time.Hour))
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, "3002", list[0].ANAFID)
	})
}

func TestUploadClaims(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "40000006")
		u := mkUpload(c, "F-4", store.UploadSending)
		require.NoError(t, st.CreateUpload(ctx, u))
		now := time.Now()
		// One send claim, ever.
		ok, err := st.ClaimUploadSend(ctx, u.ID, now)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = st.ClaimUploadSend(ctx, u.ID, now)
		require.NoError(t, err)
		require.False(t, ok, "a second attempt never sends")
		got, err := st.UploadByID(ctx, u.ID)
		require.NoError(t, err)
		require.NotNil(t, got.SendStartedAt)

		// Polls: only pending/unknown, one holder until its lease ends.
		ok, err = st.ClaimUploadPoll(ctx, u.ID, now, now.Add(time.Minute))
		require.NoError(t, err)
		require.False(t, ok, "sending is not polled")
		require.NoError(t, st.UpdateUpload(ctx, u.ID, store.UploadUpdate{State: store.UploadPending}))
		ok, err = st.ClaimUploadPoll(ctx, u.ID, now, now.Add(time.Minute))
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = st.ClaimUploadPoll(ctx, u.ID, now.Add(time.Second), now.Add(time.Minute))
		require.NoError(t, err)
		require.False(t, ok, "held")
		ok, err = st.ClaimUploadPoll(ctx, u.ID, now.Add(2*time.Minute), now.Add(3*time.Minute))
		require.NoError(t, err)
		require.True(t, ok, "the lease ended")
	})
}
