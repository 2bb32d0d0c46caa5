package anafsim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func writeInvoices(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("inv%02d.xml", i)), invoiceDoc(fmt.Sprintf("P-%d", i)), 0o644))
	}
	return dir
}

// snapshot lists every message of cif as "id idx data_creare tip", sorted.
func snapshot(t *testing.T, b *testBundle, cif string) []string {
	t.Helper()
	now := b.clock.Now()
	lr := b.page(t, cif, now.Add(-59*24*time.Hour), now, 1)
	var out []string
	for _, m := range lr.Mesaje {
		out = append(out, m.ID+" "+m.IDSolicitare+" "+m.DataCreare+" "+m.Tip)
	}
	sort.Strings(out)
	return out
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	stateDir := t.TempDir()
	invDir := writeInvoices(t, 3)
	c := newClock()
	start := func() *testBundle {
		sim, err := New(Options{StateDir: stateDir, ClientID: testClientID, ClientSecret: testClientSecret, AutoApprove: true, Now: c.Now})
		require.NoError(t, err)
		n, err := sim.LoadDir(invDir)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		srv := httptest.NewServer(sim.Handler())
		t.Cleanup(srv.Close)
		return &testBundle{sim: sim, srv: srv, clock: c}
	}
	b1 := start()
	b1.token = b1.login(t).AccessToken
	before := snapshot(t, b1, seller)
	require.Len(t, before, 3)
	_, body := b1.api(t, http.MethodPost, "/prod/FCTEL/rest/upload?standard=UBL&cif="+seller, invoiceDoc("AFTER-1"))
	attrs, _ := headerAttrs(t, body)
	idx := attrs["index_incarcare"]
	require.NoError(t, b1.sim.Close())

	c.Advance(3 * 24 * time.Hour) // restart later: dates must not move
	b2 := start()
	b2.token = b1.token
	after := snapshot(t, b2, seller)
	require.Len(t, after, 4)
	require.Subset(t, after, before)
	require.Equal(t, map[string]int{seller: 4, buyer: 4}, b2.sim.CIFs())
	_, body = b2.api(t, http.MethodGet, "/prod/FCTEL/rest/stareMesaj?id_incarcare="+idx, nil)
	attrs, _ = headerAttrs(t, body)
	require.Equal(t, "ok", attrs["stare"])
	_, z := b2.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+attrs["id_descarcare"], nil)
	_, files := unzip(t, z)
	require.Equal(t, invoiceDoc("AFTER-1"), files[idx+".xml"])
}

func TestDeterministicIDsAndZips(t *testing.T) {
	t.Parallel()
	invDir := writeInvoices(t, 4)
	run := func(c *clock) (*Server, []string) {
		sim, err := New(Options{Now: c.Now})
		require.NoError(t, err)
		_, err = sim.LoadDir(invDir)
		require.NoError(t, err)
		var ids []string
		for _, m := range sim.st.Messages {
			ids = append(ids, m.ID+" "+m.UploadIndex+" "+m.CIF+" "+m.Created.String())
		}
		sort.Strings(ids)
		return sim, ids
	}
	c1, c2 := newClock(), newClock()
	s1, ids1 := run(c1)
	s2, ids2 := run(c2)
	require.Len(t, ids1, 8)
	require.Equal(t, ids1, ids2)
	for id, a := range s1.st.Archives {
		z1, err := s1.zipLocked(a)
		require.NoError(t, err)
		z2, err := s2.zipLocked(s2.st.Archives[id])
		require.NoError(t, err)
		require.Equal(t, z1, z2, id)
	}
	// a later first load shifts dates, never ids
	c3 := newClock()
	c3.Advance(48 * time.Hour)
	s3, _ := run(c3)
	for id := range s1.st.Archives {
		require.Contains(t, s3.st.Archives, id)
	}
}

// TestLoadedCreatedNotBeforeIssue: a loaded invoice's data_creare is never
// before its issue day in Romania nor within loadRecent of its first load,
// and stays inside the spread; the demo's invoices, dated around today,
// were otherwise "received" by ANAF weeks before they were issued.
func TestLoadedCreatedNotBeforeIssue(t *testing.T) {
	t.Parallel()
	first := time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC)
	for _, issue := range []string{"2026-12-07", "2026-12-01", "2026-11-20", "2026-10-01", "2025-01-15", "2026-12-20", "not a date"} {
		day, err := time.ParseInLocation(time.DateOnly, issue, bucharest)
		for off := time.Duration(0); off < loadSpread; off += 97 * time.Minute {
			c := loadedCreated(first, off, issue)
			require.False(t, c.After(first.Add(-loadRecent)), "%s %v: %v after the latest time", issue, off, c)
			require.False(t, c.Before(first.Add(-loadSpread)), "%s %v: %v before the spread", issue, off, c)
			if err == nil && day.Before(first.Add(-loadRecent)) {
				require.False(t, c.Before(day), "%s %v: %v before the issue day", issue, off, c)
			}
		}
	}
}
