package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/client"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/cli"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestUploadAPIEndToEnd is issue 14's end-to-end test through the API
// door: the whole gateway (app.Serve, its job queue and default poll
// schedule) on SQLite and PostgreSQL, sending to the ANAF simulator over
// HTTP, every step a real HTTP request with an API key — as docs/upload.md
// shows it. (internal/jobs TestUploadJourney drives the same use case
// directly with a fast clock; TestUploadCrash SIGKILLs a worker mid-poll.)
func TestUploadAPIEndToEnd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("follows ANAF's real poll schedule (about two minutes)")
	}
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			uploadAPIEndToEnd(t, d)
		})
	}
}

const (
	e2eSeller = "27182818" // EPSILON SRL in testdata/invoices
	e2eBuyer  = "98765438" // BETA TRADING SRL
	// e2eRejectTwice in a document makes the simulator refuse it with two errors.
	e2eRejectTwice = "EPS-0905"
)

// e2eDoc is testdata's EPS-0001 under another number (as docs/upload.md's sed).
func e2eDoc(t *testing.T, number string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/invoices/gen-02-invoice-EPS-0001.xml")
	require.NoError(t, err)
	return bytes.ReplaceAll(b, []byte("EPS-0001"), []byte(number))
}

type apiAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (a apiAnswer) upload(t *testing.T) client.Upload {
	t.Helper()
	var out struct {
		Data client.Upload `json:"data"`
	}
	require.NoError(t, json.Unmarshal(a.body, &out), "%d %s", a.status, a.body)
	return out.Data
}

func (a apiAnswer) code(t *testing.T) string {
	t.Helper()
	var e struct {
		Code string `json:"code"`
	}
	require.NoError(t, json.Unmarshal(a.body, &e), "%d %s", a.status, a.body)
	return e.Code
}

