package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
)

// archiveFixture: a migrated SQLite database with a verified company and
// n archived invoices (real UBL in ANAF-style ZIPs), chained as archived.
func archiveFixture(t *testing.T, n int) (*runner, *store.Company, []*store.Invoice) {
	t.Helper()
	r := newRunner(t)
	code, _, errOut := r.run("migrate", "up")
	require.Equal(t, 0, code, errOut)
	ctx := context.Background()
	st, err := store.Open(ctx, r.env["DATABASE_URL"], store.PoolConfig{})
	require.NoError(t, err)
	defer st.Close()
	c, err := st.CreateCompany(ctx, "98765438", "BETA TRADING SRL")
	require.NoError(t, err)
	_, err = st.SetCompanyVerified(ctx, c.ID, 0)
	require.NoError(t, err)
	var invs []*store.Invoice
	for i, doc := range invoicegen.Generate(n, 3) {
		id := fmt.Sprintf("300000000%d", i+1)
		z, err := invoice.BuildArchive("5"+id[1:], doc.Data, []byte(`<Signature/>`))
		require.NoError(t, err)
		inv := anafsync.BuildInvoice(c.ID, anaf.Message{ID: id, UploadID: "5" + id[1:], CIF: c.CIF, Type: store.TypeReceived,
			Details: "Factura", CreatedAt: invoicegen.BaseDate, CIFEmitent: "12345674", CIFBeneficiar: c.CIF}, z)
		_, err = st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
		invs = append(invs, inv)
	}
	_, err = st.TakeChainDigests(ctx, time.Now().UTC().Format(time.DateOnly), time.Now())
	require.NoError(t, err)
	return r, c, invs
}

// copyDB makes a copy of r's database (the backup command) and a runner on it.
func copyDB(t *testing.T, r *runner) (*runner, *store.Store) {
	t.Helper()
	cp := newRunner(t)
	path := filepath.Join(t.TempDir(), "copy.db")
	code, _, errOut := r.run("backup", "--out", path)
	require.Equal(t, 0, code, errOut)
	cp.env["DATABASE_URL"] = "sqlite:" + path
	st, err := store.Open(context.Background(), cp.env["DATABASE_URL"], store.PoolConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return cp, st
}

// TestVerifyArchiveNamesDamage: in a copy of the database, one archived
// byte altered, one invoice row deleted and one chain entry deleted are
// each named, and the exit code is 1; a chain rewritten by someone who can
// write the database passes without --heads and fails with the heads
// exported before.
func TestVerifyArchiveNamesDamage(t *testing.T) {
	t.Parallel()
	r, c, invs := archiveFixture(t, 5)
	code, out, errOut := r.run("verify-archive")
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "1 companies: 5 chain entries checked, 0 exported heads compared, 0 problems")
	require.Contains(t, out, "only accidental damage is detected")

	// The daily heads, exported as a company keeps them (the gateway's file).
	ctx := context.Background()
	st, err := store.Open(ctx, r.env["DATABASE_URL"], store.PoolConfig{})
	require.NoError(t, err)
	headsDoc, err := (&gateway.Service{Store: st}).ChainHeadsFile(ctx, gateway.KeyOf(c.ID, gateway.ScopeRead, 1), c.ID)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	heads := filepath.Join(t.TempDir(), "heads.csv")
	require.NoError(t, os.WriteFile(heads, headsDoc.Body, 0o600))
	code, out, errOut = r.run("verify-archive", "--heads", heads, "--company", "RO98765438")
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "1 exported heads compared, 0 problems")

	damaged, dst := copyDB(t, r)
	// One byte of invoice 2's ZIP; invoice 4's row; invoice 5's chain entry.
	var z []byte
	require.NoError(t, dst.DB().QueryRowContext(ctx, `SELECT zip FROM invoice_blobs WHERE invoice_id = $1`, invs[1].ID).Scan(&z))
	z[len(z)/2] ^= 1
	_, err = dst.DB().ExecContext(ctx, `UPDATE invoice_blobs SET zip = $1 WHERE invoice_id = $2`, z, invs[1].ID)
	require.NoError(t, err)
	_, err = dst.DB().ExecContext(ctx, `DELETE FROM invoices WHERE id = $1`, invs[3].ID)
	require.NoError(t, err)
	_, err = dst.DB().ExecContext(ctx, `DELETE FROM archive_chain WHERE invoice_id = $1`, invs[4].ID)
	require.NoError(t, err)
	code, out, errOut = damaged.run("verify-archive")
	require.Equal(t, 1, code, out)
	require.Contains(t, errOut, "problems in the archive")
	require.Contains(t, out, fmt.Sprintf("entry 2: the stored ZIP of invoice %d (message 3000000002) has SHA-256", invs[1].ID))
	require.Contains(t, out, "the ZIP was altered")
	require.Contains(t, out, fmt.Sprintf("entry 4 names invoice %d (message 3000000004), whose row was deleted", invs[3].ID))
	require.Contains(t, out, fmt.Sprintf("invoice %d (message 3000000005) has no chain entry", invs[4].ID))
	require.Contains(t, out, "the chain's head row says 5 entries")

	// A chain entry deleted in the middle is the first broken link.
	_, err = dst.DB().ExecContext(ctx, `DELETE FROM archive_chain WHERE invoice_id = $1`, invs[2].ID)
	require.NoError(t, err)
	code, out, _ = damaged.run("verify-archive")
	require.Equal(t, 1, code)
	require.Contains(t, out, "the chain is broken at entry 3: entry 3 is missing (the next entry is 4)")

	// Rewritten by someone who can write the database: ZIP replaced, the
	// chain and its head rebuilt. Only the heads kept elsewhere show it.
	rewritten, rst := copyDB(t, r)
	other := []byte("PK not the ZIP ANAF signed")
	_, err = rst.DB().ExecContext(ctx, `UPDATE invoice_blobs SET zip = $1 WHERE invoice_id = $2`, other, invs[0].ID)
	require.NoError(t, err)
	_, err = rst.DB().ExecContext(ctx, `UPDATE invoices SET zip_sha256 = $1 WHERE id = $2`, sha256Bytes(other), invs[0].ID)
	require.NoError(t, err)
	for _, q := range []string{`DELETE FROM archive_chain`, `DELETE FROM archive_chain_heads`, `DELETE FROM archive_chain_digests`} {
		_, err = rst.DB().ExecContext(ctx, q)
		require.NoError(t, err)
	}
	_, err = rst.BackfillChain(ctx)
	require.NoError(t, err)
	code, out, _ = rewritten.run("verify-archive")
	require.Equal(t, 0, code, "without the exported heads a rewritten chain is not detected: "+out)
	code, out, _ = rewritten.run("verify-archive", "--heads", heads)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "entry 5 is not the head exported on")
	require.Contains(t, out, "the chain was rewritten")
}

