package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/validate"
)

// offsetClock is real time plus an offset the test can move forward: the
// simulator's processing delay runs in real time, and a jump lets the
// sync's window (which ends a minute before now) reach new messages.
type offsetClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *offsetClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }

func (c *offsetClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.off += d }

// upEnv is a gateway with a job runner against the simulator over HTTP,
// every invoicegen company created (verified, owned by one user who lends
// a connected ANAF account).
type upEnv struct {
	st     *store.Store
	sim    *anafsim.Server
	srv    *httptest.Server
	clock  *offsetClock
	keys   *secretbox.Keyring
	engine *anafsync.Engine
	runner *jobs.Runner
	gw     *gateway.Service
	user   *store.User
	cos    map[string]*store.Company
	// rejectTwice: an upload whose document contains it is refused by the
	// simulator with two errors (ANAF's error file lists both).
	rejectTwice string
}

func (e *upEnv) client() *anaf.Client {
	return anaf.New(anaf.Config{BaseURL: e.srv.URL, OAuthURL: e.srv.URL, Env: anaf.EnvTest,
		ClientID: clientID, ClientSecret: clientSecret, RedirectURI: "http://127.0.0.1:9/cb",
		Timeout: 5 * time.Second, Quota: anaf.UnlimitedQuota, Now: e.clock.Now})
}

func newUploadEnv(t *testing.T, st *store.Store, processing time.Duration) *upEnv {
	t.Helper()
	ctx := t.Context()
	e := &upEnv{st: st, clock: &offsetClock{}, cos: map[string]*store.Company{}}
	o := anafsim.Options{ClientID: clientID, ClientSecret: clientSecret, AutoApprove: true,
		Logger: slog.New(slog.DiscardHandler), Now: e.clock.Now, ProcessingDelay: processing,
		RejectAll: func(doc []byte) []string {
			if e.rejectTwice != "" && bytes.Contains(doc, []byte(e.rejectTwice)) {
				return []string{
					"E: validari globale  SCHEMATRON   eroare: [BR-RO-110]-first error",
					"E: validari globale  SCHEMATRON   eroare: [BR-RO-120]-second error",
				}
			}
			return anafsim.NativeRejections(doc)
		}}
	for _, c := range invoicegen.Companies {
		o.KnownCIFs = append(o.KnownCIFs, c.CIF)
	}
	sim, err := anafsim.New(o)
	require.NoError(t, err)
	e.sim = sim
	e.srv = httptest.NewServer(sim.Handler())
	t.Cleanup(e.srv.Close)
	spec, err := secretbox.Generate("test")
	require.NoError(t, err)
	e.keys, err = secretbox.Parse(spec)
	require.NoError(t, err)
	e.user, err = st.CreateUser(ctx, "owner@example.com", "x", false, store.UserApproved)
	require.NoError(t, err)
	e.connect(t)
	for _, c := range invoicegen.Companies {
		co, err := st.CreateCompanyWithOwner(ctx, c.CIF, c.Name, e.user.ID)
		require.NoError(t, err)
		_, err = st.SetCompanyVerified(ctx, co.ID, e.user.ID)
		require.NoError(t, err)
		co, err = st.CompanyByID(ctx, co.ID)
		require.NoError(t, err)
		e.cos[c.CIF] = co
	}
	e.engine = &anafsync.Engine{Store: st, Secrets: e.keys, Logger: slog.New(slog.DiscardHandler), Retry: fastRetry,
		Now: e.clock.Now, UploadPolls: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond},
		ReconcilePolls: []time.Duration{300 * time.Millisecond},
		ANAFClient:     func(context.Context) (*anaf.Client, error) { return e.client(), nil }}
	require.NoError(t, jobs.Migrate(ctx, st, nil))
	e.runner, err = jobs.New(jobs.Options{Store: st, Engine: e.engine, Logger: slog.New(slog.DiscardHandler),
		StepDuration: 2 * time.Second})
	require.NoError(t, err)
	require.NoError(t, e.runner.Start(ctx))
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.runner.Stop(c)
	})
	e.gw = &gateway.Service{Store: st, Now: e.clock.Now, UploadQueuer: e.runner.EnqueueUpload,
		SyncStarter: func(ctx context.Context, companyID int64) (int64, error) {
			run, err := e.runner.StartSync(ctx, companyID)
			if run != nil {
				return run.ID, err
			}
			return 0, err
		}}
	return e
}

func (e *upEnv) connect(t *testing.T) {
	t.Helper()
	client := e.client()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(client.AuthCodeURL("s"))
	require.NoError(t, err)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	tok, err := client.Exchange(t.Context(), loc.Query().Get("code"))
	require.NoError(t, err)
	require.NoError(t, anafsync.SaveToken(t.Context(), e.st, e.keys, e.user.ID, tok))
}

