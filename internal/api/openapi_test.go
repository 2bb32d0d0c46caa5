package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/ratelimit"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/validate"
)

// openapiDoc is the document decoded for the tests.
type openapiDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"components"`
}

func loadDoc(t *testing.T) openapiDoc {
	t.Helper()
	var d openapiDoc
	require.NoError(t, json.Unmarshal(OpenAPIJSON, &d))
	return d
}

// TestOpenAPICoversRoutes fails when a route of the API's table is missing
// from openapi.json, when the document names an operation the API does not
// serve, when a $ref dangles, or when a keyed route leaves out 401, 403 or 429.
func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	d := loadDoc(t)
	require.Equal(t, "3.1.0", d.OpenAPI)
	h := &handler{}
	served := map[string]bool{}
	for _, rt := range h.routes() {
		key := strings.ToLower(rt.method) + " " + rt.pattern
		served[key] = true
		ops, ok := d.Paths[rt.pattern]
		require.True(t, ok, "route %s %s is missing from openapi.json", rt.method, rt.pattern)
		raw, ok := ops[strings.ToLower(rt.method)]
		require.True(t, ok, "route %s %s is missing from openapi.json", rt.method, rt.pattern)
		var op struct {
			Security  []map[string]any           `json:"security"`
			Responses map[string]json.RawMessage `json:"responses"`
		}
		require.NoError(t, json.Unmarshal(raw, &op))
		if rt.scope != "" {
			require.NotEmpty(t, op.Security, "%s: keyed route without security", key)
			for _, code := range []string{"401", "403", "429"} {
				require.Contains(t, op.Responses, code, "%s: %s not documented", key, code)
			}
		} else {
			require.Empty(t, op.Security, "%s: open route with security", key)
		}
	}
	for p, ops := range d.Paths {
		for m := range ops {
			require.True(t, served[m+" "+p], "openapi.json documents %s %s, which the API does not serve", m, p)
		}
	}

	// Every $ref resolves.
	var tree any
	require.NoError(t, json.Unmarshal(OpenAPIJSON, &tree))
	refs := regexp.MustCompile(`"\$ref":\s*"#/([^"]+)"`).FindAllStringSubmatch(string(OpenAPIJSON), -1)
	require.NotEmpty(t, refs)
	for _, m := range refs {
		node := tree
		for _, part := range strings.Split(m[1], "/") {
			obj, ok := node.(map[string]any)
			require.True(t, ok, "$ref %s", m[1])
			node, ok = obj[part]
			require.True(t, ok, "$ref #/%s does not resolve", m[1])
		}
	}
}

