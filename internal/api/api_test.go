package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/client"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/version"
)

// TestAPI runs every handler test on SQLite and PostgreSQL, each backend
// with one seeded store (see newFixture); the subtests only read, except
// where they make their own keys.
func TestAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		t.Run("Health", f.testHealth)
		t.Run("Keys", f.testKeys)
		t.Run("ListDefault", f.testListDefault)
		t.Run("Pagination", f.testPagination)
		t.Run("Filters", f.testFilters)
		t.Run("Search", f.testSearch)
		t.Run("Sort", f.testSort)
		t.Run("FieldContract", f.testFieldContract)
		t.Run("OneInvoice", f.testOneInvoice)
		t.Run("Download", f.testDownload)
		t.Run("Injection", f.testInjection)
		t.Run("NotFound", f.testNotFound)
	})
}

func (f *fixture) testHealth(t *testing.T) {
	ctx := context.Background()
	decode := func(t *testing.T, body []byte) map[string]any {
		t.Helper()
		var m map[string]any
		require.NoError(t, json.Unmarshal(body, &m))
		return m
	}

	t.Run("without key", func(t *testing.T) {
		rec := f.get(t, "/api/v1/health", "Accept", "application/json")
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		m := decode(t, rec.Body.Bytes())
		require.ElementsMatch(t, []string{"status", "timestamp", "version", "checks"}, keys(m))
		require.Equal(t, "healthy", m["status"])
		require.Equal(t, version.Version, m["version"])
		ts, err := time.Parse(time.RFC3339, m["timestamp"].(string))
		require.NoError(t, err)
		require.WithinDuration(t, time.Now(), ts, time.Minute)
		require.True(t, strings.HasSuffix(m["timestamp"].(string), "Z"))
		require.Equal(t, map[string]any{"database": "healthy"}, m["checks"])
	})

	t.Run("bad key is ignored", func(t *testing.T) {
		rec := f.get(t, "/api/v1/health", "X-API-KEY", "efk_nope")
		require.Equal(t, http.StatusOK, rec.Code)
		require.NotContains(t, decode(t, rec.Body.Bytes())["checks"], "company")
	})

	t.Run("with key", func(t *testing.T) {
		run, err := f.st.StartSyncRun(ctx, f.compA.ID)
		require.NoError(t, err)
		run.Status, run.Found, run.New = store.SyncOK, 3, 2
		require.NoError(t, f.st.FinishSyncRun(ctx, run))

		rec := f.get(t, "/api/v1/health", "Authorization", "Bearer "+f.keyA)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		checks := decode(t, rec.Body.Bytes())["checks"].(map[string]any)
		require.Equal(t, "healthy", checks["database"])
		company, ok := checks["company"].(map[string]any)
		require.True(t, ok, "checks.company: %v", checks)
		require.Equal(t, cifA, company["cif"])
		require.Equal(t, "disconnected", company["anaf_connection"])
		lastSync := company["last_sync"].(map[string]any)
		require.Equal(t, store.SyncOK, lastSync["status"])
		require.EqualValues(t, 3, lastSync["found"])
		require.EqualValues(t, 2, lastSync["new"])

		// The connection states named in PRODUCT.md §5, as the sync engine stores them.
		u, err := f.st.CreateUser(ctx, "health-owner@example.com", "x", false, store.UserApproved)
		require.NoError(t, err)
		require.NoError(t, f.st.AddMembership(ctx, f.compA.ID, u.ID, store.RoleOwner))
		for _, tc := range []struct {
			status  string
			expires time.Duration
			want    string
		}{
			{store.ANAFNeedsAttention, 24 * time.Hour, "needs_attention"},
			{store.ANAFReconnectNeeded, 24 * time.Hour, "reconnect_needed"},
			{store.ANAFConnected, -time.Hour, "refresh_failed"},
			{store.ANAFConnected, 24 * time.Hour, "connected"},
		} {
			require.NoError(t, f.st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: []byte("a"), RefreshTokenEnc: []byte("r"),
				ExpiresAt: time.Now().Add(tc.expires), Status: tc.status}))
			rec := f.get(t, "/api/v1/health", "X-API-KEY", f.keyA)
			company := decode(t, rec.Body.Bytes())["checks"].(map[string]any)["company"].(map[string]any)
			require.Equal(t, tc.want, company["anaf_connection"], tc.status)
		}
		require.NoError(t, f.st.DeleteANAFToken(ctx, u.ID))

		// B's key: B's company, which never synced.
		rec = f.get(t, "/api/v1/health", "X-API-KEY", f.keyB)
		company = decode(t, rec.Body.Bytes())["checks"].(map[string]any)["company"].(map[string]any)
		require.Equal(t, cifB, company["cif"])
		require.Contains(t, company, "last_sync")
		require.Nil(t, company["last_sync"])
	})

	t.Run("failing dependency", func(t *testing.T) {
		h := New(Deps{Gateway: gw(f.st), Checks: map[string]func(context.Context) error{
			"jobs": func(context.Context) error { return errors.New("connection refused") },
		}})
		rec := serve(h, "/api/v1/health")
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		m := decode(t, rec.Body.Bytes())
		require.Equal(t, "unhealthy", m["status"])
		require.Equal(t, map[string]any{"database": "healthy", "jobs": "unhealthy"}, m["checks"])
		require.NotContains(t, rec.Body.String(), "connection refused", "no internals in the answer")
	})

	t.Run("degraded dependency", func(t *testing.T) {
		// Redis (limits fall back to per-replica ones), ANAF, storage, disk: 200.
		h := New(Deps{Gateway: gw(f.st), Degradable: map[string]func(context.Context) error{
			"redis": func(context.Context) error { return errors.New("connection refused") },
		}})
		rec := serve(h, "/api/v1/health")
		require.Equal(t, http.StatusOK, rec.Code)
		m := decode(t, rec.Body.Bytes())
		require.Equal(t, "degraded", m["status"])
		require.Equal(t, map[string]any{"database": "healthy", "redis": "degraded"}, m["checks"])
	})

	t.Run("checks reused for a second", func(t *testing.T) {
		var calls atomic.Int32
		h := New(Deps{Gateway: gw(f.st), Checks: map[string]func(context.Context) error{
			"jobs": func(context.Context) error { calls.Add(1); return nil },
		}})
		for range 3 {
			require.Equal(t, http.StatusOK, serve(h, "/api/v1/health").Code)
		}
		require.Equal(t, int32(1), calls.Load(), "one job-queue check for three calls within a second")
		time.Sleep(healthCacheFor + 50*time.Millisecond)
		require.Equal(t, http.StatusOK, serve(h, "/api/v1/health").Code)
		require.Equal(t, int32(2), calls.Load(), "checked again after a second")
	})
}

