package gateway_test

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// sentFixture stores a made-up history of sent invoices for company c
// (seller CIF c.CIF) and returns the invoice ids by number. Times are
// ANAF's message times, in Romania.
func sentFixture(t *testing.T, st *store.Store, c *store.Company) map[string]int64 {
	t.Helper()
	ctx := t.Context()
	ro, err := time.LoadLocation("Europe/Bucharest")
	require.NoError(t, err)
	ids := map[string]int64{}
	n := 0
	add := func(typ, number, issue, created, total string) *store.Invoice {
		n++
		at, err := time.ParseInLocation("2006-01-02 15:04", created, ro)
		require.NoError(t, err)
		zip := []byte(fmt.Sprintf("zip %d", n))
		sum := sha256.Sum256(zip)
		inv := &store.Invoice{
			CompanyID: c.ID, ANAFID: fmt.Sprintf("40000%05d", n), UploadID: fmt.Sprintf("50000%05d", n), MessageType: typ,
			CIFEmitent: c.CIF, CIFBeneficiar: "98765438", ANAFCreatedAt: at.UTC(), DocumentType: "Invoice",
			InvoiceNumber: number, IssueDate: issue, Currency: "RON", SupplierCIF: c.CIF, TotalAmount: total,
			ZIP: zip, ZIPSHA256: sum[:], SyncedAt: at.UTC(),
		}
		ok, err := st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
		require.True(t, ok)
		if _, seen := ids[number]; !seen && inv.DuplicateOf == 0 && typ == store.TypeSent {
			ids[number] = inv.ID
		}
		return inv
	}
	add(store.TypeSent, "FCT-0098", "2025-12-29", "2025-12-30 10:00", "100.00")
	add(store.TypeSent, "FCT-0099", "2025-12-30", "2026-01-09 10:00", "100.00") // due 5.1.2026 (calendar regime): 4 days late
	add(store.TypeSent, "FCT-0001", "2026-01-05", "2026-01-06 10:00", "100.00") // restart in the new year
	add(store.TypeSent, "FCT-0002", "2026-01-08", "2026-01-09 10:00", "100.00")
	add(store.TypeSent, "FCT-0005", "2026-01-12", "2026-01-13 10:00", "100.00") // 0003, 0004 missing
	rep := add(store.TypeSent, "FCT-0005", "2026-01-12", "2026-01-14 10:00", "100.00")
	require.NotZero(t, rep.DuplicateOf, "ANAF's re-publication is marked and left out")
	add(store.TypeSent, "FCT-0006", "2026-01-13", "2026-01-14 10:00", "100.00")
	add(store.TypeSent, "FCT-0006", "2026-01-20", "2026-01-21 10:00", "250.00") // the same number again: a repeat
	add(store.TypeSent, "FCT-0007", "2026-02-02", "2026-02-12 09:00", "100.00") // due 9.2 (working days): 3 days late
	add(store.TypeReceived, "FCT-0010", "2026-01-20", "2026-01-21 10:00", "100.00")
	add(store.TypeSent, "PROFORMA", "2026-01-20", "2026-01-21 10:00", "100.00") // does not follow the pattern
	return ids
}