// TestOpenAPIResponses serves real requests of every route and checks each
// answer against the document: the status is documented for the
// operation, the content type is one it lists, and a JSON body matches
// the schema (schemaChecker).
func TestOpenAPIResponses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	d := loadDoc(t)
	sc, err := newSchemaChecker(OpenAPIJSON)
	require.NoError(t, err)

	writeKey := f.newKeyScope(t, f.compA.ID, store.ScopeWrite)
	run, err := f.st.StartSyncRun(t.Context(), f.compA.ID)
	require.NoError(t, err)
	run.Status, run.Found = store.SyncOK, 2
	require.NoError(t, f.st.FinishSyncRun(t.Context(), run))

	parsed := f.a[0]
	for _, s := range f.a {
		if s.doc != nil && s.inv.MessageType == store.TypeReceived {
			parsed = s
			break
		}
	}
	id := func(s seeded) string { return strconv.FormatInt(s.inv.ID, 10) }
	other := f.b[0]
	limited := New(Deps{Gateway: gw(f.st), Limiter: ratelimit.NewMemory(nil), IPPerMin: 1})
	syncing := New(Deps{Gateway: gw(f.st), StartSync: func(context.Context, int64) (int64, error) { return run.ID, nil }})

	cases := []struct {
		name, method, pattern, target string
		headers                       []string
		body                          string
		h                             http.Handler
		want                          int
	}{
		{"HealthOpen", "GET", "/api/v1/health", "/api/v1/health", nil, "", nil, 200},
		{"HealthWithKey", "GET", "/api/v1/health", "/api/v1/health", []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"OpenAPI", "GET", "/api/v1/openapi.json", "/api/v1/openapi.json", nil, "", nil, 200},
		{"Docs", "GET", "/api/docs", "/api/docs", nil, "", nil, 200},
		{"List", "GET", "/api/v1/invoices", "/api/v1/invoices?per_page=100", []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"ListFiltered", "GET", "/api/v1/invoices", "/api/v1/invoices?type=received&sort_by=total_amount&sort_order=asc", []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"ListBadDate", "GET", "/api/v1/invoices", "/api/v1/invoices?date_from=2026-13-01", []string{"X-API-KEY", f.keyA}, "", nil, 400},
		{"ListNoKey", "GET", "/api/v1/invoices", "/api/v1/invoices", []string{}, "", nil, 401},
		{"ListBadKeyFormat", "GET", "/api/v1/invoices", "/api/v1/invoices", []string{"X-API-KEY", "nope"}, "", nil, 401},
		{"ListRateLimited", "GET", "/api/v1/invoices", "/api/v1/invoices", []string{}, "", limited, 429},
		{"Get", "GET", "/api/v1/invoices/{id}", "/api/v1/invoices/" + id(parsed), []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"GetErrors", "GET", "/api/v1/invoices/{id}", "/api/v1/invoices/" + id(find(f.a, anafIDErrors)), []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"GetUnparsable", "GET", "/api/v1/invoices/{id}", "/api/v1/invoices/" + id(find(f.a, anafIDUnparsable)), []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"GetOtherCompany", "GET", "/api/v1/invoices/{id}", "/api/v1/invoices/" + id(other), []string{"X-API-KEY", f.keyA}, "", nil, 404},
		{"Download", "GET", "/api/v1/invoices/{id}/download", "/api/v1/invoices/" + id(parsed) + "/download", []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"XML", "GET", "/api/v1/invoices/{id}/xml", "/api/v1/invoices/" + id(parsed) + "/xml", []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"XMLBrokenZIP", "GET", "/api/v1/invoices/{id}/xml", "/api/v1/invoices/" + id(find(f.a, anafIDBrokenZIP)) + "/xml", []string{"X-API-KEY", f.keyA}, "", nil, 422},
		{"PDF", "GET", "/api/v1/invoices/{id}/pdf", "/api/v1/invoices/" + id(parsed) + "/pdf", []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"PDFUnparsed", "GET", "/api/v1/invoices/{id}/pdf", "/api/v1/invoices/" + id(find(f.a, anafIDUnparsable)) + "/pdf", []string{"X-API-KEY", f.keyA}, "", nil, 422},
		{"ExportCSV", "GET", "/api/v1/invoices/export", "/api/v1/invoices/export", []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"ExportXLSX", "GET", "/api/v1/invoices/export", "/api/v1/invoices/export?format=xlsx", []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"ExportBadFormat", "GET", "/api/v1/invoices/export", "/api/v1/invoices/export?format=pdf", []string{"X-API-KEY", f.keyA}, "", nil, 400},
		{"SyncList", "GET", "/api/v1/sync", "/api/v1/sync", []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"SyncListBadLimit", "GET", "/api/v1/sync", "/api/v1/sync?limit=0", []string{"X-API-KEY", f.keyA}, "", nil, 400},
		{"SyncStartReadKey", "POST", "/api/v1/sync", "/api/v1/sync", []string{"X-API-KEY", f.keyA}, "", nil, 403},
		{"SyncStartNoQueue", "POST", "/api/v1/sync", "/api/v1/sync", []string{"X-API-KEY", writeKey}, "", nil, 503},
		{"SyncStart", "POST", "/api/v1/sync", "/api/v1/sync", []string{"X-API-KEY", writeKey}, "", syncing, 202},
		{"SyncStartWrongType", "POST", "/api/v1/sync", "/api/v1/sync", []string{"X-API-KEY", writeKey, "Content-Type", "text/plain"}, "x", nil, 415},
		{"SyncStartTooLarge", "POST", "/api/v1/sync", "/api/v1/sync", []string{"X-API-KEY", writeKey, "Content-Type", "application/json"}, strings.Repeat(" ", MaxBodyBytes+1), nil, 413},
		{"Validate", "POST", "/api/v1/validate", "/api/v1/validate", []string{"X-API-KEY", f.keyA, "Content-Type", "application/xml"}, validDoc(t), nil, 200},
		{"ValidateInvalid", "POST", "/api/v1/validate", "/api/v1/validate?profile=en", []string{"X-API-KEY", writeKey, "Content-Type", "text/xml"}, `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><cac:InvoiceLine xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"/></Invoice>`, nil, 200},
		{"ValidateNotXML", "POST", "/api/v1/validate", "/api/v1/validate", []string{"X-API-KEY", f.keyA, "Content-Type", "application/xml"}, "nope", nil, 200},
		{"ValidateEmpty", "POST", "/api/v1/validate", "/api/v1/validate", []string{"X-API-KEY", f.keyA, "Content-Type", "application/xml"}, "", nil, 400},
		{"ValidateBadProfile", "POST", "/api/v1/validate", "/api/v1/validate?profile=fr", []string{"X-API-KEY", f.keyA, "Content-Type", "application/xml"}, "<a/>", nil, 400},
		{"ValidateNoKey", "POST", "/api/v1/validate", "/api/v1/validate", []string{"Content-Type", "application/xml"}, "<a/>", nil, 401},
		{"ValidateWrongType", "POST", "/api/v1/validate", "/api/v1/validate", []string{"X-API-KEY", f.keyA, "Content-Type", "application/json"}, "{}", nil, 415},
		{"Archive", "GET", "/api/v1/archive", "/api/v1/archive", []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"ArchiveHeads", "GET", "/api/v1/archive/heads", "/api/v1/archive/heads", []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"AuditPack", "GET", "/api/v1/audit-pack", "/api/v1/audit-pack?from=2000-01-01&to=2099-12-31&lang=en", []string{"X-API-KEY", f.keyA}, "", nil, 200},
		{"AuditPackBadPeriod", "GET", "/api/v1/audit-pack", "/api/v1/audit-pack?from=2026-02-01&to=2026-01-01", []string{"X-API-KEY", f.keyA}, "", nil, 400},
		{"AuditPackNoKey", "GET", "/api/v1/audit-pack", "/api/v1/audit-pack", []string{}, "", nil, 401},
		{"ValidateTooLarge", "POST", "/api/v1/validate", "/api/v1/validate", []string{"X-API-KEY", f.keyA, "Content-Type", "application/xml"}, strings.Repeat(" ", 10<<20+1), nil, 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			if h == nil {
				h = f.h
			}
			var rec *httptest.ResponseRecorder
			for range 2 { // twice, so the 1/min limiter refuses the second
				req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
				for i := 0; i+1 < len(tc.headers); i += 2 {
					req.Header.Set(tc.headers[i], tc.headers[i+1])
				}
				rec = httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if tc.want != http.StatusTooManyRequests {
					break
				}
			}
			require.Equal(t, tc.want, rec.Code, rec.Body.String())
			checkAgainstDoc(t, d, sc, tc.method, tc.pattern, rec)
			if tc.want == http.StatusTooManyRequests {
				require.NotEmpty(t, rec.Header().Get("Retry-After"))
				requireError(t, rec, 429, "RATE_LIMIT_EXCEEDED")
			}
		})
	}
}

