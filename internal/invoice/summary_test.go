package invoice_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	sig := []byte(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>`)
	errs := []byte(`<header xmlns="mfp:anaf:dgti:efactura:mesajEroriFactuta:v1" Index_incarcare="5012345678" Cif_emitent="12345674">
    <Error errorMessage="E: [BR-RO-110]-test"/>
</header>`)
	zipOf := func(doc []byte) []byte {
		z, err := invoice.BuildArchive("5012345678", doc, sig)
		require.NoError(t, err)
		return z
	}

	t.Run("NotAZIP", func(t *testing.T) {
		s := invoice.Summarize([]byte("PK\x03\x04 truncated"), false)
		require.Contains(t, s.ParseError, "the ZIP from ANAF could not be read")
		require.Empty(t, s.DocumentType)
		require.Nil(t, s.ParsedJSON)
	})
	t.Run("ErrorListByContent", func(t *testing.T) {
		s := invoice.Summarize(zipOf(errs), false)
		require.Empty(t, s.ParseError)
		require.Equal(t, invoice.DocumentTypeANAFErrors, s.DocumentType)
		require.Equal(t, "12345674", s.CIFEmitent)
		require.Empty(t, s.CIFBeneficiar)
		require.JSONEq(t, `{"document_type":"ANAFErrors","upload_id":"5012345678","cif_emitent":"12345674","errors":["E: [BR-RO-110]-test"]}`, string(s.ParsedJSON))
	})
	t.Run("ErrorListByMessageType", func(t *testing.T) {
		s := invoice.Summarize(zipOf([]byte(`<Invoice/>`)), true)
		require.Equal(t, invoice.DocumentTypeANAFErrors, s.DocumentType)
		require.Contains(t, s.ParseError, "ANAF's error list could not be read")
		require.Nil(t, s.ParsedJSON)
	})
	t.Run("UnreadableDocument", func(t *testing.T) {
		s := invoice.Summarize(zipOf([]byte(`<Factura>not UBL</Factura>`)), false)
		require.NotEmpty(t, s.ParseError)
		require.Empty(t, s.DocumentType)
		require.Nil(t, s.ParsedJSON)
	})
}
