package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestInvoiceIdentityMarks (issue 15 item 8): one identity rule (seller
// CIF + BT-1 + BT-2, per company and message type); the earliest message
// is the original, a later one with the same total is duplicate_of it,
// with another total conflict_of it; the same message (an upload the
// gateway sent and ANAF's listing of it: one id_descarcare) is one row,
// never a duplicate of itself.
func TestInvoiceIdentityMarks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c, err := st.CreateCompany(ctx, "98765438", "BETA")
		require.NoError(t, err)
		other, err := st.CreateCompany(ctx, "12345674", "ALFA")
		require.NoError(t, err)
		base := time.Date(2026, 1, 15, 7, 0, 0, 0, time.UTC)
		mk := func(companyID int64, anafID string, created time.Time, total, typ string) *store.Invoice {
			inv := sampleInvoice(companyID, anafID)
			inv.InvoiceNumber, inv.IssueDate, inv.SupplierCIF = "AS-1", "2026-01-15", "12345674"
			inv.ANAFCreatedAt, inv.TotalAmount, inv.MessageType = created, total, typ
			inserted, err := st.InsertInvoice(ctx, inv)
			require.NoError(t, err)
			require.True(t, inserted)
			return inv
		}
		get := func(inv *store.Invoice) *store.Invoice {
			got, err := st.InvoiceByID(ctx, inv.CompanyID, inv.ID)
			require.NoError(t, err)
			return got
		}

		// The later copy is archived first (lists come newest first).
		later := mk(c.ID, "3000000002", base.Add(2*time.Hour), "1190.00", store.TypeReceived)
		require.Zero(t, later.DuplicateOf)
		first := mk(c.ID, "3000000001", base, "1190.0", store.TypeReceived) // the same amount, written otherwise
		require.Zero(t, first.DuplicateOf)
		require.Equal(t, 1, first.MarkedDuplicates, "the earlier-stored copy was marked")
		require.Equal(t, first.ID, get(later).DuplicateOf)
		require.Zero(t, get(first).DuplicateOf)

		// Another total: a conflict, not a duplicate.
		diff := mk(c.ID, "3000000003", base.Add(3*time.Hour), "1200.00", store.TypeReceived)
		require.Zero(t, diff.DuplicateOf)
		require.Equal(t, first.ID, diff.ConflictOf)
		require.Equal(t, 1, diff.MarkedConflicts)

		// Another message type, another company: not the same invoice.
		sent := mk(c.ID, "3000000004", base.Add(4*time.Hour), "1190.00", store.TypeSent)
		require.Zero(t, sent.DuplicateOf)
		elsewhere := mk(other.ID, "3000000002", base.Add(2*time.Hour), "1190.00", store.TypeReceived)
		require.Zero(t, elsewhere.DuplicateOf)

		// The same message stored again (an upload's row, then ANAF's
		// listing of it): one row, unmarked.
		self := sampleInvoice(c.ID, "3000000004")
		self.InvoiceNumber, self.IssueDate, self.SupplierCIF, self.MessageType = "AS-1", "2026-01-15", "12345674", store.TypeSent
		inserted, err := st.InsertInvoice(ctx, self)
		require.NoError(t, err)
		require.False(t, inserted)
		require.Equal(t, sent.ID, self.ID)
		require.Zero(t, self.DuplicateOf)

		// No identity (an unparsed document): never marked.
		bare := sampleInvoice(c.ID, "3000000005")
		bare.InvoiceNumber, bare.IssueDate = "", ""
		_, err = st.InsertInvoice(ctx, bare)
		require.NoError(t, err)
		require.Zero(t, bare.DuplicateOf)

		// Lists keep every row; figures and exports can leave duplicates out.
		_, total, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID})
		require.NoError(t, err)
		require.Equal(t, 5, total)
		_, total, err = st.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID, ExcludeDuplicates: true})
		require.NoError(t, err)
		require.Equal(t, 4, total)
		amounts, err := st.InvoiceAmounts(ctx, c.ID, "2026-01-01")
		require.NoError(t, err)
		require.Len(t, amounts, 3, "first, the conflicting one and the sent one")
	})
}

// TestMessageStates: deferred and expired messages of a company, as the
// sync records them (issue 15 items 3, 4).
func TestMessageStates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c, err := st.CreateCompany(ctx, "98765438", "BETA")
		require.NoError(t, err)
		until := time.Date(2026, 1, 15, 22, 0, 0, 0, time.UTC)
		created := time.Date(2025, 11, 16, 10, 0, 0, 0, time.UTC)
		require.NoError(t, st.SetMessageState(ctx, &store.MessageState{CompanyID: c.ID, ANAFID: "301", State: store.MessageDeferred,
			DeferredUntil: &until, ANAFText: "S-au facut deja 10 descarcari de mesaj in cursul zilei", MessageType: store.TypeReceived}))
		require.NoError(t, st.SetMessageState(ctx, &store.MessageState{CompanyID: c.ID, ANAFID: "302", State: store.MessageExpired,
			ANAFText: "Fisierul nu mai poate fi descarcat", ANAFCreatedAt: &created}))
		got, err := st.MessageStates(ctx, c.ID, []string{"301", "302", "303"})
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, store.MessageDeferred, got["301"].State)
		require.True(t, got["301"].DeferredUntil.Equal(until))
		require.Equal(t, store.MessageExpired, got["302"].State)
		require.True(t, got["302"].ANAFCreatedAt.Equal(created))

		// Deferred again, then expired: one row, replaced.
		require.NoError(t, st.SetMessageState(ctx, &store.MessageState{CompanyID: c.ID, ANAFID: "301", State: store.MessageExpired, ANAFText: "x"}))
		exp, err := st.MessagesInState(ctx, c.ID, store.MessageExpired, 0)
		require.NoError(t, err)
		require.Len(t, exp, 2)
		require.NoError(t, st.ClearMessageState(ctx, c.ID, "301"))
		got, err = st.MessageStates(ctx, c.ID, []string{"301"})
		require.NoError(t, err)
		require.Empty(t, got)
	})
}

// TestSyncRunCounters: the run's issue 15 counters round-trip.
func TestSyncRunCounters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c, err := st.CreateCompany(ctx, "98765438", "BETA")
		require.NoError(t, err)
		run, err := st.OpenSyncRunKind(ctx, c.ID, store.SyncQueued, store.SyncKindRelist)
		require.NoError(t, err)
		until := time.Date(2026, 1, 15, 22, 0, 0, 0, time.UTC)
		run.Expired, run.ExpiredText, run.Deferred, run.DeferredUntil = 1, "t", 2, &until
		run.Foreign, run.ForeignCIFs, run.Duplicates, run.Conflicts = 3, "12345674", 4, 5
		require.NoError(t, st.FinishSyncRun(ctx, run))
		got, err := st.SyncRunByID(ctx, run.ID)
		require.NoError(t, err)
		require.Equal(t, store.SyncKindRelist, got.Kind)
		require.Equal(t, []any{1, "t", 2, 3, "12345674", 4, 5}, []any{got.Expired, got.ExpiredText, got.Deferred, got.Foreign, got.ForeignCIFs, got.Duplicates, got.Conflicts})
		require.True(t, got.DeferredUntil.Equal(until))
		last, err := st.LastSyncRunOfKind(ctx, c.ID, store.SyncKindRelist)
		require.NoError(t, err)
		require.Equal(t, run.ID, last.ID)
		_, err = st.LastSyncRunOfKind(ctx, c.ID, store.SyncKindIncremental)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
