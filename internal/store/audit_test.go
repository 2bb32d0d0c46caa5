package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

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
