package store_test

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func sampleInvoice(companyID int64, anafID string) *store.Invoice {
	return &store.Invoice{
		CompanyID:     companyID,
		ANAFID:        anafID,
		UploadID:      "5000" + anafID,
		MessageType:   store.TypeReceived,
		Details:       "Factura cu id_incarcare=5000" + anafID,
		CIFEmitent:    "12345674",
		CIFBeneficiar: "98765438",
		ANAFCreatedAt: time.Date(2026, 1, 15, 7, 41, 7, 0, time.UTC),
		DocumentType:  "380",
		InvoiceNumber: "AS-" + anafID,
		IssueDate:     "2026-01-15",
		DueDate:       "2026-02-14",
		Currency:      "RON",
		IssuerName:    "ALFA SOFT SRL",
		ReceiverName:  "BETA TRADING SRL",
		SupplierCIF:   "12345674",
		TotalAmount:   "1190.00",
		VATAmount:     "190.00",
		ParsedJSON:    []byte(`{"number":"AS-` + anafID + `"}`),
		ZIP:           []byte("PK\x03\x04 zip of " + anafID),
	}
}

func ids(list []store.Invoice) []string {
	out := make([]string, len(list))
	for i, inv := range list {
		out[i] = inv.ANAFID
	}
	return out
}

func TestInvoiceInsertAndRead(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		other := mkCompany(t, st, "12345674")

		inv := sampleInvoice(c.ID, "3012345671")
		inserted, err := st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
		require.True(t, inserted)
		require.NotZero(t, inv.ID)
		sum := sha256.Sum256(inv.ZIP)
		require.Equal(t, sum[:], inv.ZIPSHA256)

		// Idempotent on (company, anaf id).
		again := sampleInvoice(c.ID, "3012345671")
		again.InvoiceNumber = "CHANGED"
		inserted, err = st.InsertInvoice(ctx, again)
		require.NoError(t, err)
		require.False(t, inserted)
		require.Equal(t, inv.ID, again.ID)

		// The same message archived for another company is another row.
		theirs := sampleInvoice(other.ID, "3012345671")
		inserted, err = st.InsertInvoice(ctx, theirs)
		require.NoError(t, err)
		require.True(t, inserted)
		require.NotEqual(t, inv.ID, theirs.ID)

		got, err := st.InvoiceByID(ctx, c.ID, inv.ID)
		require.NoError(t, err)
		want := *inv
		want.ZIP = nil
		require.Equal(t, want, *got, "every column round-trips, ParsedJSON included, ZIP not loaded")
		require.Equal(t, "1190.00", got.TotalAmount, "amount as written")

		_, err = st.InvoiceByID(ctx, other.ID, inv.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "another company's invoice")

		zip, err := st.InvoiceZIP(ctx, c.ID, inv.ID)
		require.NoError(t, err)
		require.Equal(t, inv.ZIP, zip)
		_, err = st.InvoiceZIP(ctx, other.ID, inv.ID)
		require.ErrorIs(t, err, store.ErrNotFound)

		zip, err = st.ArchivedZIP(ctx, "3012345671")
		require.NoError(t, err)
		require.Equal(t, inv.ZIP, zip)
		_, err = st.ArchivedZIP(ctx, "404")
		require.ErrorIs(t, err, store.ErrNotFound)

		have, err := st.ExistingANAFIDs(ctx, c.ID, []string{"3012345671", "3012345672", "' OR 1=1 --"})
		require.NoError(t, err)
		require.Equal(t, map[string]bool{"3012345671": true}, have)
		many := make([]string, 1200)
		for i := range many {
			many[i] = fmt.Sprint(i)
		}
		many[1100] = "3012345671"
		have, err = st.ExistingANAFIDs(ctx, c.ID, many)
		require.NoError(t, err)
		require.Equal(t, map[string]bool{"3012345671": true}, have, "chunked")
		have, err = st.ExistingANAFIDs(ctx, c.ID, nil)
		require.NoError(t, err)
		require.Empty(t, have)

		n, err := st.CountInvoices(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, 1, n)

		// A message that could not be parsed: no terms, no JSON.
		bad := &store.Invoice{CompanyID: c.ID, ANAFID: "3012345679", MessageType: store.TypeErrors,
			ANAFCreatedAt: time.Now(), ParseError: "not XML", ZIP: []byte("zip")}
		_, err = st.InsertInvoice(ctx, bad)
		require.NoError(t, err)
		got, err = st.InvoiceByID(ctx, c.ID, bad.ID)
		require.NoError(t, err)
		require.Empty(t, got.IssueDate)
		require.Nil(t, got.ParsedJSON)
		require.Equal(t, "not XML", got.ParseError)
	})
}

func TestInvoiceFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		other := mkCompany(t, st, "12345674")
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		rows := []struct {
			anafID, typ, number, date, issuer, receiver, supplier, total string
		}{
			{"100", store.TypeReceived, "A-1", "2026-01-10", "ALFA SOFT SRL", "BETA", "RO12345674", "1190.00"},
			{"99", store.TypeReceived, "A-2", "2026-01-20", "Ștefan Construct SRL", "BETA", "12345674", "20.5"},
			{"101", store.TypeSent, "B_1%", "2026-02-01", "BETA", "GAMMA 100% SRL", "98765438", "300"},
			{"102", store.TypeErrors, "", "", "", "", "", ""},
			{"103", store.TypeSent, "B-2", "2025-12-31", "BETA", "Delta", "98765438", "-5.00"},
		}
		for i, r := range rows {
			inv := sampleInvoice(c.ID, r.anafID)
			inv.MessageType, inv.InvoiceNumber, inv.IssueDate = r.typ, r.number, r.date
			inv.IssuerName, inv.ReceiverName, inv.SupplierCIF, inv.TotalAmount = r.issuer, r.receiver, r.supplier, r.total
			inv.SyncedAt = base.Add(time.Duration(i) * time.Hour)
			_, err := st.InsertInvoice(ctx, inv)
			require.NoError(t, err)
		}
		_, err := st.InsertInvoice(ctx, sampleInvoice(other.ID, "500"))
		require.NoError(t, err)

		tests := []struct {
			name  string
			f     store.InvoiceFilter
			want  []string
			total int
		}{
			{"DefaultOrder", store.InvoiceFilter{}, []string{"101", "99", "100", "103", "102"}, 5},
			{"Type", store.InvoiceFilter{MessageType: store.TypeSent}, []string{"101", "103"}, 2},
			{"SupplierDigits", store.InvoiceFilter{SupplierCIF: "12345674"}, []string{"99", "100"}, 2},
			{"SupplierWithRO", store.InvoiceFilter{SupplierCIF: "ro 12345674"}, []string{"99", "100"}, 2},
			{"SupplierAsWritten", store.InvoiceFilter{SupplierCIF: "RO12345674"}, []string{"99", "100"}, 2},
			{"DateRange", store.InvoiceFilter{DateFrom: "2026-01-01", DateTo: "2026-01-20"}, []string{"99", "100"}, 2},
			{"DateFrom", store.InvoiceFilter{DateFrom: "2026-01-15"}, []string{"101", "99"}, 2},
			{"QueryCaseInsensitive", store.InvoiceFilter{Query: "alfa soft"}, []string{"100"}, 1},
			{"QueryNumber", store.InvoiceFilter{Query: "a-2"}, []string{"99"}, 1},
			{"QueryReceiver", store.InvoiceFilter{Query: "delta"}, []string{"103"}, 1},
			{"QueryDiacritics", store.InvoiceFilter{Query: "ștefan"}, []string{"99"}, 1},
			{"QueryWithoutDiacritics", store.InvoiceFilter{Query: "STEFAN"}, []string{"99"}, 1},
			{"QueryPercentIsLiteral", store.InvoiceFilter{Query: "100%"}, []string{"101"}, 1},
			{"QueryUnderscoreIsLiteral", store.InvoiceFilter{Query: "b_1"}, []string{"101"}, 1},
			{"QueryLoneWildcard", store.InvoiceFilter{Query: "%"}, []string{"101"}, 1},
			{"QueryNoMatch", store.InvoiceFilter{Query: "zzz"}, []string{}, 0},
			{"SortTotalAsc", store.InvoiceFilter{SortBy: "total_amount"}, []string{"103", "99", "101", "100", "102"}, 5},
			{"SortTotalDesc", store.InvoiceFilter{SortBy: "total_amount", SortDesc: true}, []string{"100", "101", "99", "103", "102"}, 5},
			{"SortDateAsc", store.InvoiceFilter{SortBy: "invoice_date"}, []string{"103", "100", "99", "101", "102"}, 5},
			{"SortSyncedDesc", store.InvoiceFilter{SortBy: "synced_at", SortDesc: true}, []string{"103", "102", "101", "99", "100"}, 5},
			{"SortANAFIDNumeric", store.InvoiceFilter{SortBy: "anaf_id"}, []string{"99", "100", "101", "102", "103"}, 5},
			{"Page1", store.InvoiceFilter{Limit: 2}, []string{"101", "99"}, 5},
			{"Page2", store.InvoiceFilter{Limit: 2, Offset: 2}, []string{"100", "103"}, 5},
			{"Page3", store.InvoiceFilter{Limit: 2, Offset: 4}, []string{"102"}, 5},
			{"PagePastEnd", store.InvoiceFilter{Limit: 2, Offset: 10}, []string{}, 5},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := tt.f
				f.CompanyID = c.ID
				list, total, err := st.Invoices(ctx, f)
				require.NoError(t, err)
				require.Equal(t, tt.want, append([]string{}, ids(list)...))
				require.Equal(t, tt.total, total)
				for _, inv := range list {
					require.Nil(t, inv.ZIP)
					require.Nil(t, inv.ParsedJSON)
				}
			})
		}

		t.Run("HostileSort", func(t *testing.T) {
			for _, sortBy := range []string{
				"id; DROP TABLE invoices; --",
				"(SELECT 1)",
				"issue_date DESC, (SELECT password_hash FROM users)",
				"1",
				"INVOICE_DATE",
			} {
				list, total, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID, SortBy: sortBy})
				require.NoError(t, err, sortBy)
				require.Equal(t, 5, total)
				require.Equal(t, []string{"101", "99", "100", "103", "102"}, ids(list), "falls back to the default order")
				require.False(t, store.ValidInvoiceSort(sortBy))
			}
			require.True(t, store.ValidInvoiceSort("total_amount"))
			require.True(t, store.ValidInvoiceSort(""))
		})

		t.Run("InjectionStringsMatchNothing", func(t *testing.T) {
			for _, evil := range []string{
				"' OR '1'='1",
				"'; DROP TABLE invoices; --",
				`\' OR 1=1 --`,
				"1) OR (1=1",
			} {
				for _, f := range []store.InvoiceFilter{
					{MessageType: evil}, {SupplierCIF: evil}, {DateFrom: evil, DateTo: evil}, {Query: evil},
				} {
					f.CompanyID = c.ID
					list, total, err := st.Invoices(ctx, f)
					require.NoError(t, err)
					require.Empty(t, list, "%+v", f)
					require.Zero(t, total)
				}
			}
			n, err := st.CountInvoices(ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, 5, n, "the table is still there")
		})
	})
}