func (f *fixture) testKeys(t *testing.T) {
	ctx := context.Background()
	unknown, _, _, err := auth.NewAPIKey()
	require.NoError(t, err)
	revoked := f.newKey(t, f.compA.ID)
	keysA, err := f.st.APIKeys(ctx, f.compA.ID)
	require.NoError(t, err)
	require.NoError(t, f.st.RevokeAPIKey(ctx, f.compA.ID, keysA[0].ID)) // newest first: the one just made
	wrongPrefix := "efx_" + f.keyA[4:]
	padded := f.keyA + "="

	anyInvoice := f.a[0].inv.ID
	endpoints := []string{
		"/api/v1/invoices",
		fmt.Sprintf("/api/v1/invoices/%d", anyInvoice),
		fmt.Sprintf("/api/v1/invoices/%d/download", anyInvoice),
		fmt.Sprintf("/api/v1/invoices/%d/xml", anyInvoice),
	}
	for _, tc := range []struct {
		name    string
		headers []string
		code    string // "" for 200
	}{
		{"X-API-KEY", []string{"X-API-KEY", f.keyA}, ""},
		{"lower-case header name", []string{"x-api-key", f.keyA}, ""},
		{"Bearer", []string{"Authorization", "Bearer " + f.keyA}, ""},
		{"bearer lower-case", []string{"Authorization", "bearer " + f.keyA}, ""},
		{"X-API-KEY wins over Bearer", []string{"X-API-KEY", f.keyA, "Authorization", "Bearer junk"}, ""},
		{"missing", []string{"Accept", "application/json"}, "MISSING_API_KEY"},
		{"empty header", []string{"X-API-KEY", ""}, "MISSING_API_KEY"},
		{"Basic is not a key", []string{"Authorization", "Basic dXNlcjpwYXNz"}, "MISSING_API_KEY"},
		{"Bearer without key", []string{"Authorization", "Bearer "}, "MISSING_API_KEY"},
		{"short", []string{"X-API-KEY", "efk_short"}, "INVALID_API_KEY_FORMAT"},
		{"no prefix", []string{"X-API-KEY", "not-a-key"}, "INVALID_API_KEY_FORMAT"},
		{"wrong prefix", []string{"X-API-KEY", wrongPrefix}, "INVALID_API_KEY_FORMAT"},
		{"too long", []string{"X-API-KEY", padded}, "INVALID_API_KEY_FORMAT"},
		{"Bearer malformed", []string{"Authorization", "Bearer efk_short"}, "INVALID_API_KEY_FORMAT"},
		{"SQL in the key", []string{"X-API-KEY", "efk_' OR '1'='1"}, "INVALID_API_KEY_FORMAT"},
		{"unknown", []string{"X-API-KEY", unknown}, "INVALID_API_KEY"},
		{"Bearer unknown", []string{"Authorization", "Bearer " + unknown}, "INVALID_API_KEY"},
		{"revoked", []string{"X-API-KEY", revoked}, "INVALID_API_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, ep := range endpoints {
				rec := f.get(t, ep, tc.headers...)
				if tc.code == "" {
					require.Equal(t, http.StatusOK, rec.Code, "%s: %s", ep, rec.Body.String())
					continue
				}
				requireError(t, rec, http.StatusUnauthorized, tc.code)
			}
		})
	}

	t.Run("use is recorded", func(t *testing.T) {
		keysB, err := f.st.APIKeys(ctx, f.compB.ID)
		require.NoError(t, err)
		require.Len(t, keysB, 1)
		if keysB[0].LastUsedAt == nil {
			require.Equal(t, http.StatusOK, f.get(t, "/api/v1/invoices", "X-API-KEY", f.keyB).Code)
			keysB, err = f.st.APIKeys(ctx, f.compB.ID)
			require.NoError(t, err)
		}
		require.NotNil(t, keysB[0].LastUsedAt)
		require.WithinDuration(t, time.Now(), *keysB[0].LastUsedAt, time.Minute)
	})
}