// TestCompliance: the deadline and numbering check of a company's sent
// invoices, archived and uploaded, on SQLite and PostgreSQL; the tenant
// check; the company's own pattern, validated and audited.
func TestCompliance(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		gw := &gateway.Service{Store: st, Now: func() time.Time { return now }}
		owner, err := st.CreateUser(ctx, "owner@example.test", "x", false, store.UserApproved)
		require.NoError(t, err)
		member, err := st.CreateUser(ctx, "member@example.test", "x", false, store.UserApproved)
		require.NoError(t, err)
		stranger, err := st.CreateUser(ctx, "stranger@example.test", "x", false, store.UserApproved)
		require.NoError(t, err)
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SRL", owner.ID)
		require.NoError(t, err)
		require.NoError(t, st.InsertMembership(ctx, c.ID, member.ID, store.RoleMember, false))
		_, err = st.SetCompanyVerified(ctx, c.ID, 0)
		require.NoError(t, err)
		ids := sentFixture(t, st, c)

		// Uploads: one accepted late (its own time counts, not ANAF's message), one refused and never sent.
		sentAt := time.Date(2026, 2, 20, 8, 0, 0, 0, time.UTC)
		up := &store.Upload{CompanyID: c.ID, State: store.UploadSending, SellerCIF: c.CIF, InvoiceNumber: "FCT-0008",
			IssueDate: "2026-02-05", DocSHA256: []byte("x")}
		require.NoError(t, st.CreateUpload(ctx, up))
		require.NoError(t, st.UpdateUpload(ctx, up.ID, store.UploadUpdate{State: store.UploadOK, SentAt: &sentAt}))
		nok := &store.Upload{CompanyID: c.ID, State: store.UploadNOK, SellerCIF: c.CIF, InvoiceNumber: "FCT-0009",
			IssueDate: "2026-02-06", DocSHA256: []byte("y")}
		require.NoError(t, st.CreateUpload(ctx, nok))

		for name, p := range map[string]gateway.Principal{
			"member": gateway.UserPrincipal(gateway.Actor{UserID: member.ID}),
			"key":    gateway.KeyOf(c.ID, gateway.ScopeRead, 1),
		} {
			r, err := gw.Compliance(ctx, p, c.ID, "2025-12-01", "2026-03-01")
			require.NoError(t, err, name)
			require.True(t, r.PatternIsDefault)
			require.Equal(t, "2025-12-01", r.From)

			d := r.Deadlines
			require.Equal(t, 11, d.Checked, "9 archived identities and 2 uploads")
			late := map[string]int{}
			for _, row := range d.Late {
				late[row.Number] = row.DaysLate
				if row.Number == "FCT-0008" {
					require.Equal(t, up.ID, row.UploadID)
				}
			}
			require.Equal(t, map[string]int{"FCT-0099": 4, "FCT-0007": 3, "FCT-0008": 8}, late) // 0008: due 12.2, sent 20.2
			require.Len(t, d.Overdue, 1)
			require.Equal(t, "FCT-0009", d.Overdue[0].Number)
			require.Equal(t, nok.ID, d.Overdue[0].UploadID)

			n := r.Numbering
			require.Equal(t, 1, n.UnmatchedCount)
			require.Equal(t, "PROFORMA", n.Unmatched[0].Number)
			require.Len(t, n.Series, 2, "2025 and the restarted 2026")
			require.Equal(t, "FCT-0098", n.Series[0].First)
			s := n.Series[1]
			require.Equal(t, "FCT-0001", s.First)
			require.Equal(t, "FCT-0008", s.Last, "FCT-0009 was refused: ANAF does not hold it")
			require.Equal(t, uint64(2), s.MissingCount)
			require.Equal(t, "FCT-0003", s.Missing[0].First)
			require.Equal(t, "FCT-0004", s.Missing[0].Last)
			require.Len(t, n.Repeats, 1)
			require.Len(t, n.Repeats[0].Invoices, 2)
			require.Equal(t, ids["FCT-0006"], n.Repeats[0].Invoices[0].InvoiceID)
		}

		// The default period: 1 January of this year to today.
		r, err := gw.Compliance(ctx, gateway.KeyOf(c.ID, gateway.ScopeWrite, 1), 0, "", "")
		require.NoError(t, err)
		require.Equal(t, "2026-01-01", r.From)
		require.Equal(t, "2026-03-02", r.To)
		require.Len(t, r.Numbering.Series, 1)

		// Tenant check and input.
		_, err = gw.Compliance(ctx, gateway.UserPrincipal(gateway.Actor{UserID: stranger.ID}), c.ID, "", "")
		require.ErrorIs(t, err, gateway.ErrNotFound)
		_, err = gw.Compliance(ctx, gateway.KeyOf(c.ID+1, gateway.ScopeRead, 2), c.ID, "", "")
		require.ErrorIs(t, err, gateway.ErrNotFound)
		_, err = gw.Compliance(ctx, gateway.Principal{}, c.ID, "", "")
		require.ErrorIs(t, err, gateway.ErrNotFound)
		_, err = gw.Compliance(ctx, gateway.KeyOf(c.ID, gateway.ScopeRead, 1), 0, "01.02.2026", "")
		require.ErrorIs(t, err, gateway.ErrComplianceFrom)
		_, err = gw.Compliance(ctx, gateway.KeyOf(c.ID, gateway.ScopeRead, 1), 0, "2026-03-01", "2026-02-01")
		require.ErrorIs(t, err, gateway.ErrCompliancePeriod)
		_, err = gw.Compliance(ctx, gateway.KeyOf(c.ID, gateway.ScopeRead, 1), 0, "2020-01-01", "2026-02-01")
		require.ErrorIs(t, err, gateway.ErrCompliancePeriod)

		// The company's pattern: owners only, checked, audited, used.
		ownerA, memberA := gateway.Actor{UserID: owner.ID, Email: owner.Email}, gateway.Actor{UserID: member.ID}
		require.ErrorIs(t, gw.SetNumberingPattern(ctx, memberA, c.ID, `^FCT-(?P<number>\d+)$`), gateway.ErrNotFound)
		for pat, want := range map[string]*gateway.Error{
			`^FCT-(\d+)$`: gateway.ErrPatternNoNumber,
			`(?P<number>`: gateway.ErrPatternSyntax,
			string(make([]byte, 300)) + `(?P<number>\d+)`: gateway.ErrPatternLong,
		} {
			err := gw.SetNumberingPattern(ctx, ownerA, c.ID, pat)
			var fe gateway.FieldErrors
			require.ErrorAs(t, err, &fe)
			require.Equal(t, want, fe[0])
		}
		require.NoError(t, gw.SetNumberingPattern(ctx, ownerA, c.ID, `^(?P<series>FCT)-(?P<number>\d+)$`))
		events, err := st.AuditEvents(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, store.ActionCompanyNumberingPattern, events[0].Action)
		require.Contains(t, events[0].Details, `(?P<series>FCT)`)
		pat, def, err := gw.NumberingPattern(ctx, ownerA, c.ID)
		require.NoError(t, err)
		require.Equal(t, `^(?P<series>FCT)-(?P<number>\d+)$`, pat)
		require.NotEqual(t, pat, def)
		r, err = gw.Compliance(ctx, gateway.KeyOf(c.ID, gateway.ScopeRead, 1), 0, "2026-01-01", "2026-03-01")
		require.NoError(t, err)
		require.False(t, r.PatternIsDefault)
		require.Equal(t, "FCT", r.Numbering.Series[0].Series.Label())
		require.NoError(t, gw.SetNumberingPattern(ctx, ownerA, c.ID, ""))
		pat, _, err = gw.NumberingPattern(ctx, ownerA, c.ID)
		require.NoError(t, err)
		require.Empty(t, pat)
	})
}