// Sync workers of several companies insert at once: no "database is locked".
func TestInvoiceConcurrentInserts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		const workers, perWorker = 6, 15
		var wg sync.WaitGroup
		errs := make(chan error, workers*perWorker*2)
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					// Every worker also retries ids another worker inserts.
					for _, id := range []string{fmt.Sprintf("%d%03d", w+1, i), fmt.Sprintf("9%03d", i)} {
						if _, err := st.InsertInvoice(ctx, sampleInvoice(c.ID, id)); err != nil {
							errs <- err
						}
					}
					if _, _, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID, Limit: 5}); err != nil {
						errs <- err
					}
					// Read then write in one transaction: with deferred
					// transactions SQLite fails the lock upgrade at once.
					err := st.WithTx(ctx, func(tx *store.Store) error {
						n, err := tx.CountInvoices(ctx, c.ID)
						if err != nil {
							return err
						}
						return tx.Audit(ctx, &store.AuditEvent{Action: "test.count", Details: fmt.Sprint(n)})
					})
					if err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		n, err := st.CountInvoices(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, workers*perWorker+perWorker, n)
	})
}

func TestSystemFiguresAndAmounts(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := t.Context()
	mkUser(t, st, "a@example.ro")
	_, err := st.CreateUser(ctx, "p@example.ro", "h", true, store.UserPending)
	require.NoError(t, err)
	c := mkCompany(t, st, "98765438")
	for i, id := range []string{"1", "2"} {
		inv := sampleInvoice(c.ID, id)
		if i == 1 {
			inv.MessageType, inv.IssueDate, inv.Currency, inv.TotalAmount = store.TypeSent, "2026-02-03", "EUR", "10.50"
		}
		_, err := st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
	}
	run, err := st.StartSyncRun(ctx, c.ID)
	require.NoError(t, err)
	run.Status, run.New = "ok", 2
	require.NoError(t, st.FinishSyncRun(ctx, run))

	f, err := st.SystemFigures(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]int{store.UserApproved: 1, store.UserPending: 1}, f.UsersByStatus)
	require.Equal(t, 1, f.Admins)
	require.Equal(t, 1, f.Companies)
	require.Equal(t, 2, f.Invoices)
	require.Len(t, f.LastSyncs, 1)
	require.Equal(t, "ok", f.LastSyncs[0].Run.Status)
	require.Equal(t, c.Name, f.LastSyncs[0].CompanyName)

	amounts, err := st.InvoiceAmounts(ctx, c.ID, "2026-02-01")
	require.NoError(t, err)
	require.Equal(t, []store.InvoiceAmount{{IssueDate: "2026-02-03", MessageType: store.TypeSent, Currency: "EUR", Total: "10.50"}}, amounts)

	for _, tt := range []struct {
		partner string
		want    int
	}{{"", 2}, {"RO12345674", 2}, {"98765438", 2}, {"beta", 2}, {"gamma", 0}, {"11111111", 0}} {
		list, total, err := st.InvoicesWithPartner(ctx, store.InvoiceFilter{CompanyID: c.ID, Limit: 1}, tt.partner)
		require.NoError(t, err, tt.partner)
		require.Equal(t, tt.want, total, tt.partner)
		require.LessOrEqual(t, len(list), 1)
	}
}