// testListDefault goes through the Go client (package client), so the
// client's decoding is tested with the API.
func (f *fixture) testListDefault(t *testing.T) {
	ctx := t.Context()
	got, err := f.client(f.keyA).Invoices(ctx, nil)
	require.NoError(t, err)
	gotIDs := make([]int64, 0, len(got.Data))
	for _, inv := range got.Data {
		gotIDs = append(gotIDs, inv.ID)
	}
	require.Equal(t, expectOrder(f.a, "invoice_date", true), gotIDs, "issue date desc, then id desc, undated last")
	p := got.Pagination
	require.Equal(t, 1, p.Page)
	require.Equal(t, 50, p.PerPage)
	require.Equal(t, len(f.a), p.Total)
	require.Equal(t, 1, p.Pages)
	require.False(t, p.HasNext)
	require.False(t, p.HasPrev)
	require.Equal(t, f.compA.ID, got.Meta.CompanyID)
	require.Equal(t, cifA, got.Meta.CompanyCIF)
	for _, inv := range got.Data {
		s := find(f.a, inv.ANAFID)
		require.Equal(t, s.inv.ID, inv.ID)
		require.Equal(t, s.inv.MessageType, inv.InvoiceType)
		if s.inv.TotalAmount != "" && inv.TotalAmount != "" {
			require.Equal(t, string(decimalJSON(s.inv.TotalAmount)), inv.TotalAmount.String(), "amount keeps its decimals")
		}
		require.True(t, s.inv.SyncedAt.Equal(inv.SyncedAt))
	}

	// B's key sees B's invoices only, with B's meta.
	gotB, err := f.client(f.keyB).Invoices(ctx, &client.ListOptions{PerPage: 100})
	require.NoError(t, err)
	idsB := make([]int64, 0, len(gotB.Data))
	for _, inv := range gotB.Data {
		idsB = append(idsB, inv.ID)
	}
	require.ElementsMatch(t, ids(f.b), idsB)
	require.Equal(t, f.compB.ID, gotB.Meta.CompanyID)
	require.Equal(t, cifB, gotB.Meta.CompanyCIF)

	// Errors come back typed.
	_, err = f.client("efk_short").Invoices(ctx, nil)
	require.True(t, client.IsCode(err, "INVALID_API_KEY_FORMAT"), "%v", err)
	_, err = f.client(f.keyB).Invoice(ctx, f.a[0].inv.ID)
	var apiErr *client.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	require.Equal(t, "INVOICE_NOT_FOUND", apiErr.Code)
}

func (f *fixture) testPagination(t *testing.T) {
	want := expectOrder(f.a, "invoice_date", true)
	const per = 4
	pages := (len(want) + per - 1) / per
	var all []int64
	for page := 1; page <= pages+1; page++ {
		got := f.list(t, fmt.Sprintf("per_page=%d&page=%d", per, page))
		p := got.Pagination
		require.Equal(t, page, p.Page)
		require.Equal(t, per, p.PerPage)
		require.Equal(t, len(want), p.Total)
		require.Equal(t, pages, p.Pages)
		require.Equal(t, page < pages, p.HasNext, "page %d", page)
		require.Equal(t, page > 1, p.HasPrev, "page %d", page)
		if page > pages {
			require.Empty(t, got.Data)
		}
		all = append(all, got.ids()...)
	}
	require.Equal(t, want, all)

	t.Run("per_page above 100 is 100", func(t *testing.T) {
		for _, v := range []string{"100", "101", "500", "1000000"} {
			got := f.list(t, "per_page="+v)
			require.Equal(t, 100, got.Pagination.PerPage, v)
			require.Len(t, got.Data, len(want))
		}
	})

	t.Run("far pages are empty, not page 1", func(t *testing.T) {
		for _, q := range []string{
			"page=1000000", "page=2147483647", "per_page=100&page=92233720368547759",
			"per_page=100&page=9223372036854775807",
		} {
			got := f.list(t, q)
			require.Empty(t, got.Data, q)
			require.Equal(t, len(want), got.Pagination.Total)
			require.False(t, got.Pagination.HasNext)
			require.True(t, got.Pagination.HasPrev)
		}
	})

	t.Run("bad values", func(t *testing.T) {
		for _, q := range []string{
			"per_page=0", "per_page=-1", "per_page=abc", "per_page=1.5", "per_page=1e2", "per_page=%20",
			"page=0", "page=-1", "page=abc", "page=1.0", "page=9223372036854775808", "page=",
		} {
			rec := f.get(t, "/api/v1/invoices?"+q)
			if q == "page=" { // empty is the default
				require.Equal(t, http.StatusOK, rec.Code)
				continue
			}
			requireError(t, rec, http.StatusBadRequest, "INVALID_PARAMETER")
		}
	})
}

