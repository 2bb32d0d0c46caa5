package gateway_test

import (
	"archive/zip"
	"bytes"
	"sort"
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

// TestPortfolioSearchBulk: the portfolio lists the user's companies only
// (in order, with what is new since their visit), the search and the
// bulk ZIP cover the user's verified companies (a key: its own), and the
// ZIP holds each original ZIP byte for byte (and PDFs when asked).
func TestPortfolioSearchBulk(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		gw := &gateway.Service{Store: st}
		alice, err := st.CreateUser(ctx, "alice@example.test", "x", false, store.UserApproved)
		require.NoError(t, err)
		bob, err := st.CreateUser(ctx, "bob@example.test", "x", false, store.UserApproved)
		require.NoError(t, err)
		a1, err := st.CreateCompanyWithOwner(ctx, "98765438", "Alfa SRL", alice.ID)
		require.NoError(t, err)
		a2, err := st.CreateCompanyWithOwner(ctx, "12345674", "Beta SRL", alice.ID)
		require.NoError(t, err)
		_, err = st.CreateCompanyWithOwner(ctx, "18547290", "Gama SRL", alice.ID) // unverified
		require.NoError(t, err)
		b1, err := st.CreateCompanyWithOwner(ctx, "14399840", "Bob SRL", bob.ID)
		require.NoError(t, err)
		for _, c := range []*store.Company{a1, a2, b1} {
			_, err = st.SetCompanyVerified(ctx, c.ID, 0)
			require.NoError(t, err)
		}
		docs := invoicegen.Generate(4, 1)
		zips := map[string][]byte{}
		add := func(c *store.Company, id string, n int) {
			z, err := invoice.BuildArchive("5"+id[1:], docs[n].Data, []byte(`<Signature/>`))
			require.NoError(t, err)
			zips[id] = z
			inv := anafsync.BuildInvoice(c.ID, anaf.Message{ID: id, UploadID: "5" + id[1:], CIF: c.CIF, Type: store.TypeReceived,
				Details: "Factura", CreatedAt: invoicegen.BaseDate, CIFEmitent: "12345674", CIFBeneficiar: c.CIF}, z)
			ok, err := st.InsertInvoice(ctx, inv)
			require.NoError(t, err)
			require.True(t, ok)
		}
		add(a1, "3000000001", 0)
		add(a2, "3000000002", 1)
		add(b1, "3000000003", 2)

		me := gateway.Actor{UserID: alice.ID}
		rows, err := gw.Portfolio(ctx, me)
		require.NoError(t, err)
		require.Len(t, rows, 3, "Alice's companies, not Bob's")
		require.Equal(t, []string{"Alfa SRL", "Beta SRL", "Gama SRL"}, []string{rows[0].Company.Name, rows[1].Company.Name, rows[2].Company.Name})
		require.Equal(t, 1, rows[0].NewInvoices, "never visited: everything is new")
		require.Equal(t, gateway.ConnDisconnected, rows[0].Conn)
		require.True(t, rows[0].NeedsAttention(), "not connected to ANAF")
		require.True(t, rows[2].NeedsAttention(), "unverified")
		gw.MarkVisited(ctx, me, a1.ID)
		gw.MarkVisited(ctx, gateway.Actor{UserID: alice.ID, ImpersonatorID: bob.ID}, a2.ID) // an impersonator leaves no mark
		gw.MarkVisited(ctx, me, b1.ID)                                                      // not a member: nothing
		rows, err = gw.Portfolio(ctx, me)
		require.NoError(t, err)
		require.Zero(t, rows[0].NewInvoices)
		require.NotNil(t, rows[0].LastVisit)
		require.Equal(t, 1, rows[1].NewInvoices)
		require.Nil(t, rows[1].LastVisit)
		require.Zero(t, rows[0].Risk)

		// An unchecked supplier risk flag on Alfa's invoice: its row counts it.
		var invID int64
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT id FROM invoices WHERE company_id = $1`, a1.ID).Scan(&invID))
		require.NoError(t, st.SaveRiskCheck(ctx, &store.RiskCheck{InvoiceID: invID, CompanyID: a1.ID, VATDone: true},
			[]store.RiskFlag{{Code: "iban_changed", Details: []byte(`{}`)}}))
		rows, err = gw.Portfolio(ctx, me)
		require.NoError(t, err)
		require.Equal(t, 1, rows[0].Risk)
		require.Zero(t, rows[1].Risk)
		_, err = gw.Portfolio(ctx, gateway.Actor{})
		require.Error(t, err)

		user := gateway.UserPrincipal(me)
		list, err := gw.SearchInvoices(ctx, user, gateway.SearchRequest{Filter: gateway.InvoiceFilter{Limit: 50}})
		require.NoError(t, err)
		require.Equal(t, 2, list.Total)
		require.Equal(t, 2, list.Searched, "verified companies only")
		for _, inv := range list.Rows {
			require.NotEqual(t, b1.ID, inv.CompanyID)
			require.NotNil(t, list.Companies[inv.CompanyID])
		}
		_, err = gw.SearchInvoices(ctx, user, gateway.SearchRequest{CompanyID: b1.ID})
		require.ErrorIs(t, err, gateway.ErrNotFound, "another's company")
		key := gateway.KeyOf(a2.ID, gateway.ScopeRead, 1)
		list, err = gw.SearchInvoices(ctx, key, gateway.SearchRequest{Filter: gateway.InvoiceFilter{Limit: 50}})
		require.NoError(t, err)
		require.Equal(t, 1, list.Total, "a key: its own company")
		require.Equal(t, a2.ID, list.Rows[0].CompanyID)

		read := func(b *gateway.Bulk) map[string][]byte {
			var buf bytes.Buffer
			require.NoError(t, b.Stream(&buf))
			zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			require.NoError(t, err)
			out := map[string][]byte{}
			for _, f := range zr.File {
				rc, err := f.Open()
				require.NoError(t, err)
				var body bytes.Buffer
				_, err = body.ReadFrom(rc)
				require.NoError(t, err)
				require.NoError(t, rc.Close())
				out[f.Name] = body.Bytes()
			}
			return out
		}
		bulk, err := gw.BulkDownload(ctx, user, gateway.BulkRequest{})
		require.NoError(t, err)
		require.Equal(t, 2, bulk.Count)
		require.Regexp(t, `^facturi_toate_\d{4}-\d{2}-\d{2}\.zip$`, bulk.FileName)
		got := read(bulk)
		names := make([]string, 0, len(got))
		for n := range got {
			names = append(names, n)
		}
		sort.Strings(names)
		require.Equal(t, []string{"12345674/primite/3000000002.zip", "98765438/primite/3000000001.zip"}, names)
		require.Equal(t, zips["3000000001"], got["98765438/primite/3000000001.zip"], "the original bytes")

		bulk, err = gw.BulkDownload(ctx, user, gateway.BulkRequest{SearchRequest: gateway.SearchRequest{CompanyID: a1.ID}, PDF: true, Lang: "en"})
		require.NoError(t, err)
		require.Regexp(t, `^facturi_98765438_`, bulk.FileName)
		got = read(bulk)
		require.Len(t, got, 2)
		require.True(t, bytes.HasPrefix(got["98765438/primite/3000000001.pdf"], []byte("%PDF")))

		capped := &gateway.Service{Store: st, BulkCap: 1}
		_, err = capped.BulkDownload(ctx, user, gateway.BulkRequest{})
		require.ErrorIs(t, err, gateway.ErrExportTooLarge)

		doc, err := gw.SearchExport(ctx, user, gateway.SearchRequest{Text: "3000000001"}, "csv", false, "en")
		require.NoError(t, err)
		require.Regexp(t, `^facturi_toate_`, doc.FileName)
		_, err = gw.SearchExport(ctx, user, gateway.SearchRequest{}, "pdf", false, "en")
		require.ErrorIs(t, err, gateway.ErrExportFormat)

		atRisk, err := gw.SPVAtRisk(ctx, user, a1.ID)
		require.NoError(t, err)
		require.Zero(t, atRisk.Messages)
		require.False(t, atRisk.Stale, "added just now")
		_, err = gw.SPVAtRisk(ctx, user, b1.ID)
		require.ErrorIs(t, err, gateway.ErrNotFound)
	})
}
