package gateway_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/invoice/render"
	"github.com/efactura-gateway/efactura/internal/invoice/view"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestInvoicePrincipals: each principal's tenant check. A user sees the
// invoices of the verified companies they belong to; a key those of its
// own verified company; an unverified company shows nothing to either,
// and nobody learns another company's invoice exists.
func TestInvoicePrincipals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		gw := &gateway.Service{Store: st, ExportCap: 1}
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
		add := func(c *store.Company, id string, zip []byte) *store.Invoice {
			if zip == nil {
				var err error
				zip, err = invoice.BuildArchive("5"+id[1:], invoicegen.Generate(1, 3)[0].Data, []byte(`<Signature/>`))
				require.NoError(t, err)
			}
			inv := anafsync.BuildInvoice(c.ID, anaf.Message{ID: id, UploadID: "5" + id[1:], CIF: c.CIF, Type: store.TypeReceived,
				Details: "Factura", CreatedAt: invoicegen.BaseDate, CIFEmitent: "12345674", CIFBeneficiar: c.CIF}, zip)
			ok, err := st.InsertInvoice(ctx, inv)
			require.NoError(t, err)
			require.True(t, ok)
			return inv
		}
		invA, invA2, invB := add(a, "3000000001", nil), add(a, "3000000002", []byte("not a zip")), add(b, "3000000003", nil)

		user := gateway.UserPrincipal(gateway.Actor{UserID: alice.ID})
		keyA := gateway.KeyOf(a.ID, gateway.ScopeRead, 1)
		keyB := gateway.KeyOf(b.ID, gateway.ScopeRead, 2)
		for name, p := range map[string]gateway.Principal{"user": user, "key": keyA} {
			got, c, err := gw.Invoice(ctx, p, invA.ID)
			require.NoError(t, err, name)
			require.Equal(t, invA.ID, got.ID)
			require.Equal(t, a.ID, c.ID)
			_, _, err = gw.Invoice(ctx, p, invB.ID)
			require.ErrorIs(t, err, gateway.ErrInvoiceNotFound, name)

			zip, err := gw.InvoiceDocument(ctx, p, invA.ID, gateway.DocZIP, "")
			require.NoError(t, err)
			require.Equal(t, "invoice_3000000001.zip", zip.FileName)
			_, err = gw.InvoiceDocument(ctx, p, invA2.ID, gateway.DocXML, "")
			var ge *gateway.Error
			require.ErrorAs(t, err, &ge)
			require.Equal(t, gateway.KindInvalid, ge.Kind)
			require.ErrorIs(t, err, gateway.ErrArchiveUnreadable)

			_, err = gw.Export(ctx, p, gateway.ExportRequest{CompanyID: a.ID, Format: "csv"})
			require.ErrorIs(t, err, gateway.ErrExportTooLarge, "two invoices, a cap of one")
			var tl *gateway.ExportTooLarge
			require.True(t, errors.As(err, &tl))
			require.Equal(t, gateway.ExportTooLarge{Total: 2, Limit: 1}, *tl)
		}
		_, err = gw.Invoices(ctx, keyA, b.ID, gateway.InvoiceFilter{Limit: 10}, "")
		require.ErrorIs(t, err, gateway.ErrNotFound, "a key sees only its company")
		_, err = gw.Invoices(ctx, user, b.ID, gateway.InvoiceFilter{Limit: 10}, "")
		require.ErrorIs(t, err, gateway.ErrNotFound, "a user sees only their companies")
		list, err := gw.Invoices(ctx, keyB, 0, gateway.InvoiceFilter{Limit: 10}, "")
		require.NoError(t, err)
		require.Equal(t, 1, list.Total)

		// A read key cannot start a sync.
		_, err = gw.StartSync(ctx, keyA, 0)
		require.ErrorIs(t, err, gateway.ErrInsufficientScope)
		_, err = gw.StartSync(ctx, gateway.KeyOf(a.ID, gateway.ScopeWrite, 1), 0)
		require.ErrorIs(t, err, gateway.ErrSyncUnavailable)

		// Unverified: nothing from ANAF, for a key and a user alike.
		unverified, err := st.CreateCompanyWithOwner(ctx, "31415920", "U SRL", alice.ID)
		require.NoError(t, err)
		add(unverified, "3000000004", nil)
		keyU := gateway.KeyOf(unverified.ID, gateway.ScopeRead, 3)
		list, err = gw.Invoices(ctx, keyU, 0, gateway.InvoiceFilter{Limit: 10}, "")
		require.NoError(t, err)
		require.Empty(t, list.Rows)
		require.Zero(t, list.Total)
		_, err = gw.Figures(ctx, user, unverified.ID, "2000-01-01")
		require.ErrorIs(t, err, gateway.ErrUnverified)

		// Dashboard: one tenant check for the page (issue 16), answering
		// what LastSync, Figures, SPVAtRisk and Invoices answer.
		q := gateway.DashboardQuery{Since: "2000-01-01", List: &gateway.InvoiceFilter{Limit: 10}}
		d, err := gw.Dashboard(ctx, user, a.ID, q)
		require.NoError(t, err)
		require.Equal(t, a.ID, d.Company.ID)
		require.Equal(t, store.RoleOwner, d.Company.Role)
		require.Nil(t, d.LastSync, "never synced")
		figures, err := gw.Figures(ctx, user, a.ID, "2000-01-01")
		require.NoError(t, err)
		require.Equal(t, figures, d.Figures)
		require.Equal(t, 2, d.Figures.Archived)
		atRisk, err := gw.SPVAtRisk(ctx, user, a.ID)
		require.NoError(t, err)
		require.Equal(t, atRisk.Messages, d.AtRisk.Messages)
		require.Equal(t, 2, d.List.Total)
		require.Len(t, d.List.Rows, 2)
		pf, err := st.Portfolio(ctx, alice.ID, time.Now())
		require.NoError(t, err)
		require.NotNil(t, pf[a.ID].LastVisit, "the visit is recorded for the portfolio")
		d, err = gw.Dashboard(ctx, user, a.ID, gateway.DashboardQuery{Since: "2000-01-01"})
		require.NoError(t, err)
		require.Nil(t, d.List, "no list asked for")
		for name, p := range map[string]gateway.Principal{"other company": user, "key": keyA, "nobody": {}} {
			_, err = gw.Dashboard(ctx, p, b.ID, q)
			require.ErrorIs(t, err, gateway.ErrNotFound, name)
		}
		d, err = gw.Dashboard(ctx, user, unverified.ID, q)
		require.NoError(t, err, "an unverified company's page says why it is empty")
		require.Equal(t, unverified.ID, d.Company.ID)
		require.Nil(t, d.Figures)
		require.Nil(t, d.AtRisk)
		require.Nil(t, d.List)
	})
}

