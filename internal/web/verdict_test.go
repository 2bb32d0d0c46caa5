package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestInvoicePageVerdict: the invoice page's Validare block shows the
// native validator's verdict: not validated yet; errors (list open) with
// rule ids and messages; only warnings (list collapsed); escaped.
func TestInvoicePageVerdict(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	bad := b.invoiceOf(t, c, "3012345671", "AS-0042", "ALFA SOFT SRL")
	warned := b.invoiceOf(t, c, "3012345672", "AS-0043", "ALFA SOFT SRL")
	br := b.browser(t)
	br.login(owner.Email)

	p := br.get("/invoices/" + itoa(bad.ID))
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, `id="validare"`)
	require.Contains(t, p.Body, "Nevalidată încă")

	set := func(id int64, state string, rep gateway.VerdictReport) {
		raw, err := json.Marshal(rep)
		require.NoError(t, err)
		require.NoError(t, b.st.SetInvoiceValidation(t.Context(), id, &store.InvoiceValidation{State: state,
			Errors: len(rep.Errors), Warnings: len(rep.Warnings), Report: raw, ValidatedWith: gateway.ValidatedWith}))
	}
	set(bad.ID, gateway.VerdictInvalid, gateway.VerdictReport{Profile: "ro", DocType: "Invoice",
		Errors: []gateway.VerdictFinding{
			{ID: "BR-RO-010", Flag: "fatal", Line: 12, Message: "[BR-RO-010] Numărul facturii <script>alert(1)</script>", BT: "BT-1"},
			{ID: "XSD", Flag: "fatal", Line: 40, Message: "element X not expected", LineID: "3"},
		},
		Warnings: []gateway.VerdictFinding{{ID: "BR-RO-W001", Flag: "warning", Message: "Avertisment de test"}}})
	set(warned.ID, gateway.VerdictValid, gateway.VerdictReport{Profile: "ro", DocType: "Invoice", Errors: []gateway.VerdictFinding{},
		Warnings: []gateway.VerdictFinding{{ID: "BR-RO-W002", Flag: "warning", Message: "Doar un avertisment"}}})

	p = br.get("/invoices/" + itoa(bad.ID))
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "2 erori, 1 avertismente")
	require.Contains(t, p.Body, "<details open>")
	for _, s := range []string{"BR-RO-010", "BT-1", "XSD", "BR-RO-W001", "Avertisment de test", "Validată cu ro 1.0.9"} {
		require.Contains(t, p.Body, s)
	}
	require.NotContains(t, p.Body, "<script>alert(1)")
	require.Contains(t, p.Body, "&lt;script&gt;")

	p = br.get("/invoices/" + itoa(warned.ID) + "?lang=en")
	require.Equal(t, http.StatusOK, p.Status)
	block := p.Body[strings.Index(p.Body, `id="validare"`):]
	require.Contains(t, block, "<details>")
	require.NotContains(t, block, "<details open>")
	require.Contains(t, block, "BR-RO-W002")
}
