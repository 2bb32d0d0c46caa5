package riskcheck_test

import (
	"encoding/json"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/risk"
	"github.com/efactura-gateway/efactura/internal/riskcheck"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

const (
	beta  = "98765438" // the company (buyer)
	gamma = "31415920" // inactive and VAT cancelled from 2025-12-15 in the simulator
	alfa  = "12345674" // ordinary
)

var n int

// received stores a received invoice of company from supplier.
func received(t *testing.T, st *store.Store, companyID int64, supplier, number, date, total, vat, iban string) *store.Invoice {
	t.Helper()
	n++
	parsed := invoice.Invoice{Number: number, IssueDate: date, Currency: "RON",
		Seller:       invoice.Party{Name: "S", VATID: "RO" + supplier},
		Buyer:        invoice.Party{Name: "BETA TRADING SRL", VATID: "RO" + beta},
		VATBreakdown: []invoice.VATSubtotal{{Category: "S", Rate: "21.00"}},
		PaymentMeans: []invoice.PaymentMeans{{Code: "30", IBAN: iban}}}
	pj, err := json.Marshal(parsed)
	require.NoError(t, err)
	anafID := "40000" + string(rune('0'+n/10)) + string(rune('0'+n%10))
	inv := &store.Invoice{CompanyID: companyID, ANAFID: anafID, MessageType: store.TypeReceived,
		CIFEmitent: supplier, CIFBeneficiar: beta, ANAFCreatedAt: time.Date(2026, 1, 15, 7, 0, 0, 0, time.UTC),
		DocumentType: "380", InvoiceNumber: number, IssueDate: date, Currency: "RON", SupplierCIF: supplier,
		TotalAmount: total, VATAmount: vat, ParsedJSON: pj, ZIP: []byte("PK zip " + anafID)}
	_, err = st.InsertInvoice(t.Context(), inv)
	require.NoError(t, err)
	return inv
}

func codes(t *testing.T, st *store.Store, companyID, invoiceID int64) []string {
	t.Helper()
	flags, err := st.RiskFlags(t.Context(), companyID, invoiceID)
	require.NoError(t, err)
	out := []string{}
	for _, f := range flags {
		out = append(out, f.Code)
	}
	sort.Strings(out)
	return out
}

// TestChecker: the VAT client against the simulator over HTTP; an outage
// delays the VAT part (history flags stored, the invoice untouched) and
// it is retried later; a second ask of the same (CUI, date) is answered
// from the cache; mark checked, counts and the list filter.
func TestChecker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		clk := &clock{t: time.Date(2026, 1, 20, 9, 0, 0, 0, time.UTC)}
		sim, err := anafsim.New(anafsim.Options{Now: clk.Now})
		require.NoError(t, err)
		srv := httptest.NewServer(sim.Handler())
		t.Cleanup(srv.Close)
		client := anaf.New(anaf.Config{PublicBaseURL: srv.URL, Now: clk.Now, VATLimiter: rate.NewLimiter(rate.Inf, 1)})
		ch := riskcheck.New(riskcheck.Options{Store: st, ANAF: client, Now: clk.Now, Batch: 50})

		co, err := st.CreateCompany(ctx, beta, "BETA TRADING SRL")
		require.NoError(t, err)
		g1 := received(t, st, co.ID, gamma, "GMC-1", "2025-12-01", "1210.00", "210.00", "RO49AAAA1B31007593840000")
		g2 := received(t, st, co.ID, gamma, "GMC-2", "2026-01-10", "2420.00", "420.00", "RO09BCYP0000001234567890")
		a1 := received(t, st, co.ID, alfa, "ALF-1", "2026-01-12", "60500.00", "10500.00", "RO49AAAA1B31007593840001")

		// ANAF's VAT service is down: the history flags now, the VAT part later.
		require.NoError(t, sim.InjectFault(anafsim.Fault{Endpoint: "tva", Kind: anafsim.FaultHTTP503HTML}))
		res, err := ch.Step(ctx)
		require.NoError(t, err, "an outage is not a failure of the step")
		require.Equal(t, 3, res.Checked)
		require.Equal(t, 3, res.VATPending)
		require.ErrorIs(t, res.VATErr, anaf.ErrTransient)
		require.Equal(t, []string{risk.FlagIBANChanged}, codes(t, st, co.ID, g2.ID))
		require.Equal(t, []string{risk.FlagFirstLarge}, codes(t, st, co.ID, a1.ID))
		inv, err := st.InvoiceByID(ctx, co.ID, g2.ID)
		require.NoError(t, err, "the invoice is unaffected")
		require.Equal(t, "GMC-2", inv.InvoiceNumber)
		chk, err := st.RiskCheckOf(ctx, co.ID, g2.ID)
		require.NoError(t, err)
		require.False(t, chk.VATDone)
		require.Equal(t, 1, chk.Attempts)
		require.NotNil(t, chk.NextTryAt)

		// Not due yet: nothing to do.
		res, err = ch.Step(ctx)
		require.NoError(t, err)
		require.Zero(t, res.Checked)

		// Due: one request for the three (CUI, date) pairs.
		clk.Add(riskcheck.DefaultRetryBase + time.Second)
		calls := sim.Stats().Calls["tva"]
		res, err = ch.Step(ctx)
		require.NoError(t, err)
		require.NoError(t, res.VATErr)
		require.Equal(t, 3, res.Checked)
		require.Zero(t, res.VATPending)
		require.Equal(t, 1, res.Lookups)
		require.Equal(t, calls+1, sim.Stats().Calls["tva"])
		require.Empty(t, codes(t, st, co.ID, g1.ID), "GAMMA was active and registered on 2025-12-01")
		require.Equal(t, []string{risk.FlagIBANChanged, risk.FlagInactive, risk.FlagNotVATRegistered}, codes(t, st, co.ID, g2.ID))
		require.Equal(t, []string{risk.FlagFirstLarge}, codes(t, st, co.ID, a1.ID))
		chk, err = st.RiskCheckOf(ctx, co.ID, g2.ID)
		require.NoError(t, err)
		require.True(t, chk.VATDone)

		// The same supplier and date again: from the cache, ANAF not asked.
		g3 := received(t, st, co.ID, gamma, "GMC-3", "2026-01-10", "100.00", "0", "RO09BCYP0000001234567890")
		calls = sim.Stats().Calls["tva"]
		res, err = ch.Step(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, res.Checked)
		require.Equal(t, 1, res.CacheHits)
		require.Zero(t, res.Lookups)
		require.Equal(t, calls, sim.Stats().Calls["tva"])
		require.Equal(t, []string{risk.FlagInactive}, codes(t, st, co.ID, g3.ID), "no VAT charged: only inactive")

		// Counts, the list filter, mark checked.
		counts, err := st.RiskCounts(ctx, []int64{co.ID, co.ID + 1000})
		require.NoError(t, err)
		require.Equal(t, map[int64]int{co.ID: 3}, counts)
		list, total, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: co.ID, RiskUnchecked: true})
		require.NoError(t, err)
		require.Equal(t, 3, total)
		require.Len(t, list, 3)
		marked, err := st.MarkRiskFlagsChecked(ctx, co.ID, g2.ID, risk.FlagInactive, 0)
		require.NoError(t, err)
		require.EqualValues(t, 1, marked)
		marked, err = st.MarkRiskFlagsChecked(ctx, co.ID+1000, g2.ID, "", 0)
		require.NoError(t, err)
		require.Zero(t, marked, "another company's invoice is not touched")
		marked, err = st.MarkRiskFlagsChecked(ctx, co.ID, g2.ID, "", 0)
		require.NoError(t, err)
		require.EqualValues(t, 2, marked)
		_, total, err = st.Invoices(ctx, store.InvoiceFilter{CompanyID: co.ID, RiskUnchecked: true})
		require.NoError(t, err)
		require.Equal(t, 2, total)
		counts, err = st.RiskCounts(ctx, []int64{co.ID})
		require.NoError(t, err)
		require.Equal(t, 2, counts[co.ID])
	})
}

// TestTaxpayer: the add-company lookup through the checker: asked once,
// then from the cache; not found; an outage is the service's error.
func TestTaxpayer(t *testing.T) {
	st := storetest.NewSQLite(t)
	sim, err := anafsim.New(anafsim.Options{})
	require.NoError(t, err)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	ch := riskcheck.New(riskcheck.Options{Store: st, ANAF: anaf.New(anaf.Config{PublicBaseURL: srv.URL, VATLimiter: rate.NewLimiter(rate.Inf, 1)})})
	for range 2 {
		r, found, err := ch.Taxpayer(t.Context(), "12345674", "2026-01-10")
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, "ALFA SOFT SRL", r.Name)
	}
	require.Equal(t, 1, sim.Stats().Calls["tva"], "the second ask comes from the cache")
	_, found, err := ch.Taxpayer(t.Context(), "13579240", "2026-01-10")
	require.NoError(t, err)
	require.False(t, found)
	require.NoError(t, sim.InjectFault(anafsim.Fault{Endpoint: "tva", Kind: anafsim.FaultWAFHTML}))
	_, _, err = ch.Taxpayer(t.Context(), "98765438", "2026-01-10")
	require.ErrorIs(t, err, anaf.ErrTransient)
}
