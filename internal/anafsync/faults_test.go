package anafsync_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func TestSyncDownloadFaults(t *testing.T) {
	t.Parallel()

	t.Run("TransientFaultsAreRetried", func(t *testing.T) {
		t.Parallel()
		for _, kind := range []string{anafsim.FaultHTTP500, anafsim.FaultWAFHTML, anafsim.FaultHTTP503HTML, anafsim.FaultEmptyBody} {
			t.Run(kind, func(t *testing.T) {
				t.Parallel()
				b := setup(t, storetest.New(t), options{invoices: 6})
				cif := b.busiestCIF(t)
				n := b.sim.CIFs()[cif]
				company := b.company(t, cif)
				require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "descarcare", Kind: kind, Count: 2}))

				res, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
				require.NoError(t, err)
				require.Equal(t, n, res.New)
				require.Zero(t, res.Failed)
				st := b.sim.Stats()
				require.Equal(t, n+2, st.Calls["descarcare"])
				require.Equal(t, n, sumDownloads(st))
				require.Equal(t, store.SyncOK, b.lastRun(t, company.ID).Status)
			})
		}
	})

	t.Run("TransientListFaultIsRetried", func(t *testing.T) {
		t.Parallel()
		b := setup(t, storetest.New(t), options{invoices: 6})
		company := b.company(t, b.busiestCIF(t))
		require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "listaMesajePaginatieFactura", Kind: anafsim.FaultHTTP500, Count: 1}))
		res, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
		require.NoError(t, err)
		require.Positive(t, res.New)
	})

	t.Run("PersistentFault", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name      string
			count     int
			allFailed bool
		}{
			{"OneMessage", fastRetry.MaxAttempts, false},
			{"EveryMessage", 100, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				storetest.Each(t, func(t *testing.T, st *store.Store) {
					ctx := t.Context()
					b := setup(t, st, options{invoices: 6})
					cif := b.busiestCIF(t)
					n := b.sim.CIFs()[cif]
					company := b.company(t, cif)
					require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "descarcare", Kind: anafsim.FaultHTTP500, Count: tc.count}))

					res, err := b.engine.SyncCompany(ctx, company.ID, nil)
					require.NoError(t, err)
					wantFailed := 1
					if tc.allFailed {
						wantFailed = n
					}
					require.Equal(t, wantFailed, res.Failed)
					require.Equal(t, n-wantFailed, res.New)
					run := b.lastRun(t, company.ID)
					require.Equal(t, anafsync.SyncPartial, run.Status)
					require.Equal(t, wantFailed, run.Failed)
					require.Contains(t, run.Error, fmt.Sprintf("%d of %d messages could not be archived", wantFailed, n))
					require.Contains(t, run.Error, "HTTP 500")
					c, err := st.CompanyByID(ctx, company.ID)
					require.NoError(t, err)
					require.Nil(t, c.LastSyncedUntil, "window must not advance past a failed message")

					b.sim.ClearFaults()
					b.clock.Advance(10 * time.Minute)
					res, err = b.engine.SyncCompany(ctx, company.ID, nil)
					require.NoError(t, err)
					require.Equal(t, wantFailed, res.New)
					require.Zero(t, res.Failed)
					require.Equal(t, store.SyncOK, b.lastRun(t, company.ID).Status)
					c, err = st.CompanyByID(ctx, company.ID)
					require.NoError(t, err)
					require.NotNil(t, c.LastSyncedUntil)
					require.Len(t, b.invoices(t, company.ID), n)
					for id, k := range b.sim.Stats().Downloads {
						require.Equal(t, 1, k, "message %s downloaded %d times", id, k)
					}
				})
			})
		}
	})

	t.Run("MalformedZIP", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			count    int
			archived bool
		}{
			{1, true},
			{anafsync.MaxRedownloads, true},
			{anafsync.MaxRedownloads + 1, false},
		} {
			t.Run(fmt.Sprintf("Count%d", tc.count), func(t *testing.T) {
				t.Parallel()
				b := setup(t, storetest.New(t), options{invoices: 6})
				cif := b.busiestCIF(t)
				n := b.sim.CIFs()[cif]
				company := b.company(t, cif)
				require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "descarcare", Kind: anafsim.FaultMalformedZip, Count: tc.count}))

				res, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
				require.NoError(t, err)
				st := b.sim.Stats()
				// The first message took count+1 downloads (or count, all
				// truncated, when it was given up); the others one each.
				var first string
				for id, k := range st.Downloads {
					if k > 1 {
						require.Empty(t, first, "two messages downloaded more than once")
						first = id
					}
				}
				require.NotEmpty(t, first)
				if !tc.archived {
					require.Equal(t, anafsync.MaxRedownloads+1, st.Downloads[first], "quota budget")
					require.Equal(t, 1, res.Failed)
					require.Equal(t, n-1, res.New)
					require.Equal(t, anafsync.SyncPartial, b.lastRun(t, company.ID).Status)
					// A later run gets a good copy.
					res, err = b.engine.SyncCompany(t.Context(), company.ID, nil)
					require.NoError(t, err)
					require.Equal(t, 1, res.New)
				} else {
					require.Equal(t, tc.count+1, st.Downloads[first])
					require.Equal(t, n, res.New)
					require.Zero(t, res.Failed)
				}
				for _, inv := range b.invoices(t, company.ID) {
					require.Empty(t, inv.ParseError)
					_, err := invoice.ReadArchive(inv.ZIP)
					require.NoError(t, err)
				}
			})
		}
	})

	t.Run("UnreadableArchive", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name      string
			bad       int  // answers replaced for the first downloaded message
			same      bool // the replacement bytes are identical each time
			wantCalls int  // downloads of that message
			wantParse bool // archived with ParseError
		}{
			// Issue 15 item 6: a whole ZIP of another layout is archived
			// once, as it is, and never downloaded again (ANAF allows 10
			// downloads per message per day); only a truncated answer
			// (not a ZIP) is downloaded again (MalformedZip above).
			{"ArchivedOnceNotRedownloaded", 1, false, 1, true},
			{"ArchivedOnceWhateverANAFWouldSendNext", 5, false, 1, true},
			{"ArchivedOnceIdenticalBytes", 5, true, 1, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				var (
					mu     sync.Mutex
					target string
					calls  int
					served [][]byte
				)
				wrap := func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if !strings.HasSuffix(r.URL.Path, "/descarcare") {
							h.ServeHTTP(w, r)
							return
						}
						id := r.URL.Query().Get("id")
						mu.Lock()
						if target == "" {
							target = id
						}
						var body []byte
						if id == target {
							calls++
							if calls <= tc.bad {
								name := fmt.Sprintf("readme-%d.txt", calls)
								if tc.same {
									name = "readme.txt"
								}
								body = zipOf(t, name, []byte("not an ANAF archive"))
								served = append(served, body)
							}
						}
						mu.Unlock()
						if body == nil {
							h.ServeHTTP(w, r)
							return
						}
						w.Header().Set("Content-Type", "application/zip")
						_, _ = w.Write(body)
					})
				}
				b := setup(t, storetest.New(t), options{invoices: 6, wrap: wrap})
				cif := b.busiestCIF(t)
				n := b.sim.CIFs()[cif]
				company := b.company(t, cif)

				res, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
				require.NoError(t, err)
				require.Equal(t, n, res.New)
				require.Zero(t, res.Failed)
				mu.Lock()
				require.Equal(t, tc.wantCalls, calls)
				mu.Unlock()
				inv := b.invoices(t, company.ID)[target]
				require.NotNil(t, inv)
				if tc.wantParse {
					require.Contains(t, inv.ParseError, "could not be read")
					require.Equal(t, served[len(served)-1], inv.ZIP, "the last bytes ANAF sent are kept")
				} else {
					require.Empty(t, inv.ParseError)
				}

				// Archived means archived: no further download on the next run.
				b.clock.Advance(time.Minute)
				res, err = b.engine.SyncCompany(t.Context(), company.ID, nil)
				require.NoError(t, err)
				require.Zero(t, res.New)
				mu.Lock()
				require.Equal(t, tc.wantCalls, calls)
				mu.Unlock()
			})
		}
	})

}

// zipOf builds a well-formed ZIP with one entry, not shaped like ANAF's.
func zipOf(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}