// TestAuditPackOfflineCheck: an audit pack re-verifies offline with the
// real `sha256sum -c` on its manifest and `verify-archive --pack`; a ZIP
// altered inside the pack fails both.
func TestAuditPackOfflineCheck(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum (coreutils) is needed")
	}
	r, c, invs := archiveFixture(t, 3)
	ctx := context.Background()
	st, err := store.Open(ctx, r.env["DATABASE_URL"], store.PoolConfig{})
	require.NoError(t, err)
	defer st.Close()
	gw := &gateway.Service{Store: st}
	ap, err := gw.AuditPack(ctx, gateway.KeyOf(c.ID, gateway.ScopeRead, 1), gateway.AuditPackRequest{From: "2000-01-01", To: "31.12.2099", Lang: "ro"})
	require.NoError(t, err)
	require.Equal(t, len(invs), ap.Invoices)
	var buf bytes.Buffer
	require.NoError(t, ap.Write(ctx, &buf))
	pack := filepath.Join(t.TempDir(), ap.FileName)
	require.NoError(t, os.WriteFile(pack, buf.Bytes(), 0o600))

	dir := unzipTo(t, buf.Bytes())
	sums := exec.Command("sha256sum", "-c", "SHA256SUMS")
	sums.Dir = dir
	outb, err := sums.CombinedOutput()
	require.NoError(t, err, string(outb))
	require.Contains(t, string(outb), "zip/3000000001.zip: OK")
	require.Contains(t, string(outb), "pdf/3000000001.pdf: OK")
	idx, err := os.ReadFile(filepath.Join(dir, "index.csv"))
	require.NoError(t, err)
	recs, err := csv.NewReader(bytes.NewReader(idx)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 1+len(invs))
	require.FileExists(t, filepath.Join(dir, "README.txt"))

	code, out, errOut := r.run("verify-archive", "--pack", pack)
	require.Equal(t, 0, code, errOut+out)
	require.Contains(t, out, "3 chain entries checked")

	// One byte of a ZIP in the pack.
	alteredDir := unzipTo(t, buf.Bytes())
	zp := filepath.Join(alteredDir, "zip", "3000000002.zip")
	b, err := os.ReadFile(zp)
	require.NoError(t, err)
	b[10] ^= 1
	require.NoError(t, os.WriteFile(zp, b, 0o600))
	sums = exec.Command("sha256sum", "--quiet", "-c", "SHA256SUMS")
	sums.Dir = alteredDir
	outb, err = sums.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(outb), "zip/3000000002.zip: FAILED")
	altered := filepath.Join(t.TempDir(), "altered.zip")
	require.NoError(t, os.WriteFile(altered, rezip(t, buf.Bytes(), "zip/3000000002.zip", b), 0o600))
	code, out, _ = r.run("verify-archive", "--pack", altered)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "zip/3000000002.zip: SHA-256")
	require.Contains(t, out, "the ZIP is not the one archived")
}

func sha256Bytes(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

func unzipTo(t *testing.T, pack []byte) string {
	t.Helper()
	dir := t.TempDir()
	zr, err := zip.NewReader(bytes.NewReader(pack), int64(len(pack)))
	require.NoError(t, err)
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		body, err := io.ReadAll(rc)
		require.NoError(t, err)
		_ = rc.Close()
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, body, 0o600))
	}
	return dir
}

// rezip copies a pack with one file's contents replaced.
func rezip(t *testing.T, pack []byte, name string, body []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pack), int64(len(pack)))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		require.NoError(t, err)
		if f.Name == name {
			_, err = w.Write(body)
		} else {
			rc, oerr := f.Open()
			require.NoError(t, oerr)
			_, err = io.Copy(w, rc)
			_ = rc.Close()
		}
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return out.Bytes()
}