func (f *fixture) testFilters(t *testing.T) {
	byDefault := func(rows []seeded) []int64 { return expectOrder(rows, "invoice_date", true) }
	ofType := func(typ string) []int64 {
		return byDefault(filter(f.a, func(s seeded) bool { return s.inv.MessageType == typ }))
	}

	t.Run("type", func(t *testing.T) {
		for _, tc := range []struct{ v, typ string }{
			{"received", store.TypeReceived}, {"sent", store.TypeSent}, {"error", store.TypeErrors},
			{"RECEIVED", store.TypeReceived},
		} {
			want := ofType(tc.typ)
			require.NotEmpty(t, want, tc.typ)
			got := f.list(t, "type="+tc.v)
			require.Equal(t, want, got.ids(), tc.v)
			require.Equal(t, len(want), got.Pagination.Total)
		}
		for _, v := range []string{"foo", "FACTURA PRIMITA", "received,sent", "1"} {
			requireError(t, f.get(t, "/api/v1/invoices?type="+url.QueryEscape(v)), http.StatusBadRequest, "INVALID_TYPE")
		}
	})

	t.Run("dates", func(t *testing.T) {
		var dates []string
		for _, s := range f.a {
			if s.inv.IssueDate != "" {
				dates = append(dates, s.inv.IssueDate)
			}
		}
		slices.Sort(dates)
		lo, hi := dates[len(dates)/4], dates[3*len(dates)/4]
		require.Less(t, lo, hi)
		between := func(from, to string) []int64 {
			return byDefault(filter(f.a, func(s seeded) bool {
				d := s.inv.IssueDate
				return d != "" && (from == "" || d >= from) && (to == "" || d <= to)
			}))
		}
		for _, tc := range []struct{ from, to string }{
			{lo, ""}, {"", lo}, {lo, hi}, {hi, hi}, {hi, lo}, {"2000-01-01", "2099-12-31"},
		} {
			q := url.Values{}
			if tc.from != "" {
				q.Set("date_from", tc.from)
			}
			if tc.to != "" {
				q.Set("date_to", tc.to)
			}
			require.Equal(t, between(tc.from, tc.to), f.list(t, q.Encode()).ids(), q.Encode())
		}
		for _, name := range []string{"date_from", "date_to"} {
			for _, v := range []string{"2026-13-01", "2026-02-30", "15.01.2026", "2026-1-5", "20260115",
				"2026-01-15T00:00:00Z", "yesterday", " 2026-01-15"} {
				rec := f.get(t, "/api/v1/invoices?"+url.Values{name: {v}}.Encode())
				requireError(t, rec, http.StatusBadRequest, "INVALID_DATE_FORMAT")
			}
		}
	})

	t.Run("supplier_cif", func(t *testing.T) {
		want := byDefault(filter(f.a, func(s seeded) bool { return s.inv.SupplierCIF == cifB }))
		require.NotEmpty(t, want, "the seed must have ALFA SOFT selling to BETA")
		for _, v := range []string{cifB, "RO" + cifB, "ro" + cifB, "RO " + cifB, " " + cifB + " "} {
			require.Equal(t, want, f.list(t, url.Values{"supplier_cif": {v}}.Encode()).ids(), v)
		}
		// A's own invoices as seller.
		own := byDefault(filter(f.a, func(s seeded) bool { return s.inv.SupplierCIF == cifA }))
		require.NotEmpty(t, own)
		require.Equal(t, own, f.list(t, "supplier_cif=RO"+cifA).ids())
		require.Empty(t, f.list(t, "supplier_cif=11111111").Data)

		// Combined with a type: the sent ones are exactly A's own.
		require.Equal(t, ofType(store.TypeSent), f.list(t, "type=sent&supplier_cif="+cifA).ids())
	})
}

func (f *fixture) testSearch(t *testing.T) {
	matches := func(q string) []int64 {
		q = foldRO(q)
		return expectOrder(filter(f.a, func(s seeded) bool {
			return strings.Contains(foldRO(s.inv.InvoiceNumber+"\n"+s.inv.IssuerName+"\n"+s.inv.ReceiverName), q)
		}), "invoice_date", true)
	}
	found := 0
	for _, q := range []string{
		// Diacritics- and case-insensitive, comma (ș ț) and cedilla (ş ţ) forms.
		"constructii", "CONSTRUCȚII", "Construcţii", "gamma construcții",
		"logistica", "LOGISTICĂ", "invatare", "ÎNVĂȚARE", "anger", "Ânger",
		"beta trading", "Beta", "alfa soft",
		// The invoice number, any case.
		"alf-000", "BTR-00", strings.ToLower(f.a[0].inv.InvoiceNumber),
		// Wildcards match literally.
		"%", "_", "alf_0001", "a%b",
	} {
		want := matches(q)
		if len(want) > 0 {
			found++
		}
		got := f.list(t, url.Values{"q": {q}}.Encode())
		require.Equal(t, want, got.ids(), "q=%q", q)
		require.Equal(t, len(want), got.Pagination.Total, "q=%q", q)
	}
	require.GreaterOrEqual(t, found, 10, "the seed must make most searches non-empty")

	// Every one of A's parsed invoices names A; the error and unparsable messages have no names.
	require.Len(t, f.list(t, "q=BETA+TRADING").Data, len(filter(f.a, func(s seeded) bool { return s.doc != nil })))
}

