// Command apiseed fills a gateway database for bench/api.sh: one verified
// company (BETA TRADING SRL) owned by an approved admin, -invoices
// invoices made from generated UBL documents (real ZIPs and parsed JSON,
// issue dates spread over two years, received and sent), and -keys active
// API keys of that company, their risk checks recorded as done and their
// events as dispatched. It prints
// the company id and one key.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
)

func main() {
	db := flag.String("db", "", "database URL (sqlite:PATH or postgres://...)")
	n := flag.Int("invoices", 10000, "invoices")
	keys := flag.Int("keys", 10000, "active API keys")
	email := flag.String("email", "bench@example.com", "admin e-mail")
	password := flag.String("password", "bench-password-1234", "admin password")
	flag.Parse()
	if err := run(context.Background(), *db, *n, *keys, *email, *password); err != nil {
		fmt.Fprintln(os.Stderr, "apiseed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dbURL string, n, keys int, email, password string) error {
	st, err := store.Open(ctx, dbURL, store.PoolConfig{MaxConns: 2})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	u, err := st.CreateUser(ctx, email, hash, true, store.UserApproved)
	if err != nil {
		return err
	}
	me := invoicegen.Companies[1]
	c, err := st.CreateCompanyWithOwner(ctx, me.CIF, me.Name, u.ID)
	if err != nil {
		return err
	}
	if _, err := st.SetCompanyVerified(ctx, c.ID, u.ID); err != nil {
		return err
	}
	docs := invoicegen.Generate(200, 16)
	type built struct {
		zip []byte
		sum invoice.Summary
	}
	base := make([]built, len(docs))
	for i, d := range docs {
		z, err := invoice.BuildArchive(strconv.Itoa(5000000+i), d.Data, []byte("<Signature/>"))
		if err != nil {
			return err
		}
		base[i] = built{z, invoice.Summarize(z, false)}
	}
	day0 := time.Now().UTC().AddDate(0, 0, -730)
	const batch = 500
	for start := 0; start < n; start += batch {
		err := st.WithTx(ctx, func(tx *store.Store) error {
			for i := start; i < min(start+batch, n); i++ {
				b := base[i%len(base)]
				s := b.sum
				typ := store.TypeReceived
				if s.SupplierCIF == me.CIF {
					typ = store.TypeSent
				}
				issue := day0.AddDate(0, 0, i*730/n)
				inv := &store.Invoice{
					CompanyID: c.ID, ANAFID: strconv.Itoa(4000000000 + i), UploadID: strconv.Itoa(5000000000 + i),
					MessageType: typ, CIFEmitent: s.CIFEmitent, CIFBeneficiar: s.CIFBeneficiar,
					ANAFCreatedAt: issue.Add(time.Hour), ZIP: b.zip, DocumentType: s.DocumentType,
					InvoiceNumber: fmt.Sprintf("%s/%05d", s.InvoiceNumber, i), IssueDate: issue.Format(time.DateOnly),
					DueDate: s.DueDate, Currency: s.Currency, IssuerName: s.IssuerName, ReceiverName: s.ReceiverName,
					SupplierCIF: s.SupplierCIF, TotalAmount: s.TotalAmount, VATAmount: s.VATAmount,
					ParsedJSON: s.ParsedJSON, SyncedAt: issue.Add(2 * time.Hour),
				}
				if _, err := tx.InsertInvoice(ctx, inv); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	var now any = time.Now().UTC()
	if st.Dialect() == store.SQLite {
		now = time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	// The invoices' risk checks are recorded as done (no flags): otherwise
	// the gateway's risk job works through all of them (their supplier
	// histories, and VAT lookups retried offline) while the benchmark
	// measures the gateway's CPU, which it would dominate.
	if _, err := st.DB().ExecContext(ctx, `
		INSERT INTO invoice_risk_checks (invoice_id, company_id, computed_at, vat_done)
		SELECT id, company_id, $1, TRUE FROM invoices WHERE company_id = $2`, now, c.ID); err != nil {
		return err
	}
	// Their invoice.received/sent events as dispatched too: otherwise the
	// gateway's sweep_events dispatches all of them during the run.
	if _, err := st.DB().ExecContext(ctx, `UPDATE events SET dispatched_at = created_at WHERE company_id = $1`, c.ID); err != nil {
		return err
	}
	var first string
	for start := 0; start < keys; start += batch {
		err := st.WithTx(ctx, func(tx *store.Store) error {
			for i := start; i < min(start+batch, keys); i++ {
				key, prefix, h, err := auth.NewAPIKey()
				if err != nil {
					return err
				}
				if first == "" {
					first = key
				}
				if err := tx.CreateAPIKey(ctx, &store.APIKey{CompanyID: c.ID, UserID: u.ID, Name: "bench " + strconv.Itoa(i),
					Prefix: prefix, Hash: h, Scope: store.ScopeRead}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if st.Dialect() == store.Postgres {
		if _, err := st.DB().ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			return err
		}
	} else if _, err := st.DB().ExecContext(ctx, `ANALYZE`); err != nil {
		return err
	}
	fmt.Println(c.ID, first)
	return nil
}