// TestPDFGuardErrors: the render guard's refusals become gateway errors:
// too many lines is KindInvalid naming the limit, a busy renderer
// KindUnavailable with a retry-after.
func TestPDFGuardErrors(t *testing.T) {
	t.Parallel()
	st := storetest.NewSQLite(t)
	ctx := t.Context()
	c, err := st.CreateCompany(ctx, "98765438", "A SRL")
	require.NoError(t, err)
	_, err = st.SetCompanyVerified(ctx, c.ID, 0)
	require.NoError(t, err)
	zip, err := invoice.BuildArchive("5000000001", invoicegen.Generate(1, 3)[0].Data, []byte(`<Signature/>`))
	require.NoError(t, err)
	inv := anafsync.BuildInvoice(c.ID, anaf.Message{ID: "3000000001", UploadID: "5000000001", CIF: c.CIF, Type: store.TypeReceived,
		Details: "Factura", CreatedAt: invoicegen.BaseDate, CIFEmitent: "12345674", CIFBeneficiar: c.CIF}, zip)
	_, err = st.InsertInvoice(ctx, inv)
	require.NoError(t, err)
	key := gateway.KeyOf(c.ID, gateway.ScopeRead, 1)

	doc, err := (&gateway.Service{Store: st}).InvoiceDocument(ctx, key, inv.ID, gateway.DocPDF, "en")
	require.NoError(t, err)
	require.Equal(t, "application/pdf", doc.ContentType)
	require.Equal(t, "invoice_3000000001.pdf", doc.FileName)
	require.Len(t, doc.SHA256, 64)

	parsed, err := gateway.ParsedDocument(inv)
	require.NoError(t, err)
	require.Greater(t, len(parsed.Lines), 1, "the sample has several lines")
	tiny := &gateway.Service{Store: st, PDFGuard: render.NewGuard(render.GuardConfig{MaxLines: 1})}
	_, err = tiny.InvoiceDocument(ctx, key, inv.ID, gateway.DocPDF, "en")
	require.ErrorIs(t, err, gateway.ErrDocumentTooLarge)
	var tl *gateway.TooLarge
	require.ErrorAs(t, err, &tl)
	require.Equal(t, 1, tl.Limit)

	busy := render.NewGuard(render.GuardConfig{Concurrency: 1, Wait: 1, RetryAfter: 7e9})
	release, err := busy.Acquire(ctx)
	require.NoError(t, err)
	defer release()
	_, err = (&gateway.Service{Store: st, PDFGuard: busy}).InvoiceDocument(ctx, key, inv.ID, gateway.DocPDF, "en")
	var ge *gateway.Error
	require.ErrorAs(t, err, &ge)
	require.Equal(t, gateway.KindUnavailable, ge.Kind)
	require.Equal(t, 7, ge.RetryAfter)
}

