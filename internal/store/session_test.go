package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

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
