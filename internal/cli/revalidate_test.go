package cli

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
)

func TestRevalidateCommand(t *testing.T) {
	t.Parallel()
	r := newRunner(t)
	code, _, errOut := r.run("migrate", "up")
	require.Equal(t, 0, code, errOut)
	code, _, errOut = r.run("company", "add", "RO12345674", "--name", "ALFA SOFT SRL")
	require.Equal(t, 0, code, errOut)

	// Two archived invoices without a verdict (as before migration 00007).
	ctx := context.Background()
	st, err := store.Open(ctx, r.env["DATABASE_URL"], store.PoolConfig{})
	require.NoError(t, err)
	c, err := st.CompanyByCIF(ctx, "12345674")
	require.NoError(t, err)
	for i, f := range invoicegen.Generate(2, 5) {
		id := []string{"3000000001", "3000000002"}[i]
		zip, err := invoice.BuildArchive("5"+id[1:], f.Data, []byte(`<Signature/>`))
		require.NoError(t, err)
		_, err = st.InsertInvoice(ctx, anafsync.BuildInvoice(c.ID, anaf.Message{ID: id, UploadID: "5" + id[1:], CIF: c.CIF,
			Type: store.TypeReceived, CreatedAt: invoicegen.BaseDate}, zip))
		require.NoError(t, err)
	}
	require.NoError(t, st.Close())

	code, out, errOut := r.run("revalidate")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "every company: 2 invoices validated with ro 1.0.9:")
	require.Contains(t, out, "0 not validated")

	code, out, errOut = r.run("revalidate", "--company", "RO12345674")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "company 12345674: 0 invoices validated")
	code, out, errOut = r.run("revalidate", "--company", "12345674", "--all")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "company 12345674: 2 invoices validated")

	code, _, errOut = r.run("revalidate", "--company", "31415920")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no company with that CIF")
}
