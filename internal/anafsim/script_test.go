package anafsim

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice"
)

// sellerMessage returns the id of seller's only message.
func sellerMessage(t *testing.T, b *testBundle) string {
	t.Helper()
	now := b.clock.Now()
	lr := b.page(t, seller, now.Add(-59*24*time.Hour), now, 1)
	require.Len(t, lr.Mesaje, 1, lr.Eroare)
	return lr.Mesaje[0].ID
}

func TestScriptRepublish(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	loadN(t, b.sim, 1)
	id := sellerMessage(t, b)
	newID, err := b.sim.Run(Script{Action: "republish", ID: id})
	require.NoError(t, err)
	require.NotEqual(t, id, newID)
	now := b.clock.Now()
	lr := b.page(t, seller, now.Add(-59*24*time.Hour), now, 1)
	require.Len(t, lr.Mesaje, 2)
	require.Equal(t, lr.Mesaje[0].IDSolicitare, lr.Mesaje[1].IDSolicitare, "same upload index")
	// Both ids download the same document.
	_, z1 := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+id, nil)
	_, z2 := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+newID, nil)
	a1, err := invoice.ReadArchive(z1)
	require.NoError(t, err)
	a2, err := invoice.ReadArchive(z2)
	require.NoError(t, err)
	require.Equal(t, a1.Document, a2.Document)
}

func TestScriptHideUntil(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	loadN(t, b.sim, 1)
	id := sellerMessage(t, b)
	now := b.clock.Now()
	require.NoError(t, b.sim.HideUntil(id, now.Add(time.Hour)))
	_, err := b.sim.Run(Script{Action: "set_created", ID: id, At: now.Add(-3 * time.Hour)})
	require.NoError(t, err)
	lr := b.page(t, seller, now.Add(-59*24*time.Hour), now, 1)
	require.Equal(t, "Nu exista mesaje in intervalul selectat", lr.Eroare)
	b.clock.Advance(time.Hour)
	require.Equal(t, id, sellerMessage(t, b), "visible later")
	lr = b.page(t, seller, now.Add(-4*time.Hour), now.Add(-2*time.Hour), 1)
	require.Len(t, lr.Mesaje, 1, "with its earlier data_creare")
}

func TestScriptExpireAndFault(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	loadN(t, b.sim, 1)
	id := sellerMessage(t, b)
	require.NoError(t, b.sim.InjectFault(Fault{Endpoint: "descarcare", Kind: FaultExpired}))
	_, body := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+id, nil)
	e, _ := eroareOf(t, body)
	require.Equal(t, expiredText, e)
	_, body = b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+id, nil)
	_, err := invoice.ReadArchive(body)
	require.NoError(t, err, "the fault was for one call")
	require.NoError(t, b.sim.Expire(id))
	_, body = b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+id, nil)
	e, _ = eroareOf(t, body)
	require.Equal(t, expiredText, e)
	require.Equal(t, id, sellerMessage(t, b), "still listed")
}

func TestScriptOtherLayout(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	loadN(t, b.sim, 1)
	id := sellerMessage(t, b)
	check := func(body []byte) {
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		require.NoError(t, err, "a valid ZIP")
		require.Len(t, zr.File, 2)
		require.True(t, strings.HasPrefix(zr.File[0].Name, id+"/"))
		_, err = invoice.ReadArchive(body)
		require.Error(t, err, "not ANAF's layout")
	}
	require.NoError(t, b.sim.InjectFault(Fault{Endpoint: "descarcare", Kind: FaultOtherLayout}))
	_, body := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+id, nil)
	check(body)
	require.NoError(t, b.sim.OtherLayout(id))
	_, body = b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+id, nil)
	check(body)
}

func TestScriptListAlsoFor(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	loadN(t, b.sim, 1)
	id := sellerMessage(t, b)
	const other = "31415920"
	_, err := b.sim.Run(Script{Action: "list_also_for", ID: id, CIF: seller, ListCIF: other})
	require.NoError(t, err)
	now := b.clock.Now()
	lr := b.page(t, other, now.Add(-59*24*time.Hour), now, 1)
	require.Len(t, lr.Mesaje, 1)
	require.Equal(t, seller, lr.Mesaje[0].CIF, "listed under another CIF's list with its own cif")
	require.Equal(t, id, sellerMessage(t, b), "the seller's list is unchanged")
}

func TestFaultHTTP429WithoutRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	loadN(t, b.sim, 1)
	id := sellerMessage(t, b)
	require.NoError(t, b.sim.InjectFault(Fault{Endpoint: "descarcare", Kind: FaultHTTP429}))
	resp, _ := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+id, nil)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Retry-After"))
}