func (f *fixture) testSort(t *testing.T) {
	for _, by := range []string{"invoice_date", "total_amount", "synced_at", "anaf_id"} {
		for _, order := range []string{"asc", "desc", "ASC", "Desc", ""} {
			desc := strings.ToLower(order) != "asc"
			q := "sort_by=" + by
			if order != "" {
				q += "&sort_order=" + order
			}
			require.Equal(t, expectOrder(f.a, by, desc), f.list(t, q).ids(), q)
		}
	}
	// sort_order alone applies to the default key.
	require.Equal(t, expectOrder(f.a, "invoice_date", false), f.list(t, "sort_order=asc").ids())
	require.Equal(t, expectOrder(f.a, "invoice_date", true), f.list(t, "sort_order=desc").ids())
	// Sorting and paging together.
	want := expectOrder(f.a, "total_amount", false)
	require.Equal(t, want[3:6], f.list(t, "sort_by=total_amount&sort_order=asc&per_page=3&page=2").ids())

	for _, q := range []string{
		"sort_by=id", "sort_by=issue_date", "sort_by=invoice_number", "sort_by=INVOICE_DATE", "sort_by=total_amount_num",
		"sort_by=invoice_date%20desc", "sort_order=up", "sort_order=descending", "sort_by=anaf_id&sort_order=1",
	} {
		requireError(t, f.get(t, "/api/v1/invoices?"+q), http.StatusBadRequest, "INVALID_SORT")
	}
}

// exampleListAnswer is PRODUCT.md §4's example list answer (shape only),
// with issue 15's parse_status, parse_error, duplicate_of and conflict_of.
const exampleListAnswer = `{"data":[{"id":42,"anaf_id":"3012345671","invoice_type":"FACTURA PRIMITA","cif_emitent":"12345674","cif_beneficiar":"98765438","issuer_name":"ALFA SOFT SRL","receiver_name":"BETA TRADING SRL","supplier_name":"ALFA SOFT SRL","supplier_cif":"12345674","invoice_number":"AS-0042","invoice_date":"2026-01-15","due_date":"2026-02-14","currency":"RON","total_amount":1190.00,"vat_amount":190.00,"synced_at":"2026-01-15T09:41:07Z","download_url":"https://gw.example/api/v1/invoices/42/download","parse_status":"ok","parse_error":null,"duplicate_of":null,"conflict_of":null}],"pagination":{"page":1,"per_page":50,"total":1,"pages":1,"has_next":false,"has_prev":false},"meta":{"company_id":3,"company_cif":"98765438"}}`