// uploadCalls reads the simulator's upload calls from /__sim/stats.
func (e *upEnv) uploadCalls(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(e.srv.URL + "/__sim/stats")
	require.NoError(t, err)
	defer resp.Body.Close()
	var s anafsim.Stats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
	return s.Calls["upload"] + s.Calls["uploadb2c"]
}

func (e *upEnv) principal() gateway.Principal {
	return gateway.UserPrincipal(gateway.Actor{UserID: e.user.ID, Email: e.user.Email})
}

func (e *upEnv) wait(t *testing.T, id int64) *gateway.Upload {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	u, err := e.gw.WaitUpload(ctx, e.principal(), id)
	require.NoError(t, err, "upload %d did not finish: %+v", id, u)
	return u
}

// sync runs a foreground sync of the company after moving the clock past
// the sync window's one-minute lag.
func (e *upEnv) sync(t *testing.T, cif string) {
	t.Helper()
	e.clock.Advance(2 * time.Minute)
	_, err := e.engine.SyncCompany(t.Context(), e.cos[cif].ID, nil)
	require.NoError(t, err)
}

// sellerDocs are generated invoices of the seller that the validator accepts.
func sellerDocs(t *testing.T, cif string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, f := range invoicegen.Generate(120, 99) {
		inv, err := invoice.Parse(f.Data)
		require.NoError(t, err)
		if invoice.PartyCIF(inv.Seller) != cif {
			continue
		}
		r, err := validate.Validate(f.Data, validate.ProfileRO)
		require.NoError(t, err)
		if r.Valid {
			out = append(out, f.Data)
		}
	}
	return out
}

func parsed(t *testing.T, doc []byte) *invoice.Invoice {
	t.Helper()
	inv, err := invoice.Parse(doc)
	require.NoError(t, err)
	return inv
}

