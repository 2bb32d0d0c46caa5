package app_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/app"
	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/testbuf"
)

type demoRun struct {
	url, admin, key string
	env             *app.Env
	stop            func()
}

// startDemo runs `serve --demo --demo-invoices dir` in-process on a free port.
func startDemo(t *testing.T, dataDir, dbURL, invoicesDir string) *demoRun {
	t.Helper()
	return startDemoEnv(t, dataDir, dbURL, invoicesDir, nil)
}

// startDemoEnv is startDemo with more environment variables (extra).
func startDemoEnv(t *testing.T, dataDir, dbURL, invoicesDir string, extra map[string]string) *demoRun {
	t.Helper()
	vars := map[string]string{
		"EFACTURA_DATA_DIR": dataDir,
		"DATABASE_URL":      dbURL,
		"EFACTURA_ADDR":     "127.0.0.1:0",
	}
	for k, v := range extra {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	e, err := app.Open(ctx, cfg, logger, app.OpenOptions{Migrate: true})
	require.NoError(t, err)
	out := &testbuf.Buffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Serve(ctx, e, app.ServeOptions{Demo: true, DemoInvoices: invoicesDir, Stdout: out, Ready: func(u string) { ready <- u }})
	}()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve --demo stopped: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("serve --demo did not become ready in 60s")
	}
	r := &demoRun{env: e}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ": ")
		switch k {
		case "url":
			r.url = v
		case "admin":
			r.admin = v
		case "api key":
			r.key = v
		}
	}
	require.NotEmpty(t, r.url, "stdout: %q", out.String())
	require.NotEmpty(t, r.admin)
	require.True(t, strings.HasPrefix(r.key, "efk_"), "api key line: %q", r.key)
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Error("serve did not stop within 30s")
			}
			e.Close()
		})
	}
	t.Cleanup(r.stop)
	return r
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func getJSON(t *testing.T, url, key string, v any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("X-API-KEY", key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if v != nil {
		require.NoError(t, json.Unmarshal(body, v), "body: %s", body)
	}
	return resp.StatusCode
}

// expectedRows reads testdata/invoices/expected.tsv (FIELDS.tsv columns).
func expectedRows(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	require.NoError(t, err)
	var rows []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		rows = append(rows, m)
	}
	return rows
}

type listAnswer struct {
	Data []struct {
		ID            int64           `json:"id"`
		ANAFID        string          `json:"anaf_id"`
		InvoiceNumber *string         `json:"invoice_number"`
		InvoiceType   string          `json:"invoice_type"`
		TotalAmount   json.RawMessage `json:"total_amount"`
		SupplierCIF   *string         `json:"supplier_cif"`
	} `json:"data"`
	Pagination struct {
		Total int `json:"total"`
	} `json:"pagination"`
	Meta struct {
		CompanyCIF string `json:"company_cif"`
	} `json:"meta"`
}

func simStats(t *testing.T, base string) (calls map[string]int) {
	t.Helper()
	var st struct {
		Calls map[string]int `json:"calls"`
	}
	require.Equal(t, 200, getJSON(t, base+"/__sim/stats", "", &st))
	return st.Calls
}

func TestDemoEndToEnd(t *testing.T) {
	t.Parallel()
	invoicesDir, err := filepath.Abs("../../testdata/invoices")
	require.NoError(t, err)
	rows := expectedRows(t, filepath.Join(invoicesDir, "expected.tsv"))
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			demoEndToEnd(t, d, invoicesDir, rows, true)
		})
	}
}

// TestDemoCorpus is the issue's acceptance check on the shared corpus of
// real Romanian invoices: serve --demo --demo-invoices ../shared/corpus/ciusro.
func TestDemoCorpus(t *testing.T) {
	t.Parallel()
	corpus, err := filepath.Abs("../../../shared/corpus")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(corpus, "FIELDS.tsv")); err != nil {
		t.Skip("../shared/corpus is absent (it exists only on the project's machines): corpus end-to-end check skipped")
	}
	dir := filepath.Join(corpus, "ciusro")
	var rows []map[string]string
	for _, row := range expectedRows(t, filepath.Join(corpus, "FIELDS.tsv")) {
		if _, err := os.Stat(filepath.Join(dir, row["file"])); err == nil {
			rows = append(rows, row)
		}
	}
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			demoEndToEnd(t, d, dir, rows, false)
		})
	}
}