// newKeyScope creates a key of the company with that scope and returns it in clear.
func (f *fixture) newKeyScope(t *testing.T, companyID int64, scope string) string {
	t.Helper()
	key, prefix, hash, err := auth.NewAPIKey()
	require.NoError(t, err)
	require.NoError(t, f.st.CreateAPIKey(context.Background(),
		&store.APIKey{CompanyID: companyID, Name: "test " + scope, Prefix: prefix, Hash: hash, Scope: scope}))
	return key
}

// checkAgainstDoc checks one answer against the operation's documented responses.
func checkAgainstDoc(t *testing.T, d openapiDoc, sc *schemaChecker, method, pattern string, rec *httptest.ResponseRecorder) {
	t.Helper()
	raw, ok := d.Paths[pattern][strings.ToLower(method)]
	require.True(t, ok, "%s %s undocumented", method, pattern)
	var op struct {
		Responses map[string]json.RawMessage `json:"responses"`
	}
	require.NoError(t, json.Unmarshal(raw, &op))
	respRaw, ok := op.Responses[strconv.Itoa(rec.Code)]
	require.True(t, ok, "%s %s: status %d is not documented", method, pattern, rec.Code)
	var resp struct {
		Ref     string                     `json:"$ref"`
		Content map[string]json.RawMessage `json:"content"`
	}
	require.NoError(t, json.Unmarshal(respRaw, &resp))
	if resp.Ref != "" {
		name := resp.Ref[strings.LastIndex(resp.Ref, "/")+1:]
		require.NoError(t, json.Unmarshal(d.Components.Responses[name], &resp))
	}
	mt, _, err := mime.ParseMediaType(rec.Header().Get("Content-Type"))
	require.NoError(t, err)
	media, ok := resp.Content[mt]
	require.True(t, ok, "%s %s %d: content type %s not documented (%v)", method, pattern, rec.Code, mt, resp.Content)
	if mt != "application/json" {
		return
	}
	var m struct {
		Schema map[string]any `json:"schema"`
	}
	require.NoError(t, json.Unmarshal(media, &m))
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.UseNumber()
	var body any
	require.NoError(t, dec.Decode(&body))
	require.NoError(t, sc.check(m.Schema, body, fmt.Sprintf("%s %s %d", method, pattern, rec.Code)))
}

