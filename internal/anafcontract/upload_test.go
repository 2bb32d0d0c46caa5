package anafcontract

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/invoice"
)

const processing = 5 * time.Minute

// findByUpload returns cif's messages (paginated list) for one upload index.
func (b *bundle) findByUpload(t *testing.T, cif, idx string) []anaf.Message {
	t.Helper()
	var out []anaf.Message
	for _, m := range b.list(t, cif, anaf.ListOptions{}) {
		if m.UploadID == idx {
			out = append(out, m)
		}
	}
	return out
}

// TestUploadStatusDownload: every upload form walks stareMesaj from
// "in prelucrare" to "ok" once the simulator's ProcessingDelay has passed
// on the shared clock; the id_descarcare downloads a ZIP holding the
// uploaded bytes; the lists carry the messages ANAF produces for the form.
func TestUploadStatusDownload(t *testing.T) {
	t.Parallel()
	type want struct {
		cif, tip string
	}
	tests := []struct {
		name   string
		file   string
		opts   anaf.UploadOptions
		msgs   []want // messages of the upload, per CIF
		absent []string
		self   bool
	}{
		{name: "UBL invoice", file: "gen-01", opts: anaf.UploadOptions{Standard: anaf.StandardUBL, CIF: cifAlfa},
			msgs: []want{{cifAlfa, anaf.TypeSent}, {cifGamma, anaf.TypeReceived}}},
		{name: "CN credit note", file: "gen-10", opts: anaf.UploadOptions{Standard: anaf.StandardCN, CIF: cifBeta},
			msgs: []want{{cifBeta, anaf.TypeSent}, {cifGamma, anaf.TypeReceived}}},
		{name: "extern=DA", file: "gen-04", opts: anaf.UploadOptions{Standard: anaf.StandardUBL, CIF: cifBeta, Extern: true},
			msgs: []want{{cifBeta, anaf.TypeSent}}, absent: []string{cifGamma}},
		{name: "autofactura=DA by the buyer", file: "gen-01", opts: anaf.UploadOptions{Standard: anaf.StandardUBL, CIF: cifGamma, AutoFactura: true},
			msgs: []want{{cifGamma, anaf.TypeSent}, {cifAlfa, anaf.TypeReceived}}, self: true},
		{name: "uploadb2c", file: "gen-11", opts: anaf.UploadOptions{Standard: anaf.StandardUBL, CIF: cifDelta, B2C: true},
			msgs: []want{{cifDelta, anaf.TypeSent}}, absent: []string{cifAlfa}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *setupOpts) { o.sim = func(so *anafsim.Options) { so.ProcessingDelay = processing } })
			ctx := context.Background()
			doc := b.fresh(t, tc.file)
			res, err := b.client.UploadWithOptions(ctx, b.token, tc.opts, doc)
			require.NoError(t, err)
			require.Len(t, res.Index, 10)
			require.Equal(t, b.clock.Now().UTC().Truncate(time.Minute), res.DateResponse)

			st, err := b.client.Status(ctx, b.token, res.Index)
			require.NoError(t, err)
			require.Equal(t, anaf.StateProcessing, st.State)
			require.Empty(t, st.DownloadID)
			require.Empty(t, b.findByUpload(t, tc.msgs[0].cif, res.Index), "no message while processing")

			b.clock.Advance(processing)
			st, err = b.client.Status(ctx, b.token, res.Index)
			require.NoError(t, err)
			require.Equal(t, anaf.StateOK, st.State)
			require.Len(t, st.DownloadID, 10)

			z, err := b.client.Download(ctx, b.token, st.DownloadID)
			require.NoError(t, err)
			a, err := invoice.ReadArchive(z)
			require.NoError(t, err)
			require.Equal(t, res.Index+".xml", a.DocumentName)
			require.Equal(t, doc, a.Document, "the ZIP holds the uploaded bytes")

			for _, w := range tc.msgs {
				ms := b.findByUpload(t, w.cif, res.Index)
				require.Len(t, ms, 1, "%s in %s's list", w.tip, w.cif)
				m := ms[0]
				require.Equal(t, w.tip, m.Type)
				require.Equal(t, st.DownloadID, m.ID)
				d := anaf.ParseDetails(m.Details)
				require.Equal(t, res.Index, d.UploadID)
				require.Equal(t, tc.self, d.SelfBilled, m.Details)
				inv, err := invoice.Parse(doc)
				require.NoError(t, err)
				require.Equal(t, invoice.PartyCIF(inv.Seller), m.CIFEmitent, m.Details)
				require.Equal(t, invoice.PartyCIF(inv.Buyer), m.CIFBeneficiar, m.Details)
			}
			for _, cif := range tc.absent {
				require.Empty(t, b.findByUpload(t, cif, res.Index), "no message for %s", cif)
			}
		})
	}
}