// TestInvoicePage: the invoice page gets the view model the PDF is drawn
// from, in the page's language, with ANAF's facts even when the document
// could not be read; another company's invoice is not found.
func TestInvoicePage(t *testing.T) {
	t.Parallel()
	st := storetest.NewSQLite(t)
	ctx := t.Context()
	c, err := st.CreateCompany(ctx, "98765438", "A SRL")
	require.NoError(t, err)
	_, err = st.SetCompanyVerified(ctx, c.ID, 0)
	require.NoError(t, err)
	add := func(id string, zip []byte) *store.Invoice {
		inv := anafsync.BuildInvoice(c.ID, anaf.Message{ID: id, UploadID: "5" + id[1:], CIF: c.CIF, Type: store.TypeReceived,
			Details: "Factura", CreatedAt: invoicegen.BaseDate, CIFEmitent: "12345674", CIFBeneficiar: c.CIF}, zip)
		_, err := st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
		return inv
	}
	zip, err := invoice.BuildArchive("5000000001", invoicegen.Generate(1, 3)[0].Data, []byte(`<Signature/>`))
	require.NoError(t, err)
	good, broken := add("3000000001", zip), add("3000000002", []byte("not a zip"))
	gw := &gateway.Service{Store: st}
	key := gateway.KeyOf(c.ID, gateway.ScopeRead, 1)

	p, err := gw.InvoicePage(ctx, key, good.ID, "en")
	require.NoError(t, err)
	require.Equal(t, good.ID, p.Invoice.ID)
	require.Equal(t, c.ID, p.Company.ID)
	require.NotNil(t, p.View)
	parsed, err := gateway.ParsedDocument(good)
	require.NoError(t, err)
	require.Equal(t, parsed.Number, p.View.Number)
	require.Len(t, p.View.Lines, len(parsed.Lines))
	require.Equal(t, "Issue date", p.View.Meta[0].K, "labels in the page's language")
	require.Equal(t, p.View.Facts, p.Facts)
	require.Contains(t, p.Facts, view.KV{K: "Message id", V: "3000000001"})
	require.Empty(t, p.ParseError)

	p, err = gw.InvoicePage(ctx, key, broken.ID, "ro")
	require.NoError(t, err)
	require.Nil(t, p.View)
	require.NotEmpty(t, p.ParseError)
	require.Contains(t, p.Facts, view.KV{K: "ID mesaj", V: "3000000002"})

	_, err = gw.InvoicePage(ctx, gateway.KeyOf(c.ID+1, gateway.ScopeRead, 2), good.ID, "ro")
	require.ErrorIs(t, err, gateway.ErrInvoiceNotFound)
}
