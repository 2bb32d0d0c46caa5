package riskcheck_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/riskcheck"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// validCUI returns a CUI with body as its digits and a correct check digit.
func validCUI(body int) string {
	const key = "753217532"
	b := fmt.Sprint(body)
	pad := len(key) - len(b)
	sum := 0
	for i := range len(b) {
		sum += int(b[i]-'0') * int(key[pad+i]-'0')
	}
	c := sum * 10 % 11
	if c == 10 {
		c = 0
	}
	return b + fmt.Sprint(c)
}

// seedFirstSync stores what a company's first sync leaves: n received
// invoices from suppliers suppliers over the last two months, each with
// a parsed document of 10 lines.
func seedFirstSync(b *testing.B, st *store.Store, n, suppliers int) {
	b.Helper()
	ctx := b.Context()
	co, err := st.CreateCompany(ctx, beta, "BETA TRADING SRL")
	require.NoError(b, err)
	start := time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := range n {
		supplier := validCUI(1000000 + i%suppliers*7)
		date := start.AddDate(0, 0, i%60).Format(time.DateOnly)
		number := fmt.Sprintf("F-%05d", i)
		parsed := invoice.Invoice{Number: number, IssueDate: date, Currency: "RON",
			Seller:       invoice.Party{Name: "S", VATID: "RO" + supplier},
			Buyer:        invoice.Party{Name: "BETA TRADING SRL", VATID: "RO" + beta},
			VATBreakdown: []invoice.VATSubtotal{{Category: "S", Rate: "21.00"}},
			PaymentMeans: []invoice.PaymentMeans{{Code: "30", IBAN: "RO49AAAA1B31007593840000"}}}
		for l := range 10 {
			parsed.Lines = append(parsed.Lines, invoice.Line{ID: fmt.Sprint(l + 1), Name: "Servicii de consultanță și mentenanță lunară"})
		}
		pj, err := json.Marshal(parsed)
		require.NoError(b, err)
		id := fmt.Sprintf("5%09d", i)
		_, err = st.InsertInvoice(ctx, &store.Invoice{CompanyID: co.ID, ANAFID: id, MessageType: store.TypeReceived,
			CIFEmitent: supplier, CIFBeneficiar: beta, ANAFCreatedAt: time.Date(2026, 1, 15, 7, 0, 0, 0, time.UTC),
			DocumentType: "380", InvoiceNumber: number, IssueDate: date, Currency: "RON", SupplierCIF: supplier,
			TotalAmount: "1210.00", VATAmount: "210.00", ParsedJSON: pj, ZIP: []byte("PK zip " + id)})
		require.NoError(b, err)
	}
}

// BenchmarkFirstSync: the risk checks of a company's first sync (1,600
// received invoices from 40 suppliers), from nothing checked and nothing
// cached to done, against the simulator's VAT service unpaced (ANAF's pace
// of one request a second adds ~16 s of waiting, not CPU). cpu-ms/op is
// this process's CPU (the database server's is not counted).
func BenchmarkFirstSync(b *testing.B) {
	for name, open := range map[string]func(testing.TB) *store.Store{"SQLite": storetest.NewSQLite, "PostgreSQL": storetest.NewPostgres} {
		b.Run(name, func(b *testing.B) {
			st := open(b)
			seedFirstSync(b, st, 1600, 40)
			clk := &clock{t: time.Date(2026, 1, 20, 9, 0, 0, 0, time.UTC)}
			sim, err := anafsim.New(anafsim.Options{Now: clk.Now})
			require.NoError(b, err)
			srv := httptest.NewServer(sim.Handler())
			b.Cleanup(srv.Close)
			client := anaf.New(anaf.Config{PublicBaseURL: srv.URL, Now: clk.Now, VATLimiter: rate.NewLimiter(rate.Inf, 1)})
			var cpu time.Duration
			steps, lookups := 0, 0
			for b.Loop() {
				b.StopTimer()
				for _, q := range []string{`DELETE FROM invoice_risk_flags`, `DELETE FROM invoice_risk_checks`, `DELETE FROM vat_lookups`} {
					_, err := st.DB().ExecContext(b.Context(), q)
					require.NoError(b, err)
				}
				ch := riskcheck.New(riskcheck.Options{Store: st, ANAF: client, Now: clk.Now})
				c0 := cpuTime()
				b.StartTimer()
				checked := 0
				for {
					res, err := ch.Step(b.Context())
					require.NoError(b, err)
					require.NoError(b, res.VATErr)
					checked += res.Checked
					steps++
					lookups += res.Lookups
					if !res.More {
						break
					}
				}
				b.StopTimer()
				cpu += cpuTime() - c0
				require.Equal(b, 1600, checked)
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(lookups)/float64(b.N), "vat-requests/op")
			b.ReportMetric(float64(steps)/float64(b.N), "steps/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
