package anafsync_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

var testSignature = []byte(`<?xml version="1.0"?><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>`)

func verdictZIP(t testing.TB, doc []byte) []byte {
	t.Helper()
	z, err := invoice.BuildArchive("5001", doc, testSignature)
	require.NoError(t, err)
	return z
}

// TestSyncStoresVerdict: every invoice a sync archives gets the native
// validator's verdict in the same step; ANAF's error list is not applicable.
func TestSyncStoresVerdict(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		b := setup(t, st, options{invoices: 8})
		company := b.company(t, b.busiestCIF(t))
		res, err := b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		require.Positive(t, res.New)

		for id, inv := range b.invoices(t, company.ID) {
			v, err := st.InvoiceValidation(ctx, company.ID, inv.ID)
			require.NoError(t, err)
			require.Equal(t, anafsync.ValidatedWith, v.ValidatedWith, "message %s", id)
			require.Contains(t, []string{store.ValidationValid, store.ValidationInvalid}, v.State, "message %s", id)
			require.NotNil(t, v.ValidatedAt)
			var rep anafsync.Report
			require.NoError(t, json.Unmarshal(v.Report, &rep))
			require.Equal(t, "ro", rep.Profile)
			require.Contains(t, []string{"Invoice", "CreditNote"}, rep.DocType)
			require.Len(t, rep.Errors, v.Errors)
			require.Len(t, rep.Warnings, v.Warnings)
			require.Equal(t, v.State == store.ValidationValid, v.Errors == 0)
		}
		has, err := st.HasInvoicesToValidate(ctx, anafsync.ValidatedWith)
		require.NoError(t, err)
		require.False(t, has, "a synced invoice was left unvalidated")
	})
}

func TestSyncErrorListNotApplicable(t *testing.T) {
	t.Parallel()
	st := storetest.NewSQLite(t)
	ctx := t.Context()
	b := setup(t, st, options{})
	doc := invoicegen.Generate(1, testSeed)[0].Data
	parsed, err := invoice.Parse(doc)
	require.NoError(t, err)
	seller := invoice.PartyCIF(parsed.Seller)
	_, err = b.client.Upload(ctx, b.access, "UBL", seller, doc)
	require.NoError(t, err)
	_, err = b.client.Upload(ctx, b.access, "UBL", seller, doc) // duplicate: ERORI FACTURA
	require.NoError(t, err)
	b.clock.Advance(3 * time.Minute)
	company := b.company(t, seller)
	_, err = b.engine.SyncCompany(ctx, company.ID, nil)
	require.NoError(t, err)
	states := map[string]string{}
	for _, inv := range b.invoices(t, company.ID) {
		v, err := st.InvoiceValidation(ctx, company.ID, inv.ID)
		require.NoError(t, err)
		states[inv.MessageType] = v.State
	}
	require.Equal(t, store.ValidationNotApplicable, states[store.TypeErrors])
	require.Contains(t, []string{store.ValidationValid, store.ValidationInvalid}, states[store.TypeSent])
}

func TestVerdict(t *testing.T) {
	t.Parallel()
	doc := invoicegen.Generate(1, testSeed)[0].Data

	v := anafsync.Verdict(verdictZIP(t, doc), store.TypeReceived, "Invoice")
	require.Contains(t, []string{store.ValidationValid, store.ValidationInvalid}, v.State)
	require.Equal(t, anafsync.ValidatedWith, v.ValidatedWith)

	// A fatal rule: the invoice number removed.
	broken := []byte(string(doc))
	i := bytes.Index(broken, []byte("<cbc:ID>"))
	require.Positive(t, i)
	j := bytes.Index(broken[i:], []byte("</cbc:ID>")) + i + len("</cbc:ID>")
	broken = append(append([]byte{}, broken[:i]...), broken[j:]...)
	v = anafsync.Verdict(verdictZIP(t, broken), store.TypeReceived, "Invoice")
	require.Equal(t, store.ValidationInvalid, v.State)
	require.Positive(t, v.Errors)
	var rep anafsync.Report
	require.NoError(t, json.Unmarshal(v.Report, &rep))
	require.NotEmpty(t, rep.Errors[0].ID)
	require.NotEmpty(t, rep.Errors[0].Message)

	for name, z := range map[string][]byte{
		"not a zip":  []byte("not a zip"),
		"not XML":    verdictZIP(t, []byte("plain text")),
		"other root": verdictZIP(t, []byte(`<?xml version="1.0"?><Mesaj xmlns="urn:x"><Text>ok</Text></Mesaj>`)),
	} {
		v := anafsync.Verdict(z, "MESAJ CUMPARATOR PRIMIT", "")
		require.Equal(t, store.ValidationNotApplicable, v.State, name)
		require.Nil(t, v.Report, name)
	}
	v = anafsync.Verdict(verdictZIP(t, doc), store.TypeErrors, "")
	require.Equal(t, store.ValidationNotApplicable, v.State)
}