// TestScriptAndFaultsOverHTTP drives issue 15's situations the way a test
// outside Go does (docs/anaf-sim.md): POST /__sim/script for every action
// and POST /__sim/faults for the fault kinds added with them.
func TestScriptAndFaultsOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	loadN(t, b.sim, 1)
	id := sellerMessage(t, b)
	post := func(path, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(b.srv.URL+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var sb strings.Builder
		_, err = io.Copy(&sb, resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, sb.String()
	}
	now := b.clock.Now()
	at := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }

	// republish answers the new id; the list then holds both.
	code, body := post("/__sim/script", `{"action":"republish","id":"`+id+`"}`)
	require.Equal(t, http.StatusOK, code, body)
	var out struct{ Status, ID string }
	require.NoError(t, json.Unmarshal([]byte(body), &out))
	require.Equal(t, "ok", out.Status)
	require.NotEmpty(t, out.ID)
	require.NotEqual(t, id, out.ID)
	lr := b.page(t, seller, now.Add(-59*24*time.Hour), now, 1)
	require.Len(t, lr.Mesaje, 2)

	// hide_until and set_created: the republished message is listed later, under an earlier data_creare.
	for _, s := range []string{
		`{"action":"hide_until","id":"` + out.ID + `","at":"` + at(time.Hour) + `"}`,
		`{"action":"set_created","id":"` + out.ID + `","at":"` + at(-3*time.Hour) + `"}`,
	} {
		code, body = post("/__sim/script", s)
		require.Equal(t, http.StatusOK, code, body)
	}
	lr = b.page(t, seller, now.Add(-59*24*time.Hour), now, 1)
	require.Len(t, lr.Mesaje, 1, "hidden until an hour from now")
	b.clock.Advance(time.Hour + time.Minute)
	lr = b.page(t, seller, now.Add(-4*time.Hour), now.Add(-2*time.Hour), 1)
	require.Len(t, lr.Mesaje, 1, "visible, with its earlier data_creare")
	require.Equal(t, out.ID, lr.Mesaje[0].ID)

	// list_also_for, expire, other_layout.
	const other = "31415920"
	code, body = post("/__sim/script", `{"action":"list_also_for","id":"`+id+`","cif":"`+seller+`","list_cif":"`+other+`"}`)
	require.Equal(t, http.StatusOK, code, body)
	lr = b.page(t, other, now.Add(-59*24*time.Hour), b.clock.Now(), 1)
	require.Len(t, lr.Mesaje, 1)
	require.Equal(t, seller, lr.Mesaje[0].CIF)
	code, body = post("/__sim/script", `{"action":"expire","id":"`+id+`"}`)
	require.Equal(t, http.StatusOK, code, body)
	_, z := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+id, nil)
	e, _ := eroareOf(t, z)
	require.Equal(t, expiredText, e)
	code, body = post("/__sim/script", `{"action":"other_layout","id":"`+out.ID+`"}`)
	require.Equal(t, http.StatusOK, code, body)
	_, z = b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+out.ID, nil)
	_, err := invoice.ReadArchive(z)
	require.Error(t, err, "a ZIP of another layout")

	// Refusals: unknown action, unknown id, bad JSON.
	for _, s := range []string{`{"action":"vanish","id":"` + id + `"}`, `{"action":"expire","id":"999"}`, `{`} {
		code, body = post("/__sim/script", s)
		require.Equal(t, http.StatusBadRequest, code, "%s → %s", s, body)
	}

	// The faults of issue 15 over HTTP: 429 without Retry-After, 401 invalid_token until cleared.
	code, body = post("/__sim/faults", `{"endpoint":"listaMesajePaginatieFactura","kind":"http429"}`)
	require.Equal(t, http.StatusOK, code, body)
	q := "/prod/FCTEL/rest/listaMesajePaginatieFactura?cif=" + seller + "&pagina=1&startTime=" +
		strconv.FormatInt(now.Add(-time.Hour).UnixMilli(), 10) + "&endTime=" + strconv.FormatInt(now.UnixMilli(), 10)
	resp, _ := b.api(t, http.MethodGet, q, nil)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Retry-After"))
	code, body = post("/__sim/faults", `{"endpoint":"listaMesajePaginatieFactura","kind":"invalid_token"}`)
	require.Equal(t, http.StatusOK, code, body)
	for range 2 {
		resp, _ = b.api(t, http.MethodGet, q, nil)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	req, err := http.NewRequest(http.MethodDelete, b.srv.URL+"/__sim/faults", nil)
	require.NoError(t, err)
	dr, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	dr.Body.Close()
	resp, _ = b.api(t, http.MethodGet, q, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
