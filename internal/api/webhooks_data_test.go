package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestEventDataIsTheAPIShape: a webhook event's data (EventData, as the
// app wires it into the Deliverer) is the invoice exactly as GET
// /api/v1/invoices lists it, or the upload as GET /api/v1/uploads/{id}
// answers, plus "url", its address in the API; the whole envelope passes the schema of
// openapi.json's webhooks section; another company's subject is not found.
func TestEventDataIsTheAPIShape(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	ctx := t.Context()
	sc, err := newSchemaChecker(OpenAPIJSON)
	require.NoError(t, err)
	var doc struct {
		Webhooks map[string]struct {
			Post struct {
				RequestBody struct {
					Content map[string]struct {
						Schema map[string]any `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			} `json:"post"`
		} `json:"webhooks"`
	}
	require.NoError(t, json.Unmarshal(OpenAPIJSON, &doc))
	data := EventData(gw(f.st), testBaseURL)
	decode := func(b []byte) map[string]any {
		t.Helper()
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var m map[string]any
		require.NoError(t, d.Decode(&m))
		return m
	}
	// apiShape is how the API shows the subject: an upload as GET
	// /api/v1/uploads/{id} answers; an invoice as GET /api/v1/invoices lists
	// it (the Invoice schema: the one-invoice answer adds the parsed
	// document, which the receiver fetches from url when it wants it).
	apiShape := func(t *testing.T, path string, id int64) map[string]any {
		t.Helper()
		if path == "/api/v1/uploads" {
			rec := f.get(t, fmt.Sprintf("%s/%d", path, id))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			return decode(rec.Body.Bytes())["data"].(map[string]any)
		}
		rec := f.get(t, path+"?per_page=100")
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		for _, it := range decode(rec.Body.Bytes())["data"].([]any) {
			if m := it.(map[string]any); fmt.Sprint(m["id"]) == fmt.Sprint(id) {
				return m
			}
		}
		t.Fatalf("invoice %d not listed", id)
		return nil
	}
	check := func(typ, path string, subject int64) {
		t.Helper()
		raw, err := data(ctx, typ, f.compA.ID, subject)
		require.NoError(t, err)
		got := decode(raw)
		url := fmt.Sprintf("%s%s/%d", testBaseURL, path, subject)
		require.Equal(t, url, got["url"])
		answer := apiShape(t, path, subject)
		answer["url"] = url
		require.Equal(t, answer, got, "%s: the API's own shape, plus url", typ)

		env := map[string]any{"id": "evt_0f3c", "type": typ, "created_at": "2026-12-07T15:02:21Z", "company_cif": f.compA.CIF, "data": got}
		schema := doc.Webhooks[typ].Post.RequestBody.Content["application/json"].Schema
		require.NotNil(t, schema, typ)
		require.NoError(t, sc.check(schema, env, typ))

		_, err = data(ctx, typ, f.compB.ID, subject)
		require.ErrorIs(t, err, store.ErrNotFound, "another company's %s", path)
	}

	inv := filter(f.a, func(s seeded) bool { return s.doc != nil })[0].inv
	check(notify.InvoiceReceived, "/api/v1/invoices", inv.ID)
	// A batch's invoices at once (the sync's dispatch): the same bytes; a
	// missing invoice or another company's has none.
	one, err := data(ctx, notify.InvoiceReceived, f.compA.ID, inv.ID)
	require.NoError(t, err)
	many, err := EventInvoicesData(gw(f.st), testBaseURL)(ctx, f.compA.ID, []int64{inv.ID, 1 << 40})
	require.NoError(t, err)
	require.Equal(t, map[int64]json.RawMessage{inv.ID: one}, many)
	many, err = EventInvoicesData(gw(f.st), testBaseURL)(ctx, f.compB.ID, []int64{inv.ID})
	require.NoError(t, err)
	require.Empty(t, many)

	up := &store.Upload{CompanyID: f.compA.ID, State: store.UploadInvalid, SellerCIF: f.compA.CIF, InvoiceNumber: "A1",
		IssueDate: "2026-01-15", Document: []byte("<x/>"), DocSHA256: make([]byte, 32)}
	require.NoError(t, f.st.CreateUpload(ctx, up))
	check(notify.UploadNOK, "/api/v1/uploads", up.ID)
}
