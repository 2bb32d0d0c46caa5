package gateway_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestRevalidateArchive: invoices archived without a verdict (as before
// migration 00007) get one from RevalidateArchive; the invoice page and
// InvoiceWithVerdict show it; only administrators and the CLI may run it.
func TestRevalidateArchive(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		gw := &gateway.Service{Store: st}
		alice, err := st.CreateUser(ctx, "alice@example.test", "x", false, store.UserApproved)
		require.NoError(t, err)
		a, err := st.CreateCompanyWithOwner(ctx, "98765438", "A SRL", alice.ID)
		require.NoError(t, err)
		b, err := st.CreateCompany(ctx, "12345674", "B SRL")
		require.NoError(t, err)
		for _, c := range []*store.Company{a, b} {
			_, err = st.SetCompanyVerified(ctx, c.ID, 0)
			require.NoError(t, err)
		}
		docs := invoicegen.Generate(3, 3)
		// An invalid one: BT-1 removed (a fatal XSD and rule error).
		bad := docs[1].Data
		i := bytes.Index(bad, []byte("<cbc:ID>"))
		j := bytes.Index(bad[i:], []byte("</cbc:ID>")) + i + len("</cbc:ID>")
		bad = append(append([]byte{}, bad[:i]...), bad[j:]...)
		add := func(c *store.Company, id string, doc []byte, typ string) *store.Invoice {
			zip := []byte("not a zip")
			if doc != nil {
				zip, err = invoice.BuildArchive("5"+id[1:], doc, []byte(`<Signature/>`))
				require.NoError(t, err)
			}
			inv := anafsync.BuildInvoice(c.ID, anaf.Message{ID: id, UploadID: "5" + id[1:], CIF: c.CIF, Type: typ,
				Details: "Factura", CreatedAt: invoicegen.BaseDate, CIFEmitent: "12345674", CIFBeneficiar: c.CIF}, zip)
			_, err := st.InsertInvoice(ctx, inv)
			require.NoError(t, err)
			return inv
		}
		good := add(a, "3000000001", docs[0].Data, store.TypeReceived)
		invalid := add(a, "3000000002", bad, store.TypeReceived)
		unreadable := add(a, "3000000003", nil, store.TypeReceived)
		other := add(b, "3000000004", docs[2].Data, store.TypeSent)

		user := gateway.UserPrincipal(gateway.Actor{UserID: alice.ID})
		p, err := gw.InvoicePage(ctx, user, good.ID, "ro")
		require.NoError(t, err)
		require.Equal(t, gateway.VerdictPending, p.Verdict.State)
		require.Nil(t, p.Verdict.Report)

		// Not an administrator: refused.
		_, err = gw.RevalidateArchive(ctx, gateway.Actor{UserID: alice.ID}, "", false, nil)
		require.ErrorIs(t, err, gateway.ErrNotAdmin)
		_, err = gw.RevalidateArchive(ctx, gateway.Actor{CLI: true}, "RO 31415920", false, nil)
		require.ErrorIs(t, err, gateway.ErrRevalidateCompany)

		// One company first.
		var progress []int
		res, err := gw.RevalidateArchive(ctx, gateway.Actor{CLI: true}, "RO98765438", false, func(n int) { progress = append(progress, n) })
		require.NoError(t, err)
		require.Equal(t, a.ID, res.Company.ID)
		require.Equal(t, 3, res.Checked)
		require.Equal(t, 1, res.Invalid)
		require.Equal(t, 1, res.NotApplicable)
		require.Equal(t, 1, res.Valid)
		require.Equal(t, []int{3}, progress)
		require.Equal(t, gateway.ValidationCounts{Valid: 1, Invalid: 1, NotApplicable: 1, Warnings: res.After.Warnings}, res.After)

		inv, c, v, err := gw.InvoiceWithVerdict(ctx, user, invalid.ID)
		require.NoError(t, err)
		require.Equal(t, invalid.ID, inv.ID)
		require.Equal(t, a.ID, c.ID)
		require.Equal(t, gateway.VerdictInvalid, v.State)
		require.True(t, v.Current)
		require.Equal(t, gateway.ValidatedWith, v.ValidatedWith)
		require.Positive(t, v.Errors)
		require.NotNil(t, v.Report)
		require.Len(t, v.Report.Errors, v.Errors)
		require.NotEmpty(t, v.RawReport)
		p, err = gw.InvoicePage(ctx, user, unreadable.ID, "ro")
		require.NoError(t, err)
		require.Equal(t, gateway.VerdictNotApplicable, p.Verdict.State)
		_, _, _, err = gw.InvoiceWithVerdict(ctx, user, other.ID)
		require.ErrorIs(t, err, gateway.ErrInvoiceNotFound)

		// Every company: only what is left; then --all redoes everything.
		res, err = gw.RevalidateArchive(ctx, gateway.Actor{CLI: true}, "", false, nil)
		require.NoError(t, err)
		require.Nil(t, res.Company)
		require.Equal(t, 1, res.Checked)
		require.Equal(t, 4, res.After.Valid+res.After.Invalid+res.After.NotApplicable)
		require.Zero(t, res.After.Pending)
		res, err = gw.RevalidateArchive(ctx, gateway.Actor{CLI: true}, "", true, nil)
		require.NoError(t, err)
		require.Equal(t, 4, res.Checked)
	})
}