func apiDo(t *testing.T, method, url, key string, body []byte, headers ...string) apiAnswer {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("X-API-KEY", key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/xml")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return apiAnswer{status: resp.StatusCode, header: resp.Header, body: b}
}

func uploadAPIEndToEnd(t *testing.T, d store.Dialect) {
	ctx := context.Background()
	start := time.Now()

	// The simulator, over HTTP, judging uploads with the native validator,
	// holding testdata/invoices (as `efactura anaf-sim` does).
	sim, err := anafsim.New(anafsim.Options{ClientID: "e2e-client", ClientSecret: "e2e-secret", AutoApprove: true,
		Logger: slog.New(slog.DiscardHandler),
		RejectAll: func(doc []byte) []string {
			if bytes.Contains(doc, []byte(e2eRejectTwice)) {
				return []string{
					"E: validari globale  SCHEMATRON   eroare: [BR-RO-110]-first error",
					"E: validari globale  SCHEMATRON   eroare: [BR-RO-120]-second error",
				}
			}
			return anafsim.NativeRejections(doc)
		}})
	require.NoError(t, err)
	files, err := filepath.Glob("../../testdata/invoices/*.xml")
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		_ = sim.LoadFile(filepath.Base(f), b) // the edge cases it refuses are not needed here
	}
	simSrv := httptest.NewServer(sim.Handler())
	t.Cleanup(simSrv.Close)
	uploadCalls := func() int { return simStats(t, simSrv.URL)["upload"] }

	// The gateway: serve --demo on the external simulator (docs/upload.md's
	// "Try it from a clean clone"), then a write key of the seller.
	_, dbURL := storetest.Fresh(t, d)
	run := startDemoEnv(t, t.TempDir(), dbURL, "", map[string]string{
		"EFACTURA_ANAF_BASE_URL": simSrv.URL, "EFACTURA_ANAF_OAUTH_URL": simSrv.URL,
		"EFACTURA_ANAF_CLIENT_ID": "e2e-client", "EFACTURA_ANAF_CLIENT_SECRET": "e2e-secret",
	})
	waitIdle(t, run)
	st := run.env.Store
	admin, err := st.UserByEmail(ctx, "admin@demo.efactura.local")
	require.NoError(t, err)
	newKey := func(cif, scope string) string {
		c, err := st.CompanyByCIF(ctx, cif)
		require.NoError(t, err)
		require.Equal(t, store.CompanyVerified, c.Status, "the demo sync verified %s", cif)
		key, prefix, hash, err := auth.NewAPIKey()
		require.NoError(t, err)
		require.NoError(t, st.CreateAPIKey(ctx, &store.APIKey{CompanyID: c.ID, UserID: admin.ID, Name: "e2e-" + scope,
			Prefix: prefix, Hash: hash, Scope: scope}))
		return key
	}
	key := newKey(e2eSeller, store.ScopeWrite)
	api := run.url + "/api/v1"
	post := func(doc []byte, headers ...string) apiAnswer {
		t.Helper()
		return apiDo(t, http.MethodPost, api+"/invoices", key, doc, headers...)
	}
	get := func(id int64) client.Upload {
		t.Helper()
		a := apiDo(t, http.MethodGet, fmt.Sprintf("%s/uploads/%d", api, id), key, nil)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		return a.upload(t)
	}
	// waitFinal follows GET /api/v1/uploads/{id} to ok or nok.
	waitFinal := func(id int64, within time.Duration) client.Upload {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			u := get(id)
			if u.State == client.UploadOK || u.State == client.UploadNOK || time.Now().After(deadline) {
				return u
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	sentList := func(k, number string) listAnswer {
		t.Helper()
		var l listAnswer
		require.Equal(t, http.StatusOK, getJSON(t, api+"/invoices?type=sent&q="+number, k, &l))
		return l
	}
	archived := func(number string) int { // rows of the archive, whatever the list shows
		t.Helper()
		c, err := st.CompanyByCIF(ctx, e2eSeller)
		require.NoError(t, err)
		var n int
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM invoices
			WHERE company_id = $1 AND message_type = $2 AND invoice_number = $3`, c.ID, store.TypeSent, number).Scan(&n))
		return n
	}
	require.Zero(t, uploadCalls())

	// 1. A valid invoice: 202 sending, then ok; its signed ZIP archived once
	// as sent and listed once.
	valid := e2eDoc(t, "EPS-0901")
	a := post(valid, "Idempotency-Key", "erp-EPS-0901")
	require.Equal(t, http.StatusAccepted, a.status, "%s", a.body)
	first := a.upload(t)
	require.Equal(t, fmt.Sprintf("/api/v1/uploads/%d", first.ID), a.header.Get("Location"))
	require.Equal(t, client.UploadSending, first.State)
	sent := time.Now()
	first = waitFinal(first.ID, 90*time.Second)
	t.Logf("%s: POST → ok in %v (default poll schedule)", d, time.Since(sent).Round(time.Millisecond))
	require.Equal(t, client.UploadOK, first.State, "%+v", first.Errors)
	require.NotNil(t, first.IDIncarcare)
	require.NotNil(t, first.IDDescarcare)
	require.NotNil(t, first.InvoiceID)
	require.Equal(t, 1, uploadCalls())
	l := sentList(key, "EPS-0901")
	require.Equal(t, 1, l.Pagination.Total)
	require.Equal(t, *first.IDDescarcare, l.Data[0].ANAFID)
	require.Equal(t, *first.InvoiceID, l.Data[0].ID)
	require.Equal(t, 1, archived("EPS-0901"))
	resp, err := httpGet(fmt.Sprintf("%s/invoices/%d/download", api, *first.InvoiceID), key)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/zip", resp.Header.Get("Content-Type"))

	// 2. The same POST with the same Idempotency-Key: the first answer, no
	// second upload; the key with another body is refused; without the
	// key, the duplicate rule names the first upload.
	a = post(valid, "Idempotency-Key", "erp-EPS-0901")
	require.Equal(t, http.StatusAccepted, a.status, "%s", a.body)
	require.Equal(t, first.ID, a.upload(t).ID)
	a = post(e2eDoc(t, "EPS-0909"), "Idempotency-Key", "erp-EPS-0901")
	require.Equal(t, http.StatusUnprocessableEntity, a.status, "%s", a.body)
	require.Equal(t, "IDEMPOTENCY_KEY_REUSED", a.code(t))
	a = post(valid)
	require.Equal(t, http.StatusConflict, a.status, "%s", a.body)
	require.Equal(t, "DUPLICATE_INVOICE", a.code(t))
	var dup struct {
		UploadID int64 `json:"upload_id"`
	}
	require.NoError(t, json.Unmarshal(a.body, &dup))
	require.Equal(t, first.ID, dup.UploadID)
	require.Equal(t, 1, uploadCalls())

	// 3. An invalid invoice: 422 with the rule ids `efactura validate` gives; not sent.
	invalid := bytes.Replace(e2eDoc(t, "EPS-0902"), []byte("<cbc:InvoiceTypeCode>380<"), []byte("<cbc:InvoiceTypeCode>999<"), 1)
	file := filepath.Join(t.TempDir(), "EPS-0902.xml")
	require.NoError(t, os.WriteFile(file, invalid, 0o600))
	var out, errOut bytes.Buffer
	require.Equal(t, 1, cli.Run(ctx, []string{"validate", "--json", file}, &out, &errOut), "%s", errOut.String())
	var cliReport struct {
		Errors []struct {
			ID string `json:"id"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &cliReport), out.String())
	var wantIDs []string
	for _, e := range cliReport.Errors {
		wantIDs = append(wantIDs, e.ID)
	}
	require.NotEmpty(t, wantIDs)
	a = post(invalid)
	require.Equal(t, http.StatusUnprocessableEntity, a.status, "%s", a.body)
	require.Equal(t, "VALIDATION_FAILED", a.code(t))
	var refused struct {
		Report struct {
			Errors []struct {
				ID string `json:"id"`
			} `json:"errors"`
		} `json:"report"`
		Data client.Upload `json:"data"`
	}
	require.NoError(t, json.Unmarshal(a.body, &refused))
	var reportIDs, uploadIDs []string
	for _, e := range refused.Report.Errors {
		reportIDs = append(reportIDs, e.ID)
	}
	for _, e := range refused.Data.Errors {
		uploadIDs = append(uploadIDs, e.ID)
	}
	require.Equal(t, wantIDs, reportIDs)
	require.Equal(t, wantIDs, uploadIDs)
	require.Equal(t, client.UploadInvalid, refused.Data.State)
	require.Equal(t, client.UploadInvalid, get(refused.Data.ID).State)
	require.Equal(t, 1, uploadCalls(), "an invalid invoice is not sent")

	// 4. Concurrent POSTs of one invoice: one upload (without a key: one
	// 202, the others 409; with one key: the same upload for all).
	concurrently := func(n int, doc []byte, headers ...string) (accepted []int64, conflicts int) {
		var (
			wg sync.WaitGroup
			mu sync.Mutex
		)
		for range n {
			wg.Go(func() {
				a := post(doc, headers...)
				mu.Lock()
				defer mu.Unlock()
				switch a.status {
				case http.StatusAccepted:
					accepted = append(accepted, a.upload(t).ID)
				case http.StatusConflict:
					conflicts++
				default:
					t.Errorf("concurrent POST: %d %s", a.status, a.body)
				}
			})
		}
		wg.Wait()
		return accepted, conflicts
	}
	won, conflicts := concurrently(2, e2eDoc(t, "EPS-0904"))
	require.Len(t, won, 1)
	require.Equal(t, 1, conflicts)
	same, conflicts := concurrently(3, e2eDoc(t, "EPS-0907"), "Idempotency-Key", "erp-EPS-0907")
	require.Zero(t, conflicts)
	require.Len(t, same, 3)
	require.Equal(t, same[0], same[1])
	require.Equal(t, same[0], same[2])

	// 5. Refused by the simulator: ANAF's own duplicate refusal (EPS-0001 is
	// among the simulator's sent invoices, not among the gateway's uploads)
	// and a refusal with two errors; both nok with every error.
	a = post(e2eDoc(t, "EPS-0001"))
	require.Equal(t, http.StatusAccepted, a.status, "%s", a.body)
	anafDup := a.upload(t)
	a = post(e2eDoc(t, e2eRejectTwice))
	require.Equal(t, http.StatusAccepted, a.status, "%s", a.body)
	two := a.upload(t)

	// 6. A lost answer (the simulator takes the upload and drops the
	// connection, POST /__sim/faults): unknown, reconciled with the
	// company's FACTURA TRIMISA by the poll job's syncs — never resent.
	// The uploads above are sent first: the fault must hit this one.
	for _, id := range []int64{won[0], same[0], anafDup.ID, two.ID} {
		require.Eventually(t, func() bool { return get(id).State != client.UploadSending }, 60*time.Second, 100*time.Millisecond)
	}
	callsBefore := uploadCalls()
	require.Equal(t, 5, callsBefore)
	fault, err := http.Post(simSrv.URL+"/__sim/faults", "application/json",
		strings.NewReader(`{"endpoint":"upload","kind":"lost_response"}`))
	require.NoError(t, err)
	fault.Body.Close()
	require.Equal(t, http.StatusOK, fault.StatusCode)
	a = post(e2eDoc(t, "EPS-0906"))
	require.Equal(t, http.StatusAccepted, a.status, "%s", a.body)
	lost := a.upload(t)
	require.Eventually(t, func() bool { return get(lost.ID).State != client.UploadSending }, 60*time.Second, 100*time.Millisecond)
	require.Contains(t, []string{client.UploadUnknown, client.UploadOK}, get(lost.ID).State)
	require.Equal(t, callsBefore+1, uploadCalls())

	for _, id := range []int64{won[0], same[0]} {
		u := waitFinal(id, 90*time.Second)
		require.Equal(t, client.UploadOK, u.State, "%+v", u.Errors)
	}
	anafDup = waitFinal(anafDup.ID, 90*time.Second)
	require.Equal(t, client.UploadNOK, anafDup.State)
	require.Len(t, anafDup.Errors, 1)
	require.Contains(t, anafDup.Errors[0].Message, "Factura a mai fost transmisa anterior cu index=")
	two = waitFinal(two.ID, 90*time.Second)
	require.Equal(t, client.UploadNOK, two.State)
	require.Equal(t, []client.UploadError{
		{ID: "BR-RO-110", Message: "E: validari globale  SCHEMATRON   eroare: [BR-RO-110]-first error"},
		{ID: "BR-RO-120", Message: "E: validari globale  SCHEMATRON   eroare: [BR-RO-120]-second error"},
	}, two.Errors)
	var nokList client.UploadList
	require.Equal(t, http.StatusOK, getJSON(t, api+"/uploads?state=nok", key, &nokList))
	require.Len(t, nokList.Data, 2)

	reconciled := time.Now()
	lost = waitFinal(lost.ID, 4*time.Minute)
	t.Logf("%s: lost answer reconciled in %v", d, time.Since(reconciled).Round(time.Second))
	require.Equal(t, client.UploadOK, lost.State, "%+v", lost.Errors)
	require.NotNil(t, lost.IDIncarcare)
	require.NotNil(t, lost.InvoiceID)
	require.Equal(t, callsBefore+1, uploadCalls(), "never resent")
	require.Equal(t, 1, sentList(key, "EPS-0906").Pagination.Total)

	// 7. The buyer company receives EPS-0901 on its next sync (POST
	// /api/v1/sync); the seller's later sync does not archive it twice.
	buyerKey := newKey(e2eBuyer, store.ScopeWrite)
	syncNow := func(k string) {
		t.Helper()
		a := apiDo(t, http.MethodPost, api+"/sync", k, nil)
		require.Contains(t, []int{http.StatusAccepted, http.StatusConflict}, a.status, "%s", a.body)
	}
	var recv listAnswer
	deadline := time.Now().Add(3 * time.Minute)
	for {
		syncNow(buyerKey)
		syncNow(key)
		time.Sleep(3 * time.Second)
		require.Equal(t, http.StatusOK, getJSON(t, api+"/invoices?type=received&q=EPS-0901", buyerKey, &recv))
		if recv.Pagination.Total > 0 || time.Now().After(deadline) {
			break
		}
	}
	require.Equal(t, 1, recv.Pagination.Total, "the buyer received it")
	require.Equal(t, "FACTURA PRIMITA", recv.Data[0].InvoiceType)
	var runs struct {
		Runs []struct {
			Status string `json:"status"`
		} `json:"runs"`
	}
	require.Eventually(t, func() bool {
		require.Equal(t, http.StatusOK, getJSON(t, api+"/sync", key, &runs))
		return len(runs.Runs) > 0 && runs.Runs[0].Status != "queued" && runs.Runs[0].Status != "running"
	}, 60*time.Second, 200*time.Millisecond)
	for _, n := range []string{"EPS-0901", "EPS-0904", "EPS-0906", "EPS-0907"} {
		require.Equal(t, 1, archived(n), n)
		require.Equal(t, 1, sentList(key, n).Pagination.Total, n)
	}
	require.Equal(t, callsBefore+1, uploadCalls())
	var okList client.UploadList
	require.Equal(t, http.StatusOK, getJSON(t, api+"/uploads?state=ok", key, &okList))
	require.Len(t, okList.Data, 4)
	t.Logf("%s: whole journey %v", d, time.Since(start).Round(time.Second))
}