// jsonKind names the JSON type of a raw value.
func jsonKind(raw json.RawMessage) string {
	switch b := bytes.TrimSpace(raw); {
	case len(b) == 0:
		return "missing"
	case b[0] == '"':
		return "string"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	case string(b) == "null":
		return "null"
	case string(b) == "true" || string(b) == "false":
		return "bool"
	default:
		return "number"
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

var rfc3339UTC = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

func (f *fixture) testFieldContract(t *testing.T) {
	var example struct {
		Data       []map[string]json.RawMessage `json:"data"`
		Pagination map[string]json.RawMessage   `json:"pagination"`
		Meta       map[string]json.RawMessage   `json:"meta"`
	}
	require.NoError(t, json.Unmarshal([]byte(exampleListAnswer), &example))
	want := example.Data[0]

	rec := f.get(t, "/api/v1/invoices?per_page=100")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	raw := rec.Body.String()
	var got struct {
		Data       []map[string]json.RawMessage `json:"data"`
		Pagination map[string]json.RawMessage   `json:"pagination"`
		Meta       map[string]json.RawMessage   `json:"meta"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Len(t, got.Data, len(f.a))
	for _, part := range []struct {
		name      string
		want, got map[string]json.RawMessage
	}{{"pagination", example.Pagination, got.Pagination}, {"meta", example.Meta, got.Meta}} {
		require.ElementsMatch(t, keys(part.want), keys(part.got), part.name)
		for k, v := range part.want {
			require.Equal(t, jsonKind(v), jsonKind(part.got[k]), "%s.%s", part.name, k)
		}
	}

	byID := map[int64]map[string]json.RawMessage{}
	for _, item := range got.Data {
		require.ElementsMatch(t, keys(want), keys(item), "exactly the example's fields")
		var id int64
		require.NoError(t, json.Unmarshal(item["id"], &id))
		byID[id] = item
	}
	str := func(item map[string]json.RawMessage, k string) *string {
		var s *string
		require.NoError(t, json.Unmarshal(item[k], &s), k)
		return s
	}
	trailingZero := 0
	for _, s := range f.a {
		item, ok := byID[s.inv.ID]
		require.True(t, ok)
		require.Equal(t, strconv.Quote(s.inv.ANAFID), string(item["anaf_id"]))
		require.Equal(t, strconv.Quote(s.inv.MessageType), string(item["invoice_type"]))
		synced := *str(item, "synced_at")
		require.Regexp(t, rfc3339UTC, synced)
		require.Equal(t, s.inv.SyncedAt.UTC().Format(time.RFC3339), synced)
		require.Equal(t, fmt.Sprintf("%s/api/v1/invoices/%d/download", testBaseURL, s.inv.ID), *str(item, "download_url"))

		if s.doc == nil {
			// No parsed terms: null, never missing or "".
			for _, k := range []string{"issuer_name", "receiver_name", "supplier_name", "supplier_cif",
				"invoice_number", "invoice_date", "due_date", "currency", "total_amount", "vat_amount"} {
				require.Equal(t, "null", string(item[k]), "%s of %s", k, s.inv.ANAFID)
			}
			// The CIFs come from ANAF's detalii when the document does not give them.
			for k, v := range map[string]string{"cif_emitent": s.inv.CIFEmitent, "cif_beneficiar": s.inv.CIFBeneficiar} {
				if v == "" {
					require.Equal(t, "null", string(item[k]), "%s of %s", k, s.inv.ANAFID)
				} else {
					require.Equal(t, strconv.Quote(v), string(item[k]), "%s of %s", k, s.inv.ANAFID)
				}
			}
			continue
		}
		for k, v := range want {
			kind := jsonKind(v)
			if k == "due_date" && s.doc.DueDate == "" {
				kind = "null"
			}
			require.Equal(t, kind, jsonKind(item[k]), "%s of %s", k, s.inv.ANAFID)
		}
		d := s.doc
		for k, v := range map[string]string{
			"cif_emitent": s.inv.CIFEmitent, "cif_beneficiar": s.inv.CIFBeneficiar,
			"issuer_name": d.Seller.Name, "receiver_name": d.Buyer.Name, "supplier_name": d.Seller.Name,
			"supplier_cif": s.inv.SupplierCIF, "invoice_number": d.Number, "invoice_date": d.IssueDate,
			"currency": d.Currency,
		} {
			require.Equal(t, v, *str(item, k), k)
		}
		if d.DueDate == "" {
			require.Equal(t, "null", string(item["due_date"]))
		} else {
			require.Equal(t, d.DueDate, *str(item, "due_date"))
		}
		// Amounts: JSON numbers with the document's own decimals, byte for byte.
		require.Equal(t, d.Totals.TaxInclusive, string(item["total_amount"]))
		require.Equal(t, d.Totals.VAT, string(item["vat_amount"]))
		require.Contains(t, raw, `"total_amount":`+d.Totals.TaxInclusive+`,`)
		require.Contains(t, raw, `"vat_amount":`+d.Totals.VAT+`,`)
		if strings.HasSuffix(d.Totals.TaxInclusive, "0") || strings.HasSuffix(d.Totals.VAT, "0") {
			trailingZero++
		}
	}
	require.Positive(t, trailingZero, "the seed must have an amount ending in 0, to show decimals are kept")
	require.NotRegexp(t, `"(total|vat)_amount":-?\d+(,|\})`, raw, "an amount lost its decimals")
	require.NotRegexp(t, `"(total|vat)_amount":[^,}]*[eE]`, raw, "an amount became a float")

	t.Run("BaseURL with a trailing slash", func(t *testing.T) {
		h := New(Deps{Gateway: gw(f.st), BaseURL: testBaseURL + "/"})
		rec := serve(h, "/api/v1/invoices?per_page=1", "X-API-KEY", f.keyA)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Contains(t, rec.Body.String(), `"download_url":"`+testBaseURL+`/api/v1/invoices/`)
	})
}

