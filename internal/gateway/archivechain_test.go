package gateway_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
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

// TestVerifyArchive on both databases: a sound archive has no problem;
// an altered ZIP byte, a deleted invoice row, a deleted chain entry and
// an altered entry are each named; the check is the operator's only.
func TestVerifyArchive(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		gw := &gateway.Service{Store: st}
		c, err := st.CreateCompany(ctx, "98765438", "A SRL")
		require.NoError(t, err)
		_, err = st.SetCompanyVerified(ctx, c.ID, 0)
		require.NoError(t, err)
		var invs []*store.Invoice
		for i, doc := range invoicegen.Generate(6, 3) {
			id := fmt.Sprintf("310000000%d", i+1)
			z, err := invoice.BuildArchive("5"+id[1:], doc.Data, []byte(`<Signature/>`))
			require.NoError(t, err)
			inv := anafsync.BuildInvoice(c.ID, anaf.Message{ID: id, UploadID: "5" + id[1:], CIF: c.CIF, Type: store.TypeReceived,
				Details: "Factura", CreatedAt: invoicegen.BaseDate, CIFEmitent: "12345674", CIFBeneficiar: c.CIF}, z)
			_, err = st.InsertInvoice(ctx, inv)
			require.NoError(t, err)
			invs = append(invs, inv)
		}
		_, err = gw.VerifyArchive(ctx, gateway.Actor{UserID: 1}, "", nil)
		require.ErrorIs(t, err, gateway.ErrCLIOnly)
		cli := gateway.Actor{CLI: true}
		rep, err := gw.VerifyArchive(ctx, cli, "RO98765438", nil)
		require.NoError(t, err)
		require.Empty(t, rep.Problems)
		require.Equal(t, int64(6), rep.Entries)
		_, err = gw.VerifyArchive(ctx, cli, "12345674", nil)
		require.ErrorIs(t, err, gateway.ErrNotFound)

		exec := func(q string, args ...any) {
			_, err := st.DB().ExecContext(ctx, q, args...)
			require.NoError(t, err)
		}
		exec(`UPDATE invoice_blobs SET zip = $1 WHERE invoice_id = $2`, []byte("PK altered"), invs[0].ID)
		exec(`DELETE FROM invoices WHERE id = $1`, invs[1].ID)
		exec(`UPDATE archive_chain SET anaf_id = 'forged' WHERE invoice_id = $1`, invs[3].ID)
		exec(`DELETE FROM archive_chain WHERE invoice_id = $1`, invs[5].ID)
		rep, err = gw.VerifyArchive(ctx, cli, "", nil)
		require.NoError(t, err)
		all := strings.Join(rep.Problems, "\n")
		require.Contains(t, all, fmt.Sprintf("entry 1: the stored ZIP of invoice %d (message 3100000001) has SHA-256", invs[0].ID))
		require.Contains(t, all, fmt.Sprintf("entry 2 names invoice %d (message 3100000002), whose row was deleted", invs[1].ID))
		require.Contains(t, all, "the chain is broken at entry 4: its recorded hash")
		require.Contains(t, all, "the entry was altered")
		require.Contains(t, all, fmt.Sprintf("invoice %d (message 3100000006) has no chain entry", invs[5].ID))
		require.Contains(t, all, "the chain's head row says 6 entries")
		require.Len(t, rep.Problems, 6, all) // also: entry 4 names another message than its row
	})
}

// TestAuditPackCap: a period with more invoices than AuditPackMax is
// refused before anything is written; a user who is no member gets 404.
func TestAuditPackRefusals(t *testing.T) {
	t.Parallel()
	st := storetest.NewSQLite(t)
	ctx := t.Context()
	c, err := st.CreateCompany(ctx, "98765438", "A SRL")
	require.NoError(t, err)
	_, err = st.SetCompanyVerified(ctx, c.ID, 0)
	require.NoError(t, err)
	for i, doc := range invoicegen.Generate(3, 3) {
		id := fmt.Sprintf("320000000%d", i+1)
		z, err := invoice.BuildArchive("5"+id[1:], doc.Data, []byte(`<Signature/>`))
		require.NoError(t, err)
		_, err = st.InsertInvoice(ctx, anafsync.BuildInvoice(c.ID, anaf.Message{ID: id, UploadID: "5" + id[1:], CIF: c.CIF, Type: store.TypeReceived,
			Details: "Factura", CreatedAt: invoicegen.BaseDate, CIFEmitent: "12345674", CIFBeneficiar: c.CIF}, z))
		require.NoError(t, err)
	}
	gw := &gateway.Service{Store: st}
	key := gateway.KeyOf(c.ID, gateway.ScopeRead, 1)
	max := gateway.AuditPackMax
	t.Cleanup(func() { gateway.AuditPackMax = max })
	gateway.AuditPackMax = 2
	_, err = gw.AuditPack(ctx, key, gateway.AuditPackRequest{From: "2000-01-01", To: "2099-12-31"})
	require.ErrorIs(t, err, gateway.ErrAuditTooLarge)
	gateway.AuditPackMax = max
	for _, bad := range [][2]string{{"", "2026-01-01"}, {"2026-13-01", "2026-12-31"}, {"2026-02-01", "2026-01-31"}} {
		_, err = gw.AuditPack(ctx, key, gateway.AuditPackRequest{From: bad[0], To: bad[1]})
		require.ErrorIs(t, err, gateway.ErrAuditPeriod, "%v", bad)
	}
	u, err := st.CreateUser(ctx, "x@example.test", "x", false, store.UserApproved)
	require.NoError(t, err)
	_, err = gw.AuditPack(ctx, gateway.UserPrincipal(gateway.Actor{UserID: u.ID}), gateway.AuditPackRequest{CompanyID: c.ID, From: "2000-01-01", To: "2099-12-31"})
	require.ErrorIs(t, err, gateway.ErrNotFound)
	// A pack of the whole archive checks; an empty period too.
	for _, period := range [][2]string{{"2000-01-01", "2099-12-31"}, {"1990-01-01", "1990-01-02"}} {
		ap, err := gw.AuditPack(ctx, key, gateway.AuditPackRequest{From: period[0], To: period[1]})
		require.NoError(t, err)
		var buf bytes.Buffer
		require.NoError(t, ap.Write(ctx, &buf))
		rep, err := gateway.VerifyAuditPack(bytes.NewReader(buf.Bytes()), int64(buf.Len()), nil)
		require.NoError(t, err)
		require.Empty(t, rep.Problems)
		// Unpacked and zipped again with `zip -r`, which adds the folders'
		// own entries: still clean (they were named "added" files).
		rezipped := withFolderEntries(t, buf.Bytes())
		rep, err = gateway.VerifyAuditPack(bytes.NewReader(rezipped), int64(len(rezipped)), nil)
		require.NoError(t, err)
		require.Empty(t, rep.Problems)
	}
}

// withFolderEntries copies a ZIP, adding an entry for each folder first.
func withFolderEntries(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, dir := range []string{"pdf/", "zip/"} {
		_, err := zw.CreateHeader(&zip.FileHeader{Name: dir})
		require.NoError(t, err)
	}
	for _, f := range zr.File {
		require.NoError(t, zw.Copy(f))
	}
	require.NoError(t, zw.Close())
	return out.Bytes()
}
