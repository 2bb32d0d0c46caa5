package anafsim

import (
	"archive/zip"
	"bytes"
	"net/http"
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