func (f *fixture) testOneInvoice(t *testing.T) {
	getData := func(t *testing.T, id int64) map[string]json.RawMessage {
		t.Helper()
		rec := f.get(t, fmt.Sprintf("/api/v1/invoices/%d", id))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var out struct {
			Data map[string]json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
		return out.Data
	}
	var example struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(exampleListAnswer), &example))

	t.Run("parsed", func(t *testing.T) {
		for _, s := range filter(f.a, func(s seeded) bool { return s.doc != nil }) {
			data := getData(t, s.inv.ID)
			for k := range example.Data[0] {
				require.Contains(t, data, k)
			}
			require.Equal(t, "null", string(data["parse_error"]))
			require.Equal(t, `"ok"`, string(data["parse_status"]))
			require.Equal(t, "null", string(data["duplicate_of"]))
			require.Equal(t, fmt.Sprintf("%q", fmt.Sprintf("%x", s.inv.ZIPSHA256)), string(data["zip_sha256"]))
			require.Equal(t, strconv.Quote(s.inv.UploadID), string(data["upload_id"]))
			require.Equal(t, strconv.Quote(s.inv.Details), string(data["anaf_details"]))
			require.Equal(t, s.doc.Totals.TaxInclusive, string(data["total_amount"]))

			var details struct {
				DocumentType string `json:"document_type"`
				Number       string `json:"number"`
				IssueDate    string `json:"issue_date"`
				Seller       struct {
					Name  string `json:"name"`
					VATID string `json:"vat_id"`
				} `json:"seller"`
				Buyer struct {
					Name string `json:"name"`
				} `json:"buyer"`
				Totals struct {
					TaxInclusive string `json:"tax_inclusive"`
					VAT          string `json:"vat"`
					Payable      string `json:"payable"`
				} `json:"totals"`
				Lines []json.RawMessage `json:"lines"`
			}
			require.Equal(t, "object", jsonKind(data["details"]))
			require.NoError(t, json.Unmarshal(data["details"], &details))
			require.Equal(t, string(s.doc.DocumentType), details.DocumentType)
			require.Equal(t, s.doc.Number, details.Number)
			require.Equal(t, s.doc.IssueDate, details.IssueDate)
			require.Equal(t, s.doc.Seller.Name, details.Seller.Name)
			require.Equal(t, s.doc.Seller.VATID, details.Seller.VATID)
			require.Equal(t, s.doc.Buyer.Name, details.Buyer.Name)
			require.Equal(t, s.doc.Totals.TaxInclusive, details.Totals.TaxInclusive, "amounts as decimal strings, as written")
			require.Equal(t, s.doc.Totals.Payable, details.Totals.Payable)
			require.Len(t, details.Lines, len(s.doc.Lines))
			// The same object as efactura parse --json prints.
			wantJSON, err := json.Marshal(s.doc)
			require.NoError(t, err)
			require.JSONEq(t, string(wantJSON), string(data["details"]))
		}
	})

	t.Run("ANAF errors", func(t *testing.T) {
		data := getData(t, find(f.a, anafIDErrors).inv.ID)
		require.Equal(t, `"ERORI FACTURA"`, string(data["invoice_type"]))
		var details struct {
			DocumentType string   `json:"document_type"`
			UploadID     string   `json:"upload_id"`
			Errors       []string `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(data["details"], &details))
		require.Equal(t, "ANAFErrors", details.DocumentType)
		require.Equal(t, "5099999999", details.UploadID)
		require.Len(t, details.Errors, 1)
		require.Contains(t, details.Errors[0], "BR-RO-065")
		require.Equal(t, "null", string(data["parse_error"]))
		require.Equal(t, `"anaf_errors"`, string(data["parse_status"]))
	})

	t.Run("unparsable", func(t *testing.T) {
		for _, id := range []string{anafIDUnparsable, anafIDBrokenZIP} {
			data := getData(t, find(f.a, id).inv.ID)
			require.Equal(t, "null", string(data["details"]), id)
			require.Equal(t, "string", jsonKind(data["parse_error"]), id)
			require.NotEqual(t, `""`, string(data["parse_error"]), id)
			require.Equal(t, "null", string(data["total_amount"]), id)
			require.Equal(t, `"unreadable"`, string(data["parse_status"]), id)
		}
		// The list carries the same flag and text (issue 15 item 6).
		rec := f.get(t, "/api/v1/invoices?per_page=100")
		require.Equal(t, http.StatusOK, rec.Code)
		var list struct {
			Data []map[string]json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
		status := map[string]string{}
		for _, item := range list.Data {
			var anafID, st string
			require.NoError(t, json.Unmarshal(item["anaf_id"], &anafID))
			require.NoError(t, json.Unmarshal(item["parse_status"], &st))
			status[anafID] = st
			if st == "unreadable" {
				require.Equal(t, "string", jsonKind(item["parse_error"]), anafID)
			} else {
				require.Equal(t, "null", string(item["parse_error"]), anafID)
			}
		}
		require.Equal(t, "unreadable", status[anafIDUnparsable])
		require.Equal(t, "unreadable", status[anafIDBrokenZIP])
		require.Equal(t, "anaf_errors", status[anafIDErrors])
	})

	t.Run("another company's invoice is 404", func(t *testing.T) {
		for _, s := range f.b {
			for _, suffix := range []string{"", "/download", "/xml"} {
				rec := f.get(t, fmt.Sprintf("/api/v1/invoices/%d%s", s.inv.ID, suffix))
				body := rec.Body.String()
				requireError(t, rec, http.StatusNotFound, "INVOICE_NOT_FOUND")
				require.NotContains(t, body, s.inv.ANAFID)
			}
		}
		// And the other way round.
		rec := f.get(t, fmt.Sprintf("/api/v1/invoices/%d", f.a[0].inv.ID), "X-API-KEY", f.keyB)
		requireError(t, rec, http.StatusNotFound, "INVOICE_NOT_FOUND")
	})

	t.Run("bad ids are 404", func(t *testing.T) {
		maxID := int64(0)
		for _, s := range append(slices.Clone(f.a), f.b...) {
			maxID = max(maxID, s.inv.ID)
		}
		for _, id := range []string{
			"abc", "0", "-1", "1.5", "1e3", "0x1", strconv.FormatInt(maxID+1, 10), "9223372036854775807",
			"99999999999999999999", "1%20OR%201=1", "1%27%20OR%20%271%27=%271", "%00",
		} {
			for _, suffix := range []string{"", "/download", "/xml"} {
				requireError(t, f.get(t, "/api/v1/invoices/"+id+suffix), http.StatusNotFound, "INVOICE_NOT_FOUND")
			}
		}
	})
}

// testDownload goes through the Go client for the bodies and checks the
// headers on raw answers.
func (f *fixture) testDownload(t *testing.T) {
	c := f.client(f.keyA)
	for _, s := range f.a {
		t.Run(s.inv.ANAFID, func(t *testing.T) {
			zipBytes, err := c.Download(t.Context(), s.inv.ID)
			require.NoError(t, err)
			require.True(t, bytes.Equal(s.inv.ZIP, zipBytes), "byte for byte the stored ZIP")
			rec := f.get(t, fmt.Sprintf("/api/v1/invoices/%d/download", s.inv.ID))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Equal(t, "application/zip", rec.Header().Get("Content-Type"))
			require.Equal(t, "attachment; filename=invoice_"+s.inv.ANAFID+".zip", rec.Header().Get("Content-Disposition"))
			require.Equal(t, strconv.Itoa(len(s.inv.ZIP)), rec.Header().Get("Content-Length"))

			doc, err := c.XML(t.Context(), s.inv.ID)
			if s.inv.ANAFID == anafIDBrokenZIP {
				require.True(t, client.IsCode(err, "ARCHIVE_UNREADABLE"), "%v", err)
				requireError(t, f.get(t, fmt.Sprintf("/api/v1/invoices/%d/xml", s.inv.ID)), http.StatusUnprocessableEntity, "ARCHIVE_UNREADABLE")
				return
			}
			require.NoError(t, err)
			require.True(t, bytes.Equal(s.document, doc), "the document inside the ZIP")
			require.Equal(t, "application/xml", f.get(t, fmt.Sprintf("/api/v1/invoices/%d/xml", s.inv.ID)).Header().Get("Content-Type"))
		})
	}

	t.Run("download_url leads to the ZIP", func(t *testing.T) {
		item := f.list(t, "per_page=1")
		var full struct {
			Data []struct {
				DownloadURL string `json:"download_url"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(f.get(t, "/api/v1/invoices?per_page=1").Body.Bytes(), &full))
		path := strings.TrimPrefix(full.Data[0].DownloadURL, testBaseURL)
		rec := f.get(t, path)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "attachment; filename=invoice_"+item.Data[0].ANAFID+".zip", rec.Header().Get("Content-Disposition"))
	})
}

