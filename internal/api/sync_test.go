package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func TestSyncRunsAPI(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := t.Context()
	f := newFixture(t, st)
	writeKey := func(companyID int64) string {
		key, prefix, hash, err := auth.NewAPIKey()
		require.NoError(t, err)
		require.NoError(t, st.CreateAPIKey(ctx, &store.APIKey{CompanyID: companyID, Name: "w", Prefix: prefix, Hash: hash, Scope: store.ScopeWrite}))
		return key
	}
	old, err := st.StartSyncRun(ctx, f.compA.ID)
	require.NoError(t, err)
	old.Status, old.Found, old.New = store.SyncOK, 3, 2
	require.NoError(t, st.FinishSyncRun(ctx, old))
	var queued []int64
	h := New(Deps{Gateway: gw(st), Logger: slog.New(slog.DiscardHandler), StartSync: func(ctx context.Context, companyID int64) (int64, error) {
		r, err := st.OpenSyncRun(ctx, companyID, store.SyncQueued)
		if err != nil {
			return 0, err
		}
		queued = append(queued, companyID)
		return r.ID, nil
	}})
	do := func(method, key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/api/v1/sync", nil)
		req.Header.Set("X-API-KEY", key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	// A read key may list but not start.
	rec := do(http.MethodPost, f.keyA)
	require.Equal(t, http.StatusForbidden, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), "INSUFFICIENT_SCOPE")
	require.Empty(t, queued)

	rec = do(http.MethodPost, writeKey(f.compA.ID))
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	var started syncRunJSON
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &started))
	require.Equal(t, store.SyncQueued, started.Status)
	require.Equal(t, []int64{f.compA.ID}, queued)

	rec = do(http.MethodGet, f.keyA)
	require.Equal(t, http.StatusOK, rec.Code)
	var list struct {
		Runs []syncRunJSON `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	require.Len(t, list.Runs, 2)
	require.Equal(t, started.ID, list.Runs[0].ID, "newest first")
	require.Equal(t, old.ID, list.Runs[1].ID)
	require.Equal(t, 3, list.Runs[1].Found)
	require.NotNil(t, list.Runs[1].FinishedAt)

	// B's key sees only B's runs.
	rec = do(http.MethodGet, f.keyB)
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	require.Empty(t, list.Runs)
}
