package web

import (
	"html/template"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// oldDashRows is the dashboard's row template that dashRowsHTML replaced.
const oldDashRows = `<table><tbody>
    {{- range .}}
    <tr>
      <td><a href="/invoices/{{.ID}}">{{.Number}}</a>{{with .DocLabel}} <span class="badge doc-kind">{{.}}</span>{{end}}
        {{- with .DuplicateOf}} <a class="badge" href="/invoices/{{.}}" title="{{t "inv.duplicate.hint"}}">{{t "inv.duplicate"}}</a>{{end}}
        {{- with .ConflictOf}} <a class="badge" href="/invoices/{{.}}" title="{{t "inv.conflict.hint"}}">{{t "inv.conflict"}}</a>{{end}}</td>
      <td class="nowrap">{{day .IssueDate}}</td>
      <td>{{.PartnerName}}</td>
      <td>{{.PartnerCIF}}</td>
      <td class="num nowrap">{{.Total}}</td>
      <td><span class="type">{{typeLabel .MessageType}}</span></td>
      <td class="nowrap">{{localtime .SyncedAt}}</td>
    </tr>
    {{- end}}</tbody></table>`

// TestDashRowsHTML: the rows written in Go are what the row template
// wrote, escapes included (html/template also writes "+" as "&#43;",
// which a browser reads as "+").
func TestDashRowsHTML(t *testing.T) {
	t.Parallel()
	synced := time.Date(2026, 1, 7, 12, 5, 0, 0, time.UTC)
	hostile := `<script>alert("x")</script> & 'q' +1 ` + "\x00 \xff é"
	invs := []gateway.Invoice{
		{ID: 1, InvoiceNumber: "F-1", IssueDate: "2026-01-07", IssuerName: "Alfa SRL", CIFEmitent: "RO123", TotalAmount: "1234.56", Currency: "RON",
			MessageType: gateway.TypeReceived, SyncedAt: synced, DocumentType: "Invoice"},
		{ID: 2, InvoiceNumber: hostile, IssueDate: hostile, IssuerName: hostile, CIFEmitent: hostile, ReceiverName: hostile, CIFBeneficiar: "1900101123456",
			TotalAmount: "-5", Currency: hostile, MessageType: gateway.TypeSent, SyncedAt: synced, DocumentType: "CreditNote", DuplicateOf: 1, ConflictOf: 1},
		{ID: 3, ANAFID: "42", MessageType: gateway.TypeErrors, SyncedAt: synced, DocumentType: "Invoice", TotalAmount: "-3", DuplicateOf: 2},
		{ID: 4, InvoiceNumber: "x", MessageType: hostile, SyncedAt: synced, ConflictOf: 7},
	}
	for _, lang := range languages {
		rows := make([]invoiceRow, 0, len(invs))
		for i := range invs {
			rows = append(rows, newInvoiceRow(lang, &invs[i]))
		}
		tm := template.Must(template.New("rows").Funcs(templateFuncs(lang)).Parse(oldDashRows))
		var want strings.Builder
		require.NoError(t, tm.Execute(&want, rows))
		w := strings.ReplaceAll(want.String(), "&#43;", "+")
		w = strings.TrimSuffix(strings.TrimPrefix(w, "<table><tbody>"), "</tbody></table>")
		require.Equal(t, w, string(dashRowsHTML(lang, rows)), lang)
	}
	require.Empty(t, dashRowsHTML("ro", nil))
}

// TestCachedChartSVG: a cached chart is the chart of its data, per
// language and per data.
func TestCachedChartSVG(t *testing.T) {
	t.Parallel()
	months := monthsBack(time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC))
	rec, snt := make([]decimal.Decimal, len(months)), make([]decimal.Decimal, len(months))
	for i := range months {
		rec[i], snt[i] = decimal.NewFromInt(int64(100*i+7)), decimal.RequireFromString("12.5")
	}
	for _, lang := range languages {
		want := monthlyChartSVG(lang, "RON", months, rec, snt)
		require.Equal(t, want, cachedChartSVG(lang, "RON", months, rec, snt))
		require.Equal(t, want, cachedChartSVG(lang, "RON", months, rec, snt), "from the cache")
	}
	snt[3] = decimal.NewFromInt(999)
	require.Equal(t, monthlyChartSVG("ro", "RON", months, rec, snt), cachedChartSVG("ro", "RON", months, rec, snt), "other data, another chart")
	require.NotEqual(t, cachedChartSVG("ro", "EUR", months, rec, snt), cachedChartSVG("ro", "RON", months, rec, snt))
}