// injectionPayloads are hostile values tried in every query parameter.
var injectionPayloads = []string{
	`' OR '1'='1`, `' OR 1=1 --`, `1; DROP TABLE invoices; --`, `"; DELETE FROM api_keys; --`,
	`%' OR company_id <> 0 OR '%'='`, `' UNION SELECT * FROM invoices --`, `') OR ('a'='a`,
	`invoice_date; DROP TABLE invoices`, `CASE WHEN 1=1 THEN id END`, `(SELECT 1)`, `1) OR (1=1`,
	`\`, `\'`, `%`, `_`, `%%`, `*`, `$1`, `$2`, `?`, `--`, `/*`, `'`, `''`, `"`, "\x00", "a\x00b",
	"\xff\xfe", "\xc3", "\n", "\r\n", "\t", "’ OR ‘1’=‘1", "RO12345674' OR '1'='1", "12345674 OR 1=1",
	"2026-01-01' OR '1'='1", "2026-01-01; --", strings.Repeat("A", 5000), strings.Repeat("%", 300),
	"received' OR '1'='1", "asc, id", "desc; --", "anaf_id, (SELECT 1)",
}

func (f *fixture) testInjection(t *testing.T) {
	ctx := context.Background()
	ownIDs := map[int64]bool{}
	for _, s := range f.a {
		ownIDs[s.inv.ID] = true
	}
	countB, err := f.st.CountInvoices(ctx, f.compB.ID)
	require.NoError(t, err)
	for _, param := range []string{"q", "supplier_cif", "sort_by", "sort_order", "type", "date_from", "date_to", "page", "per_page"} {
		for _, p := range injectionPayloads {
			target := "/api/v1/invoices?" + url.Values{param: {p}}.Encode()
			rec := f.get(t, target)
			require.NotEqual(t, http.StatusInternalServerError, rec.Code, "%s=%q: %s", param, p, rec.Body.String())
			if rec.Code != http.StatusOK {
				var e errorBody
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), "%s=%q", param, p)
				require.Contains(t, []string{"INVALID_PARAMETER", "INVALID_TYPE", "INVALID_SORT", "INVALID_DATE_FORMAT"},
					e.Code, "%s=%q", param, p)
				requireError(t, rec, http.StatusBadRequest, e.Code)
				continue
			}
			var got listAnswer
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			require.LessOrEqual(t, got.Pagination.Total, len(f.a), "%s=%q", param, p)
			for _, id := range got.ids() {
				require.True(t, ownIDs[id], "%s=%q leaked invoice %d", param, p, id)
			}
		}
	}
	// Nothing was dropped or deleted.
	n, err := f.st.CountInvoices(ctx, f.compB.ID)
	require.NoError(t, err)
	require.Equal(t, countB, n)
	require.Equal(t, http.StatusOK, f.get(t, "/api/v1/invoices").Code)
	require.NotContains(t, f.logs.String(), "api error", "no request ended in an internal error")
}

func (f *fixture) testNotFound(t *testing.T) {
	for _, path := range []string{"/api/v1/whatever", "/api/v1/", "/api/v2/invoices", "/api/v1/invoices/1/pdfx",
		"/api/v1/invoices/1/download/extra", "/api/v1/healthz"} {
		for _, hdr := range [][]string{{"Accept", "*/*"}, {"X-API-KEY", f.keyA}} {
			requireError(t, f.get(t, path, hdr...), http.StatusNotFound, "NOT_FOUND")
		}
	}
}

// serve runs one GET on h with the given header pairs.
func serve(h http.Handler, target string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
