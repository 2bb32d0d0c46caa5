package gateway_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestRiskUseCases: the invoice page carries the flags; only members (or
// a write key) of the invoice's company mark them checked, audited with
// the user; RiskCounts counts per visible company.
func TestRiskUseCases(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		gw := &gateway.Service{Store: st}
		alice, err := st.CreateUser(ctx, "alice@example.test", "x", false, store.UserApproved)
		require.NoError(t, err)
		bob, err := st.CreateUser(ctx, "bob@example.test", "x", false, store.UserApproved)
		require.NoError(t, err)
		a, err := st.CreateCompanyWithOwner(ctx, "98765438", "A SRL", alice.ID)
		require.NoError(t, err)
		b, err := st.CreateCompanyWithOwner(ctx, "12345674", "B SRL", bob.ID)
		require.NoError(t, err)
		for _, c := range []*store.Company{a, b} {
			_, err = st.SetCompanyVerified(ctx, c.ID, 0)
			require.NoError(t, err)
		}
		inv := &store.Invoice{CompanyID: a.ID, ANAFID: "3100000001", MessageType: store.TypeReceived, InvoiceNumber: "X-1",
			IssueDate: "2026-01-10", SupplierCIF: "31415920", TotalAmount: "1.00", ZIP: []byte("zip")}
		_, err = st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
		require.NoError(t, st.SaveRiskCheck(ctx, &store.RiskCheck{InvoiceID: inv.ID, CompanyID: a.ID, VATDone: true},
			[]store.RiskFlag{{Code: "supplier_cash_vat", Details: []byte(`{"date":"2026-01-10"}`)}, {Code: "iban_changed"}}))

		userA := gateway.UserPrincipal(gateway.Actor{UserID: alice.ID, IP: "192.0.2.1"})
		userB := gateway.UserPrincipal(gateway.Actor{UserID: bob.ID})
		page, err := gw.InvoicePage(ctx, userA, inv.ID, "ro")
		require.NoError(t, err)
		require.True(t, page.Risk.Checked)
		require.Equal(t, 2, page.Risk.Unchecked)
		require.Equal(t, "iban_changed", page.Risk.Flags[0].Code, "high before warning")
		require.Equal(t, "2026-01-10", page.Risk.Flags[1].Details["date"])

		counts, err := gw.RiskCounts(ctx, userA)
		require.NoError(t, err)
		require.Equal(t, map[int64]int{a.ID: 1}, counts)
		counts, err = gw.RiskCounts(ctx, userB)
		require.NoError(t, err)
		require.Empty(t, counts, "bob sees nothing of A")

		_, err = gw.MarkRiskChecked(ctx, userB, inv.ID, "")
		require.ErrorIs(t, err, gateway.ErrInvoiceNotFound)
		_, err = gw.MarkRiskChecked(ctx, gateway.KeyOf(a.ID, gateway.ScopeRead, 1), inv.ID, "")
		require.ErrorIs(t, err, gateway.ErrInsufficientScope)
		_, err = gw.MarkRiskChecked(ctx, userA, inv.ID, "nope")
		require.ErrorIs(t, err, gateway.ErrRiskBadCode)
		n, err := gw.MarkRiskChecked(ctx, userA, inv.ID, "iban_changed")
		require.NoError(t, err)
		require.Equal(t, 1, n)
		rep, err := gw.InvoiceRisk(ctx, userA, inv.ID)
		require.NoError(t, err)
		require.Equal(t, 1, rep.Unchecked)
		require.Equal(t, "alice@example.test", rep.Flags[0].CheckedBy)
		n, err = gw.MarkRiskChecked(ctx, userA, inv.ID, "")
		require.NoError(t, err)
		require.Equal(t, 1, n)
		n, err = gw.MarkRiskChecked(ctx, userA, inv.ID, "")
		require.NoError(t, err)
		require.Zero(t, n, "nothing left")
		counts, err = gw.RiskCounts(ctx, userA)
		require.NoError(t, err)
		require.Empty(t, counts)

		events, err := st.AuditEvents(ctx, 50)
		require.NoError(t, err)
		var got []string
		for _, e := range events {
			if e.Action == store.ActionInvoiceRiskChecked {
				require.Equal(t, alice.ID, *e.ActorID)
				require.Equal(t, store.TargetCompany(a.CIF), e.Target)
				got = append(got, e.Details)
			}
		}
		require.Len(t, got, 2, "one row per marking that changed something")
	})
}

type fakeTaxpayers struct {
	calls int
	err   error
}

func (f *fakeTaxpayers) Taxpayer(_ context.Context, cui, date string) (*anaf.VATRecord, bool, error) {
	f.calls++
	if f.err != nil {
		return nil, false, f.err
	}
	if cui != "31415920" {
		return nil, false, nil
	}
	return &anaf.VATRecord{CUI: cui, Date: date, Name: "GAMMA SA", Address: "IAŞI", Status: anaf.Inactive{Inactive: true}}, true, nil
}

// TestLookupTaxpayer: the add-company form's "fill in from ANAF": a bad
// CIF is refused before asking, an unknown one and an outage are field
// errors, a known one gives name and address.
func TestLookupTaxpayer(t *testing.T) {
	t.Parallel()
	src := &fakeTaxpayers{}
	gw := &gateway.Service{Taxpayers: src}
	user := gateway.Actor{UserID: 1}
	_, err := gw.LookupTaxpayer(t.Context(), gateway.Actor{}, "31415920")
	require.ErrorIs(t, err, gateway.ErrNotFound)
	_, err = gw.LookupTaxpayer(t.Context(), user, "31415921")
	require.ErrorIs(t, err, gateway.ErrTaxpayerBadCIF)
	require.Zero(t, src.calls)
	tp, err := gw.LookupTaxpayer(t.Context(), user, "RO 31415920")
	require.NoError(t, err)
	require.Equal(t, gateway.Taxpayer{CIF: "31415920", Name: "GAMMA SA", Address: "IAŞI", Inactive: true}, *tp)
	_, err = gw.LookupTaxpayer(t.Context(), user, "12345674")
	require.ErrorIs(t, err, gateway.ErrTaxpayerNotFound)
	src.err = &anaf.Error{Kind: anaf.KindTransient}
	_, err = gw.LookupTaxpayer(t.Context(), user, "31415920")
	require.ErrorIs(t, err, gateway.ErrTaxpayerUnavailable)
	_, err = (&gateway.Service{}).LookupTaxpayer(t.Context(), user, "31415920")
	require.ErrorIs(t, err, gateway.ErrTaxpayerUnavailable)
}
