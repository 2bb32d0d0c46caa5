package anafsync_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func TestBuildInvoice(t *testing.T) {
	t.Parallel()

	sig := []byte(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>`)
	msg := anaf.Message{ID: "3012345678", UploadID: "5012345678", CIF: "12345674", Type: store.TypeReceived,
		CreatedAt: time.Date(2026, 1, 10, 8, 30, 0, 0, time.UTC), CIFEmitent: "98765438", CIFBeneficiar: "12345674"}

	t.Run("GarbageDocumentKeepsZIP", func(t *testing.T) {
		t.Parallel()
		for _, doc := range [][]byte{[]byte(`<Factura>not UBL</Factura>`), []byte(`this is not XML <<<`)} {
			z, err := invoice.BuildArchive(msg.UploadID, doc, sig)
			require.NoError(t, err)
			inv := anafsync.BuildInvoice(7, msg, z)
			require.Equal(t, z, inv.ZIP)
			sum := sha256.Sum256(z)
			require.Equal(t, sum[:], inv.ZIPSHA256)
			require.NotEmpty(t, inv.ParseError)
			require.Empty(t, inv.DocumentType)
			require.Empty(t, inv.InvoiceNumber)
			require.Nil(t, inv.ParsedJSON)
			// ANAF's metadata is kept whatever the document.
			require.Equal(t, int64(7), inv.CompanyID)
			require.Equal(t, msg.ID, inv.ANAFID)
			require.Equal(t, msg.UploadID, inv.UploadID)
			require.Equal(t, msg.Type, inv.MessageType)
			require.Equal(t, "98765438", inv.CIFEmitent)
			require.True(t, inv.ANAFCreatedAt.Equal(msg.CreatedAt))
		}
	})

	t.Run("NotAZIP", func(t *testing.T) {
		t.Parallel()
		body := []byte("PK\x03\x04 truncated")
		inv := anafsync.BuildInvoice(7, msg, body)
		require.Equal(t, body, inv.ZIP)
		require.Contains(t, inv.ParseError, "could not be read")
	})

	t.Run("StoredWithParseError", func(t *testing.T) {
		t.Parallel()
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			ctx := t.Context()
			c, err := st.CreateCompany(ctx, "12345674", "ALFA SOFT SRL")
			require.NoError(t, err)
			z, err := invoice.BuildArchive(msg.UploadID, []byte(`<Invoice/>`), sig)
			require.NoError(t, err)
			inv := anafsync.BuildInvoice(c.ID, msg, z)
			inserted, err := st.InsertInvoice(ctx, inv)
			require.NoError(t, err)
			require.True(t, inserted)
			got, err := st.InvoiceZIP(ctx, c.ID, inv.ID)
			require.NoError(t, err)
			require.Equal(t, z, got)
			back, err := st.InvoiceByID(ctx, c.ID, inv.ID)
			require.NoError(t, err)
			require.Equal(t, inv.ParseError, back.ParseError)
		})
	})

	t.Run("ErrorsDocumentByContent", func(t *testing.T) {
		t.Parallel()
		doc := []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<header xmlns="mfp:anaf:dgti:efactura:mesajEroriFactuta:v1" Index_incarcare="5012345678" Cif_emitent="12345674">
    <Error errorMessage="E: validari globale  SCHEMATRON   eroare: [BR-RO-110]-test"/>
</header>`)
		z, err := invoice.BuildArchive(msg.UploadID, doc, sig)
		require.NoError(t, err)
		m := msg
		m.Type, m.CIFEmitent = "", "" // classified by content; the CIF comes from the document
		inv := anafsync.BuildInvoice(7, m, z)
		require.Empty(t, inv.ParseError)
		require.Equal(t, "ANAFErrors", inv.DocumentType)
		require.Equal(t, "12345674", inv.CIFEmitent)
		require.Contains(t, string(inv.ParsedJSON), "BR-RO-110")
	})
}