func countInvoices(t *testing.T, st *store.Store, companyID int64, typ, number string) int {
	t.Helper()
	var n int
	require.NoError(t, st.DB().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM invoices
		WHERE company_id = $1 AND message_type LIKE $2 AND ($3 = '' OR invoice_number = $3)`, companyID, typ, number).Scan(&n))
	return n
}

// TestUploadJourney is issue 14's end-to-end test on both databases,
// against the simulator over HTTP with the native validator judging uploads.
func TestUploadJourney(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newUploadEnv(t, st, 300*time.Millisecond)
		ctx := t.Context()
		const seller = "12345674"
		sc := e.cos[seller]
		docs := sellerDocs(t, seller)
		require.GreaterOrEqual(t, len(docs), 7)
		p := e.principal()

		// A valid invoice: sending → pending → ok, archived once as sent,
		// once in the list; a later sync does not duplicate it; the buyer
		// receives it.
		bom := append([]byte{0xEF, 0xBB, 0xBF}, docs[0]...)
		start := time.Now()
		first, err := e.gw.UploadInvoice(ctx, p, gateway.UploadRequest{CompanyID: sc.ID, FileName: "f1.xml", XML: bom})
		require.NoError(t, err)
		require.Equal(t, gateway.UploadSending, first.State)
		require.NotEmpty(t, first.Deadline)
		first = e.wait(t, first.ID)
		t.Logf("%s: upload to ok in %v", st.Dialect(), time.Since(start).Round(time.Millisecond))
		require.Equal(t, gateway.UploadOK, first.State, "%+v", first.Errors)
		require.NotEmpty(t, first.IDIncarcare)
		require.NotEmpty(t, first.IDDescarcare)
		require.NotZero(t, first.InvoiceID)
		require.Equal(t, 1, e.uploadCalls(t))
		inv1 := parsed(t, docs[0])
		require.Equal(t, inv1.Number, first.InvoiceNumber)
		stored, err := st.UploadByID(ctx, first.ID)
		require.NoError(t, err)
		require.Equal(t, docs[0], stored.Document, "the BOM is stripped")
		list, err := e.gw.Invoices(ctx, p, sc.ID, gateway.InvoiceFilter{MessageType: gateway.TypeSent, Query: inv1.Number}, "")
		require.NoError(t, err)
		require.Len(t, list.Rows, 1)
		require.Equal(t, first.IDDescarcare, list.Rows[0].ANAFID)
		e.sync(t, seller)
		require.Equal(t, 1, countInvoices(t, st, sc.ID, store.TypeSent, inv1.Number), "the sync recognised the archived upload")
		buyer := invoice.PartyCIF(inv1.Buyer)
		e.sync(t, buyer)
		require.Equal(t, 1, countInvoices(t, st, e.cos[buyer].ID, store.TypeReceived, inv1.Number), "the buyer received it")

		// The same invoice again: refused locally, naming the first.
		_, err = e.gw.UploadInvoice(ctx, p, gateway.UploadRequest{CompanyID: sc.ID, XML: docs[0]})
		var dup *gateway.DuplicateInvoiceError
		require.ErrorAs(t, err, &dup)
		require.ErrorIs(t, err, gateway.ErrDuplicateInvoice)
		require.Equal(t, first.ID, dup.Earlier.ID)

		// An invalid invoice: refused locally with the validator's rule ids, never sent.
		var bad invoicegen.File
		for _, f := range invoicegen.Generate(20, 99) {
			if strings.Contains(f.Name, "-ZTA-") {
				bad = f
				break
			}
		}
		want, err := validate.Validate(bad.Data, validate.ProfileRO)
		require.NoError(t, err)
		require.False(t, want.Valid)
		inv, err := e.gw.UploadInvoice(ctx, p, gateway.UploadRequest{CompanyID: e.cos["44556670"].ID, XML: bad.Data})
		require.NoError(t, err)
		require.Equal(t, gateway.UploadInvalid, inv.State)
		var gotIDs, wantIDs []string
		for _, x := range inv.Errors {
			gotIDs = append(gotIDs, x.ID)
		}
		for _, x := range want.Errors {
			wantIDs = append(wantIDs, x.ID)
		}
		require.Equal(t, wantIDs, gotIDs)
		require.NotNil(t, inv.Report)
		require.Equal(t, 1, e.uploadCalls(t), "an invalid invoice is not sent")

		// A wrong company and CII are refused before anything is stored.
		_, err = e.gw.UploadInvoice(ctx, p, gateway.UploadRequest{CompanyID: e.cos["98765438"].ID, XML: docs[1]})
		require.ErrorIs(t, err, gateway.ErrUploadWrongCIF)
		_, err = e.gw.UploadInvoice(ctx, p, gateway.UploadRequest{CompanyID: sc.ID,
			XML: []byte(`<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>`)})
		require.ErrorIs(t, err, gateway.ErrUnsupportedStandard)

		// ANAF's own duplicate refusal: with the local guard reset, the
		// simulator refuses it; recorded on the new attempt only.
		require.NoError(t, st.UpdateUpload(ctx, first.ID, store.UploadUpdate{State: store.UploadNOK}))
		again, err := e.gw.UploadInvoice(ctx, p, gateway.UploadRequest{CompanyID: sc.ID, XML: docs[0]})
		require.NoError(t, err)
		again = e.wait(t, again.ID)
		require.Equal(t, gateway.UploadNOK, again.State)
		require.Len(t, again.Errors, 1)
		require.Contains(t, again.Errors[0].Message, "Factura a mai fost transmisa anterior cu index="+first.IDIncarcare)
		require.Equal(t, first.ID, again.DuplicateOf)
		firstNow, err := st.UploadByID(ctx, first.ID)
		require.NoError(t, err)
		require.Equal(t, first.IDIncarcare, firstNow.IDIncarcare, "the accepted upload's ids are never overwritten")
		require.Equal(t, first.IDDescarcare, firstNow.IDDescarcare)
		require.NoError(t, st.UpdateUpload(ctx, first.ID, store.UploadUpdate{State: store.UploadOK}))

		// ANAF refuses with several errors: every one is kept.
		inv2 := parsed(t, docs[1])
		e.rejectTwice = "<cbc:ID>" + inv2.Number + "</cbc:ID>"
		two, err := e.gw.UploadInvoice(ctx, p, gateway.UploadRequest{CompanyID: sc.ID, XML: docs[1]})
		require.NoError(t, err)
		two = e.wait(t, two.ID)
		e.rejectTwice = ""
		require.Equal(t, gateway.UploadNOK, two.State)
		require.Equal(t, []gateway.UploadError{
			{ID: "BR-RO-110", Message: "E: validari globale  SCHEMATRON   eroare: [BR-RO-110]-first error"},
			{ID: "BR-RO-120", Message: "E: validari globale  SCHEMATRON   eroare: [BR-RO-120]-second error"},
		}, two.Errors)
		calls := e.uploadCalls(t)

		// The same Idempotency-Key (same body) uploads once; with another body it is refused.
		key := gateway.KeyOf(sc.ID, gateway.ScopeWrite, 77)
		a, err := e.gw.UploadInvoice(ctx, key, gateway.UploadRequest{XML: docs[2], IdempotencyKey: "k-1"})
		require.NoError(t, err)
		b, err := e.gw.UploadInvoice(ctx, key, gateway.UploadRequest{XML: docs[2], IdempotencyKey: "k-1"})
		require.NoError(t, err)
		require.Equal(t, a.ID, b.ID)
		_, err = e.gw.UploadInvoice(ctx, key, gateway.UploadRequest{XML: docs[3], IdempotencyKey: "k-1"})
		require.ErrorIs(t, err, gateway.ErrIdempotencyKeyReused)
		_, err = e.gw.UploadInvoice(ctx, gateway.KeyOf(sc.ID, gateway.ScopeRead, 78), gateway.UploadRequest{XML: docs[3]})
		require.ErrorIs(t, err, gateway.ErrInsufficientScope)
		require.Equal(t, gateway.UploadOK, e.wait(t, a.ID).State)
		require.Equal(t, calls+1, e.uploadCalls(t))

		// Two (here eight) concurrent uploads of one invoice: one upload.
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			won  []int64
			dups int
		)
		for range 8 {
			wg.Go(func() {
				u, err := e.gw.UploadInvoice(context.Background(), p, gateway.UploadRequest{CompanyID: sc.ID, XML: docs[4]})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won = append(won, u.ID)
				case errors.Is(err, gateway.ErrDuplicateInvoice):
					dups++
				default:
					t.Errorf("concurrent upload: %v", err)
				}
			})
		}
		wg.Wait()
		require.Len(t, won, 1)
		require.Equal(t, 7, dups)
		require.Equal(t, gateway.UploadOK, e.wait(t, won[0]).State)
		require.Equal(t, calls+2, e.uploadCalls(t))

		// A lost answer: unknown, then reconciled with the company's
		// FACTURA TRIMISA (the poll job queues syncs) without a second upload.
		require.NoError(t, e.sim.InjectFault(anafsim.Fault{Endpoint: "upload", Kind: anafsim.FaultLostResponse}))
		lost, err := e.gw.UploadInvoice(ctx, p, gateway.UploadRequest{CompanyID: sc.ID, XML: docs[5]})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			u, err := st.UploadByID(ctx, lost.ID)
			return err == nil && u.State != store.UploadSending
		}, 10*time.Second, 20*time.Millisecond)
		u, err := st.UploadByID(ctx, lost.ID)
		require.NoError(t, err)
		require.Contains(t, []string{store.UploadUnknown, store.UploadOK}, u.State)
		require.Equal(t, calls+3, e.uploadCalls(t))
		e.clock.Advance(2 * time.Minute) // ANAF lists the message; the sync window reaches it
		lost = e.wait(t, lost.ID)
		require.Equal(t, gateway.UploadOK, lost.State)
		require.NotEmpty(t, lost.IDIncarcare)
		require.NotZero(t, lost.InvoiceID)
		require.Equal(t, calls+3, e.uploadCalls(t), "never resent")
		require.Equal(t, 1, countInvoices(t, st, sc.ID, store.TypeSent, parsed(t, docs[5]).Number))

		// The list of uploads.
		ul, err := e.gw.Uploads(ctx, p, sc.ID, gateway.UploadFilter{State: gateway.UploadOK})
		require.NoError(t, err)
		require.Equal(t, 4, ul.Total)
		var audits int
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action LIKE 'upload.%'`).Scan(&audits))
		require.Positive(t, audits)

		// The buyer's reply (RASP) about the invoice it received: both
		// companies list the MESAJ CUMPARATOR message after a sync.
		recv, err := e.gw.Invoices(ctx, p, e.cos[buyer].ID, gateway.InvoiceFilter{MessageType: gateway.TypeReceived, Query: inv1.Number}, "")
		require.NoError(t, err)
		require.Len(t, recv.Rows, 1)
		_, err = e.gw.SendBuyerMessage(ctx, p, list.Rows[0].ID, true, "ok")
		require.ErrorIs(t, err, gateway.ErrBuyerMessageInvoice, "a sent invoice is not the buyer's")
		msg, err := e.gw.SendBuyerMessage(ctx, p, recv.Rows[0].ID, true, "Primit, mulțumim")
		require.NoError(t, err)
		msg = e.wait(t, msg.ID)
		require.Equal(t, gateway.UploadOK, msg.State, "%+v", msg.Errors)
		e.sync(t, seller)
		e.sync(t, buyer)
		require.Equal(t, 1, countInvoices(t, st, sc.ID, "MESAJ CUMPARATOR%", ""), "the seller lists the buyer's message")
		require.Equal(t, 1, countInvoices(t, st, e.cos[buyer].ID, "MESAJ CUMPARATOR%", ""), "the buyer lists its message")
	})
}