// TestValidateArchiveResumes: invoices archived without a verdict (synced
// before migration 00007, or whose verdict write failed) are validated by
// the walk; a walk stopped by its deadline continues where it stopped.
func TestValidateArchiveResumes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		b := setup(t, st, options{invoices: 10})
		company := b.company(t, b.busiestCIF(t))
		res, err := b.engine.SyncCompany(ctx, company.ID, nil)
		require.NoError(t, err)
		total := res.New
		require.Greater(t, total, 2)
		before := map[int64]store.InvoiceValidation{}
		for _, inv := range b.invoices(t, company.ID) {
			v, err := st.InvoiceValidation(ctx, company.ID, inv.ID)
			require.NoError(t, err)
			before[inv.ID] = *v
		}
		_, err = st.ResetInvoiceValidation(ctx, 0)
		require.NoError(t, err)

		// A deadline already passed: one invoice, then it stops.
		c, err := anafsync.ValidateArchive(ctx, st, anafsync.ArchiveValidation{Deadline: time.Now().Add(time.Millisecond), Batch: 2})
		require.NoError(t, err)
		require.False(t, c.Done)
		require.Less(t, c.Checked, total)
		first := c.Checked

		c, err = anafsync.ValidateArchive(ctx, st, anafsync.ArchiveValidation{Batch: 2})
		require.NoError(t, err)
		require.True(t, c.Done)
		require.Equal(t, total, first+c.Checked, "the second walk validates only what the first left")
		for id, want := range before {
			v, err := st.InvoiceValidation(ctx, company.ID, id)
			require.NoError(t, err)
			require.Equal(t, want.State, v.State)
			require.Equal(t, want.Errors, v.Errors)
			require.Equal(t, want.Warnings, v.Warnings)
			require.JSONEq(t, string(want.Report), string(v.Report))
		}
		c, err = anafsync.ValidateArchive(ctx, st, anafsync.ArchiveValidation{})
		require.NoError(t, err)
		require.Zero(t, c.Checked)
		c, err = anafsync.ValidateArchive(ctx, st, anafsync.ArchiveValidation{All: true, CompanyID: company.ID})
		require.NoError(t, err)
		require.Equal(t, total, c.Checked)
		require.Equal(t, total, c.Valid+c.Invalid+c.NotApplicable+c.Failed)
	})
}

// BenchmarkVerdict is what a sync adds per archived invoice: read the ZIP,
// validate (ro profile), marshal the report. Over the shared CIUS-RO
// corpus when present, else invoicegen documents.
//
//	go test ./internal/anafsync/ -run '^$' -bench BenchmarkVerdict
func BenchmarkVerdict(b *testing.B) {
	var zips [][]byte
	files, _ := filepath.Glob("../../../shared/corpus/ciusro/*.xml")
	for _, f := range files {
		doc, err := os.ReadFile(f)
		require.NoError(b, err)
		zips = append(zips, verdictZIP(b, doc))
	}
	if len(zips) == 0 {
		for _, f := range invoicegen.Generate(20, testSeed) {
			zips = append(zips, verdictZIP(b, f.Data))
		}
	}
	b.Run(fmt.Sprintf("docs=%d", len(zips)), func(b *testing.B) {
		i := 0
		for b.Loop() {
			v := anafsync.Verdict(zips[i%len(zips)], store.TypeReceived, "Invoice")
			if v.State == store.ValidationFailed {
				b.Fatal(string(v.Report))
			}
			i++
		}
	})
}

func BenchmarkVerdictGen(b *testing.B) {
	var zips [][]byte
	for _, f := range invoicegen.Generate(20, testSeed) {
		zips = append(zips, verdictZIP(b, f.Data))
	}
	i := 0
	for b.Loop() {
		anafsync.Verdict(zips[i%len(zips)], store.TypeReceived, "Invoice")
		i++
	}
}
