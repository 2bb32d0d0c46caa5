package anafsync_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func TestSyncCompany(t *testing.T) {
	t.Parallel()

	t.Run("FirstSyncArchivesEveryMessage", func(t *testing.T) {
		t.Parallel()
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			ctx := t.Context()
			b := setup(t, st, options{invoices: 12})
			cif := b.busiestCIF(t)
			company := b.company(t, cif)
			raw := b.rawList(t, cif)
			require.NotEmpty(t, raw)

			var phases []string
			res, err := b.engine.SyncCompany(ctx, company.ID, func(p anafsync.Progress) { phases = append(phases, p.Phase) })
			require.NoError(t, err)
			require.Equal(t, len(raw), res.Found)
			require.Equal(t, len(raw), res.New)
			require.Zero(t, res.Failed)
			require.Equal(t, "done", phases[len(phases)-1])

			run := b.lastRun(t, company.ID)
			require.Equal(t, res.RunID, run.ID)
			require.Equal(t, store.SyncOK, run.Status)
			require.Equal(t, len(raw), run.Found)
			require.Equal(t, len(raw), run.New)
			require.Empty(t, run.Error)
			c, err := st.CompanyByID(ctx, company.ID)
			require.NoError(t, err)
			require.NotNil(t, c.LastSyncedUntil)
			require.True(t, c.LastSyncedUntil.Equal(res.End), "LastSyncedUntil %v, window end %v", c.LastSyncedUntil, res.End)

			// Expected parsed terms, from the generated documents themselves.
			docs := map[string]*invoice.Invoice{}
			for _, f := range b.files {
				d, err := invoice.Parse(f.Data)
				require.NoError(t, err)
				docs[d.Number] = d
			}
			bucharest, err := time.LoadLocation("Europe/Bucharest")
			require.NoError(t, err)

			got := b.invoices(t, company.ID)
			require.Len(t, got, len(raw))
			types := map[string]int{}
			for _, m := range raw {
				inv := got[m.ID]
				require.NotNil(t, inv, "message %s not archived", m.ID)
				types[m.Tip]++

				// ZIP byte for byte, and its SHA-256.
				want := b.rawGet(t, "/test/FCTEL/rest/descarcare?id="+m.ID)
				require.Equal(t, want, inv.ZIP)
				sum := sha256.Sum256(want)
				require.Equal(t, sum[:], inv.ZIPSHA256)

				// ANAF metadata; data_creare is Bucharest local time.
				require.Equal(t, m.Tip, inv.MessageType)
				require.Equal(t, m.UploadID, inv.UploadID)
				require.Equal(t, m.Detalii, inv.Details)
				local, err := time.ParseInLocation("200601021504", m.DataCreare, bucharest)
				require.NoError(t, err)
				require.True(t, inv.ANAFCreatedAt.Equal(local), "data_creare %s stored as %v", m.DataCreare, inv.ANAFCreatedAt)
				require.Equal(t, time.UTC, inv.ANAFCreatedAt.Location())
				naive, _ := time.Parse("200601021504", m.DataCreare)
				offset := naive.Sub(inv.ANAFCreatedAt)
				require.True(t, offset == 2*time.Hour || offset == 3*time.Hour, "offset %v", offset)

				// Parsed terms.
				require.Empty(t, inv.ParseError)
				d := docs[inv.InvoiceNumber]
				require.NotNil(t, d, "unknown invoice number %q", inv.InvoiceNumber)
				require.Equal(t, string(d.DocumentType), inv.DocumentType)
				require.Equal(t, d.IssueDate, inv.IssueDate)
				require.Equal(t, d.Currency, inv.Currency)
				require.Equal(t, d.Totals.TaxInclusive, inv.TotalAmount)
				require.Equal(t, d.Totals.VAT, inv.VATAmount)
				require.Equal(t, d.Seller.Name, inv.IssuerName)
				require.Equal(t, d.Buyer.Name, inv.ReceiverName)
				var parsed invoice.Invoice
				require.NoError(t, json.Unmarshal(inv.ParsedJSON, &parsed))
				require.Equal(t, d.Number, parsed.Number)
				switch m.Tip {
				case store.TypeSent:
					require.Equal(t, cif, inv.CIFEmitent)
				case store.TypeReceived:
					require.Equal(t, cif, inv.CIFBeneficiar)
				default:
					t.Fatalf("unexpected message type %q", m.Tip)
				}
			}
			require.Positive(t, types[store.TypeSent], "seller side missing: %v", types)
			require.Positive(t, types[store.TypeReceived], "buyer side missing: %v", types)
		})
	})

	t.Run("SecondSyncDownloadsNothing", func(t *testing.T) {
		t.Parallel()
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			ctx := t.Context()
			b := setup(t, st, options{invoices: 12})
			cif := b.busiestCIF(t)
			company := b.company(t, cif)
			first, err := b.engine.SyncCompany(ctx, company.ID, nil)
			require.NoError(t, err)
			require.Positive(t, first.New)
			before := b.sim.Stats()

			b.clock.Advance(time.Hour)
			second, err := b.engine.SyncCompany(ctx, company.ID, nil)
			require.NoError(t, err)
			require.Zero(t, second.New)
			require.Zero(t, second.Failed)
			require.Equal(t, before.Calls["descarcare"], b.sim.Stats().Calls["descarcare"])
			n, err := st.CountInvoices(ctx, company.ID)
			require.NoError(t, err)
			require.Equal(t, first.New, n)
			// The second window starts Overlap before the first one's end.
			require.True(t, second.Start.Equal(first.End.Add(-anafsync.Overlap)), "start %v, first end %v", second.Start, first.End)
		})
	})

	t.Run("BuyerReusesSellerZIP", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		b := setup(t, storetest.New(t), options{invoices: 18})
		total := map[string]bool{} // distinct download ids over all companies
		reused := 0
		for cif := range b.sim.CIFs() {
			for _, m := range b.rawList(t, cif) {
				total[m.ID] = true
			}
			c := b.company(t, cif)
			res, err := b.engine.SyncCompany(ctx, c.ID, nil)
			require.NoError(t, err)
			require.Zero(t, res.Failed)
			reused += res.Reused
		}
		// rawList does not download; every id was downloaded exactly once.
		st := b.sim.Stats()
		require.Len(t, st.Downloads, len(total))
		for id, n := range st.Downloads {
			require.Equal(t, 1, n, "message %s downloaded %d times", id, n)
		}
		require.Positive(t, reused)
	})

	t.Run("Pagination", func(t *testing.T) {
		t.Parallel()
		b := setup(t, storetest.New(t), options{invoices: 24, sim: func(o *anafsim.Options) { o.PageSize = 2 }})
		cif := b.busiestCIF(t)
		n := b.sim.CIFs()[cif]
		require.Greater(t, n, 5)
		company := b.company(t, cif)
		res, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
		require.NoError(t, err)
		require.Equal(t, n, res.Found)
		require.Equal(t, n, res.New)
		require.Len(t, b.invoices(t, company.ID), n)
		require.Equal(t, (n+1)/2, b.sim.Stats().Calls["listaMesajePaginatieFactura"])
	})

	t.Run("IgnoresMessagesListedForAnotherCIF", func(t *testing.T) {
		t.Parallel()
		// The list answer is rewritten: one message claims another CIF, one has none.
		wrap := func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasSuffix(r.URL.Path, "/listaMesajePaginatieFactura") {
					h.ServeHTTP(w, r)
					return
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				var body map[string]any
				if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
					if ms, ok := body["mesaje"].([]any); ok && len(ms) >= 2 {
						ms[0].(map[string]any)["cif"] = "99999999"
						ms[1].(map[string]any)["cif"] = ""
					}
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(body)
			})
		}
		b := setup(t, storetest.New(t), options{invoices: 12, wrap: wrap})
		cif := b.busiestCIF(t)
		n := b.sim.CIFs()[cif]
		company := b.company(t, cif)
		res, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
		require.NoError(t, err)
		require.Equal(t, n-2, res.Found)
		require.Equal(t, n-2, res.New)
		require.Len(t, b.invoices(t, company.ID), n-2)
	})

	t.Run("Busy", func(t *testing.T) {
		t.Parallel()
		entered, release := make(chan struct{}), make(chan struct{})
		var once atomic.Bool
		wrap := func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/listaMesajePaginatieFactura") && once.CompareAndSwap(false, true) {
					close(entered)
					<-release
				}
				h.ServeHTTP(w, r)
			})
		}
		b := setup(t, storetest.New(t), options{invoices: 6, wrap: wrap})
		company := b.company(t, b.busiestCIF(t))
		type outcome struct {
			res *anafsync.Result
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			res, err := b.engine.SyncCompany(context.Background(), company.ID, nil)
			done <- outcome{res, err}
		}()
		<-entered
		p, running := b.engine.Running(company.ID)
		require.True(t, running)
		require.Equal(t, "listing", p.Phase)
		_, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
		require.ErrorIs(t, err, anafsync.ErrBusy)
		require.ErrorIs(t, b.engine.SyncNow(t.Context(), company.ID), anafsync.ErrBusy)
		close(release)
		o := <-done
		require.NoError(t, o.err)
		require.Positive(t, o.res.New)
		_, running = b.engine.Running(company.ID)
		require.False(t, running)
	})

	t.Run("SyncNowRunsInBackground", func(t *testing.T) {
		t.Parallel()
		b := setup(t, storetest.New(t), options{invoices: 6})
		company := b.company(t, b.busiestCIF(t))
		require.NoError(t, b.engine.SyncNow(t.Context(), company.ID))
		b.engine.Wait()
		run := b.lastRun(t, company.ID)
		require.Equal(t, store.SyncOK, run.Status)
		require.Positive(t, run.New)
	})

	t.Run("NoConnectedMember", func(t *testing.T) {
		t.Parallel()
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			ctx := t.Context()
			b := setup(t, st, options{invoices: 6, noLogin: true})
			company := b.company(t, b.busiestCIF(t))
			calls := b.sim.Stats().Calls
			res, err := b.engine.SyncCompany(ctx, company.ID, nil)
			require.ErrorIs(t, err, anafsync.ErrNoConnection)
			require.NotNil(t, res)
			run := b.lastRun(t, company.ID)
			require.Equal(t, res.RunID, run.ID)
			require.Equal(t, store.SyncFailed, run.Status)
			require.Equal(t, anafsync.ErrNoConnection.Error(), run.Error)
			require.NotNil(t, run.FinishedAt)
			require.Equal(t, calls, b.sim.Stats().Calls, "no ANAF call without a connection")

			// A company without any member fails the same way.
			lone, err := st.CreateCompany(ctx, "51515151", "Fără membri SRL")
			require.NoError(t, err)
			_, err = b.engine.SyncCompany(ctx, lone.ID, nil)
			require.ErrorIs(t, err, anafsync.ErrNoConnection)
			require.Equal(t, store.SyncFailed, b.lastRun(t, lone.ID).Status)
		})
	})

	t.Run("CanceledRunIsRecorded", func(t *testing.T) {
		t.Parallel()
		b := setup(t, storetest.New(t), options{invoices: 6})
		company := b.company(t, b.busiestCIF(t))
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		res, err := b.engine.SyncCompany(ctx, company.ID, func(p anafsync.Progress) {
			if p.Done == 1 {
				cancel()
			}
		})
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, 1, res.New)
		run := b.lastRun(t, company.ID)
		require.Equal(t, store.SyncFailed, run.Status)
		require.Contains(t, run.Error, "sync interrupted")
		c, err := b.st.CompanyByID(t.Context(), company.ID)
		require.NoError(t, err)
		require.Nil(t, c.LastSyncedUntil)
	})

	t.Run("UnknownCompany", func(t *testing.T) {
		t.Parallel()
		b := setup(t, storetest.New(t), options{})
		_, err := b.engine.SyncCompany(t.Context(), 424242, nil)
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("ClientUnavailableIsRecorded", func(t *testing.T) {
		t.Parallel()
		b := setup(t, storetest.New(t), options{invoices: 3, engine: func(e *anafsync.Engine) {
			e.ANAFClient = func(context.Context) (*anaf.Client, error) {
				return nil, errors.New("the ANAF application is not configured")
			}
		}})
		company := b.company(t, b.busiestCIF(t))
		_, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
		require.Error(t, err)
		run := b.lastRun(t, company.ID)
		require.Equal(t, store.SyncFailed, run.Status)
		require.Contains(t, run.Error, "the ANAF application is not configured")
	})
}

func TestSyncErrorsMessage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		b := setup(t, st, options{})
		doc := invoicegen.Generate(1, testSeed)[0].Data
		parsed, err := invoice.Parse(doc)
		require.NoError(t, err)
		seller := invoice.PartyCIF(parsed.Seller)
		require.NotEmpty(t, seller)

		first, err := b.client.Upload(ctx, b.access, "UBL", seller, doc)
		require.NoError(t, err)
		second, err := b.client.Upload(ctx, b.access, "UBL", seller, doc) // duplicate: ERORI FACTURA
		require.NoError(t, err)
		require.NotEqual(t, first, second)
		b.clock.Advance(3 * time.Minute)

		company := b.company(t, seller)
		res, err := b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Equal(t, 2, res.New)

		var errInv, sent *store.Invoice
		for _, inv := range b.invoices(t, company.ID) {
			switch inv.MessageType {
			case store.TypeErrors:
				errInv = inv
			case store.TypeSent:
				sent = inv
			}
		}
		require.NotNil(t, sent)
		require.Equal(t, first, sent.UploadID)
		require.NotNil(t, errInv)
		require.Equal(t, second, errInv.UploadID)
		require.Equal(t, "ANAFErrors", errInv.DocumentType)
		require.Empty(t, errInv.ParseError)
		require.Equal(t, seller, errInv.CIFEmitent)
		var body struct {
			DocumentType string   `json:"document_type"`
			UploadID     string   `json:"upload_id"`
			Errors       []string `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(errInv.ParsedJSON, &body))
		require.Equal(t, "ANAFErrors", body.DocumentType)
		require.Equal(t, second, body.UploadID)
		require.Len(t, body.Errors, 1)
		require.Contains(t, body.Errors[0], "Factura a mai fost transmisa anterior cu index="+first)
	})
}