// TestUploadNok: an upload the simulator rejects after processing (the
// same seller, number and date as an invoice already sent) walks to "nok";
// its download is ANAF's error XML and the ERORI FACTURA message carries it.
func TestUploadNok(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) { o.sim = func(so *anafsim.Options) { so.ProcessingDelay = processing } })
	ctx := context.Background()
	idx, err := b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, b.file(t, "gen-07"))
	require.NoError(t, err, "a duplicate is accepted synchronously")
	st, err := b.client.Status(ctx, b.token, idx)
	require.NoError(t, err)
	require.Equal(t, anaf.StateProcessing, st.State)
	b.clock.Advance(processing)
	st, err = b.client.Status(ctx, b.token, idx)
	require.NoError(t, err)
	require.Equal(t, anaf.StateNOK, st.State)
	require.NotEmpty(t, st.DownloadID)

	z, err := b.client.Download(ctx, b.token, st.DownloadID)
	require.NoError(t, err)
	a, err := invoice.ReadArchive(z)
	require.NoError(t, err)
	errs, err := invoice.ParseANAFErrors(a.Document)
	require.NoError(t, err)
	require.NotEmpty(t, errs.Messages)
	require.True(t, strings.HasPrefix(errs.Messages[0], "Factura a mai fost transmisa anterior cu index="), errs.Messages[0])

	msgs := b.list(t, cifAlfa, anaf.ListOptions{Filter: anaf.FilterErrors})
	require.Len(t, msgs, 1)
	require.Equal(t, anaf.TypeErrors, msgs[0].Type)
	require.Equal(t, anaf.ClassErrors, anaf.TypeClass(msgs[0].Type))
	require.Equal(t, st.DownloadID, msgs[0].ID)
	d := anaf.ParseDetails(msgs[0].Details)
	require.True(t, d.Errors)
	require.Equal(t, idx, d.UploadID)
}

// TestUploadRASP: a RASP buyer message about an accepted invoice gives
// MESAJ CUMPARATOR messages to both parties (filtru R) and downloads as the
// RASP body.
func TestUploadRASP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	inv, err := b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, b.fresh(t, "gen-01"))
	require.NoError(t, err)
	body := raspBody(inv, "Marfa a fost receptionata")
	idx, err := b.client.Upload(ctx, b.token, anaf.StandardRASP, cifGamma, body)
	require.NoError(t, err)
	st, err := b.client.Status(ctx, b.token, idx)
	require.NoError(t, err)
	require.Equal(t, anaf.StateOK, st.State)

	for _, cif := range []string{cifAlfa, cifGamma} {
		ms := b.list(t, cif, anaf.ListOptions{Filter: anaf.FilterBuyerMessages})
		require.Len(t, ms, 1, cif)
		require.Equal(t, anaf.ClassBuyerMessage, anaf.TypeClass(ms[0].Type), ms[0].Type)
		require.Equal(t, st.DownloadID, ms[0].ID)
		require.Contains(t, ms[0].Details, "id_incarcare="+inv)
		recent, err := b.client.ListRecentMessages(ctx, b.token, cif, 1, anaf.ListOptions{Filter: anaf.FilterBuyerMessages})
		require.NoError(t, err)
		require.Len(t, recent, 1)
	}
	z, err := b.client.Download(ctx, b.token, st.DownloadID)
	require.NoError(t, err)
	a, err := invoice.ReadArchive(z)
	require.NoError(t, err)
	require.Equal(t, body, a.Document)
}

// TestListFiltersAfterUploads: after one ok, one nok and one RASP upload,
// each filtru (E, T, P, R) of both lists returns exactly its tips.
func TestListFiltersAfterUploads(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	inv, err := b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, b.fresh(t, "gen-01"))
	require.NoError(t, err)
	_, err = b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, b.file(t, "gen-01")) // duplicate: nok
	require.NoError(t, err)
	_, err = b.client.Upload(ctx, b.token, anaf.StandardRASP, cifGamma, raspBody(inv, "ok"))
	require.NoError(t, err)

	for _, tc := range []struct {
		f     anaf.Filter
		class string
		want  int
	}{
		{anaf.FilterAll, "", 4 + 1 + 1 + 1},
		{anaf.FilterErrors, anaf.ClassErrors, 1},
		{anaf.FilterSent, anaf.ClassSent, 3},
		{anaf.FilterReceived, anaf.ClassReceived, 2},
		{anaf.FilterBuyerMessages, anaf.ClassBuyerMessage, 1},
	} {
		paged := b.list(t, cifAlfa, anaf.ListOptions{Filter: tc.f})
		recent, err := b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{Filter: tc.f})
		require.NoError(t, err)
		for _, got := range [][]anaf.Message{paged, recent} {
			require.Len(t, got, tc.want, "filtru %q", tc.f)
			for _, m := range got {
				if tc.class != "" {
					require.Equal(t, tc.class, anaf.TypeClass(m.Type), m.Type)
				}
			}
		}
	}
}
