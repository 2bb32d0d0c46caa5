package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func TestCompanyMembers(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := t.Context()
	c := mkCompany(t, st, "12345674")
	owner, member := mkUser(t, st, "z-owner@example.ro"), mkUser(t, st, "a-member@example.ro")
	require.NoError(t, st.AddMembership(ctx, c.ID, owner.ID, store.RoleOwner))
	require.NoError(t, st.AddMembership(ctx, c.ID, member.ID, store.RoleMember))
	got, err := st.CompanyMembers(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Member{
		{UserID: owner.ID, Email: "z-owner@example.ro", Role: store.RoleOwner, Consent: true},
		{UserID: member.ID, Email: "a-member@example.ro", Role: store.RoleMember},
	}, got)
}

func TestAuditEventsFiltered(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := t.Context()
	u := mkUser(t, st, "admin@example.ro")
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for i, action := range []string{"user.login", "user.approve", "apikey.create"} {
		require.NoError(t, st.Audit(ctx, &store.AuditEvent{At: base.Add(time.Duration(i) * time.Hour), ActorID: &u.ID, Action: action}))
	}
	require.NoError(t, st.Audit(ctx, &store.AuditEvent{At: base, Action: "user.login_failed", Target: "x@example.ro"}))

	tests := []struct {
		name string
		f    store.AuditFilter
		want []string
	}{
		{"all", store.AuditFilter{}, []string{"apikey.create", "user.approve", "user.login_failed", "user.login"}},
		{"action prefix", store.AuditFilter{Action: "user."}, []string{"user.approve", "user.login_failed", "user.login"}},
		{"actor", store.AuditFilter{ActorEmail: "ADMIN@example.ro"}, []string{"apikey.create", "user.approve", "user.login"}},
		{"dates", store.AuditFilter{From: base.Add(30 * time.Minute), To: base.Add(90 * time.Minute)}, []string{"user.approve"}},
		{"wildcards are literal", store.AuditFilter{Action: "user_"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := st.AuditEventsFiltered(ctx, tt.f)
			require.NoError(t, err)
			var actions []string
			for _, e := range got {
				actions = append(actions, e.Action)
				if e.ActorID != nil {
					require.Equal(t, "admin@example.ro", e.ActorEmail)
				}
			}
			require.Equal(t, tt.want, actions)
		})
	}
}

func TestSystemFiguresAndAmounts(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := t.Context()
	mkUser(t, st, "a@example.ro")
	_, err := st.CreateUser(ctx, "p@example.ro", "h", true, store.UserPending)
	require.NoError(t, err)
	c := mkCompany(t, st, "98765438")
	for i, id := range []string{"1", "2"} {
		inv := sampleInvoice(c.ID, id)
		if i == 1 {
			inv.MessageType, inv.IssueDate, inv.Currency, inv.TotalAmount = store.TypeSent, "2026-02-03", "EUR", "10.50"
		}
		_, err := st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
	}
	run, err := st.StartSyncRun(ctx, c.ID)
	require.NoError(t, err)
	run.Status, run.New = "ok", 2
	require.NoError(t, st.FinishSyncRun(ctx, run))

	f, err := st.SystemFigures(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]int{store.UserApproved: 1, store.UserPending: 1}, f.UsersByStatus)
	require.Equal(t, 1, f.Admins)
	require.Equal(t, 1, f.Companies)
	require.Equal(t, 2, f.Invoices)
	require.Len(t, f.LastSyncs, 1)
	require.Equal(t, "ok", f.LastSyncs[0].Run.Status)
	require.Equal(t, c.Name, f.LastSyncs[0].CompanyName)

	amounts, err := st.InvoiceAmounts(ctx, c.ID, "2026-02-01")
	require.NoError(t, err)
	require.Equal(t, []store.InvoiceAmount{{IssueDate: "2026-02-03", MessageType: store.TypeSent, Currency: "EUR", Total: "10.50"}}, amounts)

	for _, tt := range []struct {
		partner string
		want    int
	}{{"", 2}, {"RO12345674", 2}, {"98765438", 2}, {"beta", 2}, {"gamma", 0}, {"11111111", 0}} {
		list, total, err := st.InvoicesWithPartner(ctx, store.InvoiceFilter{CompanyID: c.ID, Limit: 1}, tt.partner)
		require.NoError(t, err, tt.partner)
		require.Equal(t, tt.want, total, tt.partner)
		require.LessOrEqual(t, len(list), 1)
	}
}

func TestUserSessionsValidAfter(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := t.Context()
	u := mkUser(t, st, "s@example.ro")
	got, err := st.UserSessionsValidAfter(ctx, u.ID)
	require.NoError(t, err)
	require.Nil(t, got)
	at := time.Date(2026, 3, 1, 10, 0, 0, 123456000, time.UTC)
	require.NoError(t, st.SetUserSessionsValidAfter(ctx, u.ID, at))
	got, err = st.UserSessionsValidAfter(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, at, *got)
	require.ErrorIs(t, st.SetUserSessionsValidAfter(ctx, 9999, at), store.ErrNotFound)
	_, err = st.UserSessionsValidAfter(ctx, 9999)
	require.ErrorIs(t, err, store.ErrNotFound)
}
