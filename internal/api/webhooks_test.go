package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestWebhookRoutes serves every webhook route and checks each answer
// against openapi.json; the secret is in the create and rotate answers
// only and never in the logs.
func TestWebhookRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	d := loadDoc(t)
	sc, err := newSchemaChecker(OpenAPIJSON)
	require.NoError(t, err)
	spec, err := secretbox.Generate("t")
	require.NoError(t, err)
	keys, err := secretbox.Parse(spec)
	require.NoError(t, err)
	var logs strings.Builder
	h := New(Deps{Gateway: &gateway.Service{Store: f.st, Secrets: keys,
		WebhookPolicy: gateway.WebhookPolicy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}},
		BaseURL: testBaseURL, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	write := f.newKeyScope(t, f.compA.ID, store.ScopeWrite)
	otherWrite := f.newKeyScope(t, f.compB.ID, store.ScopeWrite)

	do := func(method, pattern, target, key, body string, want int) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("X-API-KEY", key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, want, rec.Code, "%s %s: %s", method, target, rec.Body.String())
		if rec.Body.Len() > 0 { // 202 and 204 without a body
			checkAgainstDoc(t, d, sc, method, pattern, rec)
		} else {
			require.Contains(t, string(d.Paths[pattern][strings.ToLower(method)]), `"`+itoa(int64(rec.Code))+`"`)
		}
		return rec
	}
	do("GET", "/api/v1/webhooks", "/api/v1/webhooks", f.keyA, "", 200)
	body := `{"url":"https://127.0.0.1:9/hook","events":["invoice.received","upload.nok"],"sync_failed_threshold":5}`
	do("POST", "/api/v1/webhooks", "/api/v1/webhooks", f.keyA, body, 403)
	rec := do("POST", "/api/v1/webhooks", "/api/v1/webhooks", write, `{"url":"https://169.254.169.254/","events":["upload.ok"]}`, 422)
	requireError(t, rec, 422, "WEBHOOK_URL_INTERNAL")
	do("POST", "/api/v1/webhooks", "/api/v1/webhooks", write, `{"url":"https://127.0.0.1/","events":["nope"]}`, 422)
	do("POST", "/api/v1/webhooks", "/api/v1/webhooks", write, `{"url":1}`, 400)
	rec = do("POST", "/api/v1/webhooks", "/api/v1/webhooks", write, body, 201)
	var created struct {
		Data struct {
			ID     int64  `json:"id"`
			Secret string `json:"secret"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &created))
	require.True(t, strings.HasPrefix(created.Data.Secret, "whsec_"))
	id := itoa(created.Data.ID)
	rec = do("GET", "/api/v1/webhooks", "/api/v1/webhooks", f.keyA, "", 200)
	require.NotContains(t, rec.Body.String(), created.Data.Secret)
	require.NotContains(t, rec.Body.String(), `"secret"`)

	// Another company's key sees nothing of it.
	do("DELETE", "/api/v1/webhooks/{id}", "/api/v1/webhooks/"+id, otherWrite, "", 404)
	do("GET", "/api/v1/webhooks/{id}/deliveries", "/api/v1/webhooks/"+id+"/deliveries", otherWrite, "", 404)

	do("POST", "/api/v1/webhooks/{id}/disable", "/api/v1/webhooks/"+id+"/disable", write, "", 200)
	do("POST", "/api/v1/webhooks/{id}/test", "/api/v1/webhooks/"+id+"/test", write, "", 422)
	do("POST", "/api/v1/webhooks/{id}/enable", "/api/v1/webhooks/"+id+"/enable", write, "", 200)
	do("POST", "/api/v1/webhooks/{id}/test", "/api/v1/webhooks/"+id+"/test", f.keyA, "", 403)
	do("POST", "/api/v1/webhooks/{id}/test", "/api/v1/webhooks/"+id+"/test", write, "", 202)
	rec = do("POST", "/api/v1/webhooks/{id}/rotate-secret", "/api/v1/webhooks/"+id+"/rotate-secret", write, "", 200)
	require.Contains(t, rec.Body.String(), "whsec_")
	rotated := rec.Body.String()

	// A delivery in the log (the dispatch job makes it in production).
	evs, err := f.st.CompanyEvents(t.Context(), f.compA.ID, 10)
	require.NoError(t, err)
	require.Equal(t, "test", evs[0].Type, "the newest event is the test event")
	_, err = f.st.CreateWebhookDelivery(t.Context(), created.Data.ID, evs[0].ID)
	require.NoError(t, err)
	rec = do("GET", "/api/v1/webhooks/{id}/deliveries", "/api/v1/webhooks/"+id+"/deliveries", f.keyA, "", 200)
	var log struct {
		Data []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &log))
	require.Len(t, log.Data, 1)
	require.Equal(t, "pending", log.Data[0].Status)
	do("POST", "/api/v1/webhooks/{id}/deliveries/{delivery}/resend", "/api/v1/webhooks/"+id+"/deliveries/"+log.Data[0].ID+"/resend", write, "", 202)
	do("POST", "/api/v1/webhooks/{id}/deliveries/{delivery}/resend", "/api/v1/webhooks/"+id+"/deliveries/dlv_nope/resend", write, "", 404)
	do("DELETE", "/api/v1/webhooks/{id}", "/api/v1/webhooks/"+id, write, "", 204)
	do("DELETE", "/api/v1/webhooks/{id}", "/api/v1/webhooks/"+id, write, "", 404)
	do("DELETE", "/api/v1/webhooks/{id}", "/api/v1/webhooks/x", write, "", 404)

	require.NotContains(t, logs.String(), created.Data.Secret)
	require.NotContains(t, logs.String(), strings.TrimSpace(rotated))
	_ = http.StatusOK
}

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }

// TestOpenAPIWebhooksSection: the document's top-level webhooks section
// (OpenAPI 3.1) describes every event type's envelope.
func TestOpenAPIWebhooksSection(t *testing.T) {
	t.Parallel()
	var doc struct {
		Webhooks map[string]struct {
			Post struct {
				RequestBody struct {
					Content map[string]json.RawMessage `json:"content"`
				} `json:"requestBody"`
			} `json:"post"`
		} `json:"webhooks"`
	}
	require.NoError(t, json.Unmarshal(OpenAPIJSON, &doc))
	for _, typ := range append(gateway.WebhookEventTypes(), "test") {
		w, ok := doc.Webhooks[typ]
		require.True(t, ok, "event %s is missing from openapi.json's webhooks", typ)
		require.Contains(t, string(w.Post.RequestBody.Content["application/json"]), `"const": "`+typ+`"`)
	}
}
