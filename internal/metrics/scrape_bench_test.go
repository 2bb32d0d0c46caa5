package metrics

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// BenchmarkStoreScrape is one /metrics scrape with the alert figures read
// afresh (no OpsEvery cache), on PostgreSQL holding 300 verified
// companies with 10 sync runs each, 300 ANAF connections without a refresh
// exp (each looks its consent up in the audit log) and 3,000 uploads.
func BenchmarkStoreScrape(b *testing.B) {
	st := storetest.NewPostgres(b)
	ctx := b.Context()
	db := st.DB()
	now := time.Now()
	for i := range 300 {
		c, err := st.CreateCompany(ctx, fmt.Sprint(1000+i), "C")
		if err != nil {
			b.Fatal(err)
		}
		u, err := st.CreateUser(ctx, fmt.Sprintf("u%d@example.ro", i), "h", false, "approved")
		if err != nil {
			b.Fatal(err)
		}
		if err := st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: []byte("a"), RefreshTokenEnc: []byte("r"),
			ExpiresAt: now.Add(time.Hour), Status: "connected", UpdatedAt: now}); err != nil {
			b.Fatal(err)
		}
		if err := st.Audit(ctx, &store.AuditEvent{ActorID: &u.ID, Action: store.ActionANAFConnect, Target: store.TargetUser(u.ID)}); err != nil {
			b.Fatal(err)
		}
		for j := range 10 {
			if _, err := db.ExecContext(ctx, `INSERT INTO sync_runs (company_id, started_at, finished_at, status) VALUES ($1, $2, $2, $3)`,
				c.ID, now.Add(-time.Duration(j)*time.Hour), []string{"ok", "failed"}[j%2]); err != nil {
				b.Fatal(err)
			}
			if err := st.CreateUpload(ctx, &store.Upload{CompanyID: c.ID, SellerCIF: c.CIF, InvoiceNumber: fmt.Sprint(j),
				IssueDate: now.AddDate(0, 0, -j*5).Format(time.DateOnly), State: []string{"ok", "nok", "pending"}[j%3], DocSHA256: []byte{1}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := db.ExecContext(ctx, `UPDATE companies SET status = 'verified'`); err != nil {
		b.Fatal(err)
	}
	m := New(nil)
	m.RegisterDB(db)
	m.RegisterStore(st, nil)
	b.ResetTimer()
	for b.Loop() {
		m.storeOpsReset()
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