func demoEndToEnd(t *testing.T, d store.Dialect, invoicesDir string, rows []map[string]string, restart bool) {
	_, dbURL := storetest.Fresh(t, d)
	dataDir := t.TempDir()
	start := time.Now()
	run := startDemo(t, dataDir, dbURL, invoicesDir)

	// The key's company sees every invoice where it is seller or buyer.
	var first listAnswer
	require.Equal(t, 200, getJSON(t, run.url+"/api/v1/invoices?per_page=100", run.key, &first))
	keyCIF := first.Meta.CompanyCIF
	var want []map[string]string
	for _, row := range rows {
		if row["document_type"] == "ERROR" {
			continue
		}
		s := invoice.PartyCIF(invoice.Party{VATID: row["seller.vat_id"], LegalID: row["seller.legal_id"]})
		b := invoice.PartyCIF(invoice.Party{VATID: row["buyer.vat_id"], LegalID: row["buyer.legal_id"]})
		if s == keyCIF || b == keyCIF {
			want = append(want, row)
		}
	}
	require.NotEmpty(t, want, "no expected invoice for CIF %s", keyCIF)

	var list listAnswer
	deadline := time.Now().Add(30 * time.Second)
	for {
		require.Equal(t, 200, getJSON(t, run.url+"/api/v1/invoices?per_page=100", run.key, &list))
		if list.Pagination.Total >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s: %d invoices of CIF %s visible %.2fs after start", d, list.Pagination.Total, keyCIF, time.Since(start).Seconds())
	require.Equal(t, len(want), list.Pagination.Total)

	for _, item := range list.Data {
		var one struct {
			Data struct {
				Details invoice.Invoice `json:"details"`
			} `json:"data"`
		}
		require.Equal(t, 200, getJSON(t, fmt.Sprintf("%s/api/v1/invoices/%d", run.url, item.ID), run.key, &one))
		det := one.Data.Details
		var diffs []string
		matched := false
		for _, row := range want {
			if row["number"] != det.Number {
				continue
			}
			diff := compareRow(row, &det)
			if diff == "" {
				matched = true
				break
			}
			diffs = append(diffs, row["file"]+": "+diff)
		}
		require.True(t, matched, "invoice %q matches no expected row: %v", det.Number, diffs)
	}

	// A second sync downloads nothing and stores nothing new.
	simURL := run.env.Cfg.ANAFBaseURL
	engine := run.env.SyncEngine()
	comp, err := run.env.Store.CompanyByCIF(context.Background(), keyCIF)
	require.NoError(t, err)
	waitIdle(t, run)
	before := simStats(t, simURL)
	res, err := engine.SyncCompany(context.Background(), comp.ID, nil)
	require.NoError(t, err)
	require.Equal(t, 0, res.New)
	require.Equal(t, 0, res.Failed)
	after := simStats(t, simURL)
	require.Equal(t, before["descarcare"], after["descarcare"], "second sync downloaded again")

	// Unknown key, missing key, other invoice ids.
	var e struct{ Code string }
	require.Equal(t, 401, getJSON(t, run.url+"/api/v1/invoices", "", &e))
	require.Equal(t, "MISSING_API_KEY", e.Code)
	require.Equal(t, 401, getJSON(t, run.url+"/api/v1/invoices", "efk_"+strings.Repeat("A", 43), &e))
	require.Equal(t, "INVALID_API_KEY", e.Code)
	require.Equal(t, 404, getJSON(t, run.url+"/api/v1/invoices/999999", run.key, &e))
	require.Equal(t, "INVOICE_NOT_FOUND", e.Code)

	// The ZIP is served byte for byte from the archive.
	resp, err := httpGet(run.url+fmt.Sprintf("/api/v1/invoices/%d/download", list.Data[0].ID), run.key)
	require.NoError(t, err)
	require.Equal(t, "application/zip", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), "invoice_"+list.Data[0].ANAFID+".zip")

	if restart {
		// A second start on the same data prints the same credentials.
		run.stop()
		run2 := startDemo(t, dataDir, dbURL, invoicesDir)
		require.Equal(t, run.admin, run2.admin)
		require.Equal(t, run.key, run2.key)
	}
}

// waitIdle waits until the demo's first sync of every company has finished.
func waitIdle(t *testing.T, run *demoRun) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		companies, err := run.env.Store.Companies(ctx)
		require.NoError(t, err)
		idle := true
		for _, c := range companies {
			r, err := run.env.Store.LastSyncRun(ctx, c.ID)
			if err != nil || r.FinishedAt == nil {
				idle = false
				break
			}
		}
		if idle {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the demo syncs did not finish")
}

func httpGet(url, key string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-API-KEY", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// compareRow compares the item-6 terms of details with an expected row and
// returns the differences ("" when equal). Amounts compare as decimals.
func compareRow(row map[string]string, inv *invoice.Invoice) string {
	var diffs []string
	str := map[string]string{
		"document_type": string(inv.DocumentType), "number": inv.Number, "issue_date": inv.IssueDate,
		"due_date": inv.DueDate, "type_code": inv.TypeCode, "currency": inv.Currency, "tax_currency": inv.TaxCurrency,
		"seller.name": inv.Seller.Name, "seller.vat_id": inv.Seller.VATID, "seller.legal_id": inv.Seller.LegalID,
		"buyer.name": inv.Buyer.Name, "buyer.vat_id": inv.Buyer.VATID, "buyer.legal_id": inv.Buyer.LegalID,
	}
	for k, got := range str {
		if row[k] != got {
			diffs = append(diffs, fmt.Sprintf("%s=%q want %q", k, got, row[k]))
		}
	}
	amounts := map[string]string{
		"totals.line_extension": inv.Totals.LineExtension, "totals.tax_exclusive": inv.Totals.TaxExclusive,
		"totals.tax_inclusive": inv.Totals.TaxInclusive, "totals.allowances": inv.Totals.Allowances,
		"totals.charges": inv.Totals.Charges, "totals.prepaid": inv.Totals.Prepaid, "totals.rounding": inv.Totals.Rounding,
		"totals.payable": inv.Totals.Payable, "totals.vat": inv.Totals.VAT,
	}
	for k, got := range amounts {
		want := row[k]
		if want == "" || got == "" {
			if want != got {
				diffs = append(diffs, fmt.Sprintf("%s=%q want %q", k, got, want))
			}
			continue
		}
		w, err1 := decimal.NewFromString(want)
		g, err2 := decimal.NewFromString(got)
		if err1 != nil || err2 != nil || !w.Equal(g) {
			diffs = append(diffs, fmt.Sprintf("%s=%s want %s", k, got, want))
		}
	}
	if row["lines"] != fmt.Sprint(len(inv.Lines)) {
		diffs = append(diffs, fmt.Sprintf("lines=%d want %s", len(inv.Lines), row["lines"]))
	}
	return strings.Join(diffs, "; ")
}
