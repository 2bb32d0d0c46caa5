package anafcontract

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/invoice"
)

const creditNoteUnderFACT1 = "Fisierul transmis nu este valid. org.xml.sax.SAXParseException; lineNumber: "

// TestValidate: validare/{FACT1|FCN} with a token and in its public form;
// ok and nok are results, the bad-standard text is ErrInvalidRequest.
func TestValidate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for _, tok := range []string{b.token, ""} {
		name := "oauth"
		if tok == "" {
			name = "public"
		}
		t.Run(name, func(t *testing.T) {
			r, err := b.client.Validate(ctx, tok, anaf.StandardFACT1, b.file(t, "gen-01"))
			require.NoError(t, err)
			require.True(t, r.OK)
			require.Equal(t, "ok", r.State)
			require.Empty(t, r.Messages)
			require.NotEmpty(t, r.TraceID)

			r, err = b.client.Validate(ctx, tok, anaf.StandardFCN, b.file(t, "gen-05"))
			require.NoError(t, err)
			require.True(t, r.OK)

			r, err = b.client.Validate(ctx, tok, anaf.StandardFACT1, b.file(t, "gen-05"))
			require.NoError(t, err, "nok is a result, not an error")
			require.False(t, r.OK)
			require.Equal(t, "nok", r.State)
			require.Len(t, r.Messages, 1)
			require.True(t, strings.HasPrefix(r.Messages[0], creditNoteUnderFACT1), r.Messages[0])
			require.Contains(t, r.Messages[0], "cvc-elt.1.a: Cannot find the declaration of element 'CreditNote'.")

			_, err = b.client.Validate(ctx, tok, "XYZ", b.file(t, "gen-01"))
			e := requireANAFError(t, err, anaf.ErrInvalidRequest, anaf.KindInvalidRequest,
				"Valorile acceptate pentru parametrul standard sunt FACT1 si FCN")
			require.NotEmpty(t, e.TraceID)
		})
	}
	require.Equal(t, 8, b.calls("validare"))
}

// TestTransform: transformare/{std} returns ANAF's PDF; /DA skips
// validation (a document that does not validate still renders); without
// /DA such a document is ErrRejected with the nok text and trace id.
func TestTransform(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for _, tok := range []string{b.token, ""} {
		pdf, err := b.client.Transform(ctx, tok, anaf.StandardFACT1, b.file(t, "gen-01"), false)
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")), "%q", pdf[:min(len(pdf), 20)])
		require.Contains(t, string(pdf), "ALF-0001")

		pdf, err = b.client.Transform(ctx, tok, anaf.StandardFCN, b.file(t, "gen-05"), false)
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")))

		pdf, err = b.client.Transform(ctx, tok, anaf.StandardFACT1, b.file(t, "gen-05"), true)
		require.NoError(t, err, "/DA does not validate")
		require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")))

		_, err = b.client.Transform(ctx, tok, anaf.StandardFACT1, b.file(t, "gen-05"), false)
		e := requireANAFError(t, err, anaf.ErrRejected, anaf.KindRejected, "")
		require.True(t, strings.HasPrefix(e.Text, creditNoteUnderFACT1), e.Text)
		require.NotEmpty(t, e.TraceID)
	}
	require.Equal(t, 6, b.sim.Stats().OKCalls["transformare"])
}

// TestValidateSignature: the two files of a downloaded ZIP are valid
// (ANAF's exact success sentence); an altered document is not (the failure
// sentence); with a token and in the public form.
func TestValidateSignature(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	m := b.anyMessage(t, cifAlfa, anaf.TypeSent)
	z, err := b.client.Download(ctx, b.token, m.ID)
	require.NoError(t, err)
	a, err := invoice.ReadArchive(z)
	require.NoError(t, err)
	require.Equal(t, "semnatura_"+m.UploadID+".xml", a.SignatureName)

	for _, tok := range []string{b.token, ""} {
		r, err := b.client.ValidateSignature(ctx, tok, a.Document, a.Signature)
		require.NoError(t, err)
		require.True(t, r.Valid)
		require.Equal(t, anafsim.SignatureOKText, r.Text)

		altered := bytes.Replace(a.Document, []byte("ALFA SOFT SRL"), []byte("ALFA S0FT SRL"), 1)
		require.NotEqual(t, a.Document, altered)
		r, err = b.client.ValidateSignature(ctx, tok, altered, a.Signature)
		require.NoError(t, err, "an invalid signature is a result")
		require.False(t, r.Valid)
		require.Equal(t, anafsim.SignatureNOKText, r.Text)
	}

	// A missing part: HTTP 400 {"msg"}, ErrInvalidRequest with ANAF's msg.
	_, err = b.client.ValidateSignature(ctx, b.token, a.Document, nil)
	requireANAFError(t, err, anaf.ErrInvalidRequest, anaf.KindInvalidRequest,
		"Trebuie sa incarcati fisierul XML (file) si fisierul de semnatura (signature).")
}