// TestSchemaCheckerCatchesDrift proves the checker is not vacuous: a
// missing field, an extra field, a wrong type are all caught.
func TestSchemaCheckerCatchesDrift(t *testing.T) {
	t.Parallel()
	sc, err := newSchemaChecker(OpenAPIJSON)
	require.NoError(t, err)
	ref := func(n string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + n} }
	decode := func(s string) any {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		require.NoError(t, dec.Decode(&v))
		return v
	}
	require.NoError(t, sc.check(ref("Error"), decode(`{"error":"Not Found","message":"m","code":"X_Y"}`), "ok"))
	require.Error(t, sc.check(ref("Error"), decode(`{"error":"Not Found","message":"m"}`), "missing"))
	require.Error(t, sc.check(ref("Error"), decode(`{"error":"Not Found","message":"m","code":"X","trace":"x"}`), "extra"))
	require.Error(t, sc.check(ref("Error"), decode(`{"error":1,"message":"m","code":"X"}`), "type"))
	require.Error(t, sc.check(ref("SyncRun"), decode(`{"id":1.5}`), "integer"))
}

// TestDocsPage checks /api/docs: HTML rendered from the document, every
// operation on it, no script at all, no inline style, nothing from another site.
func TestDocsPage(t *testing.T) {
	t.Parallel()
	h := New(Deps{})
	rec := serve(h, "/api/docs")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	body := rec.Body.String()
	for _, rt := range (&handler{}).routes() {
		require.Contains(t, body, "<code>"+rt.pattern+"</code>", "docs page lists %s", rt.pattern)
	}
	require.NotContains(t, strings.ToLower(body), "<script")
	require.NotContains(t, strings.ToLower(body), "style=")
	require.NotRegexp(t, `(src|href)="(https?:)?//`, body, "no CDN or other site")
	// User documentation in the app's look: its stylesheet, a way back,
	// inline code as <code>, no Markdown or internal references left.
	require.Contains(t, body, `<link rel="stylesheet" href="/static/app.css">`)
	require.Contains(t, body, `<a href="/">← Back to the app</a>`)
	require.Contains(t, body, "<code>X-API-KEY</code>")
	require.NotContains(t, body, "`", "a Markdown backtick shown raw")
	require.NotContains(t, body, "PRODUCT.md")
	require.NotContains(t, body, "§")
	css := serve(h, "/api/docs.css")
	require.Equal(t, http.StatusOK, css.Code)
	require.Contains(t, css.Header().Get("Content-Type"), "text/css")
}

// validDoc is a valid CIUS-RO invoice of testdata (the first the validator accepts).
func validDoc(t *testing.T) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "invoices", "*.xml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		if r, err := validate.Validate(data, validate.ProfileRO); err == nil && r.Valid {
			return string(data)
		}
	}
	t.Fatal("no valid invoice in testdata/invoices")
	return ""
}
