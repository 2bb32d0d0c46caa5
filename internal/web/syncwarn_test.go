package web

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
)

// TestDashboardShowsSyncWarnings (issue 15 items 3–5, 8): a run that ended
// ok_with_warnings says what it met, in the user's language, with ANAF's
// own text for expired messages and the CIFs of foreign listings.
func TestDashboardShowsSyncWarnings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA", u)
	ctx := t.Context()
	run, err := b.st.OpenSyncRun(ctx, c.ID, store.SyncRunning)
	require.NoError(t, err)
	until := time.Date(2026, 1, 15, 22, 0, 0, 0, time.UTC)
	run.Status, run.Found, run.New = "ok_with_warnings", 5, 2
	run.Expired, run.ExpiredText = 1, "Fisierul nu mai poate fi descarcat pentru ca a trecut perioada de 60 de zile in care este disponibil"
	run.Deferred, run.DeferredUntil = 1, &until
	run.Foreign, run.ForeignCIFs = 2, "12345674, 31415920"
	run.Duplicates = 1
	require.NoError(t, b.st.FinishSyncRun(ctx, run))

	br := b.browser(t)
	br.login(u.Email)
	p := br.get("/")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "reușită, cu avertismente")
	require.Contains(t, p.Body, "Fisierul nu mai poate fi descarcat pentru ca a trecut perioada de 60 de zile")
	require.Contains(t, p.Body, "limita zilnică de descărcări a ANAF; se descarcă după 16.01.2026 00:00")
	require.Contains(t, p.Body, "ANAF a listat 2 mesaje pentru alt CIF (12345674, 31415920)")
	require.Contains(t, p.Body, "republicat")
}

// TestDuplicateMarkedOnPages (issue 15 item 8): the list and the invoice
// page say that a row repeats an archived invoice, and link to the first.
func TestDuplicateMarkedOnPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA", u)
	first := b.invoiceOf(t, c, "3001", "AS-1", "ALFA SOFT SRL")
	again, err := b.st.InvoiceByID(t.Context(), c.ID, first.ID)
	require.NoError(t, err)
	again.ID, again.ANAFID, again.ANAFCreatedAt = 0, "3002", first.ANAFCreatedAt.Add(time.Hour)
	again.ZIP, err = b.st.InvoiceZIP(t.Context(), c.ID, first.ID)
	require.NoError(t, err)
	_, err = b.st.InsertInvoice(t.Context(), again)
	require.NoError(t, err)
	require.Equal(t, first.ID, again.DuplicateOf)

	br := b.browser(t)
	br.login(u.Email)
	p := br.get("/")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, `<a class="badge" href="/invoices/`+itoa(first.ID)+`"`)
	p = br.get("/invoices/" + itoa(again.ID))
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "ANAF a listat această factură")
	p = br.get("/invoices/" + itoa(first.ID))
	require.NotContains(t, p.Body, "ANAF a listat această factură")
}
