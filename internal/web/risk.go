package web

import (
	"net/http"
	"strconv"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// Supplier risk flags (issue 20, part 2): the box on the invoice page
// (invoice.html), the dashboard filter (dashboard.go, risk=1) and
// POST /invoices/{id}/risk/checked (one flag with code=…, else all).

// riskText explains flag f in lang with its details (days dd.mm.yyyy on
// Romanian pages).
func riskText(lang string, f gateway.RiskFlag) string {
	d := func(k string) string {
		v := f.Details[k]
		if v == "" {
			return "—"
		}
		return v
	}
	day := func(k string) string {
		if f.Details[k] == "" {
			return "—"
		}
		return formatDay(lang, f.Details[k])
	}
	money := func(k string) string { return formatMoney(lang, f.Details[k], f.Details["currency"]) }
	key := "risk.text." + f.Code
	switch f.Code {
	case "supplier_inactive":
		return translate(lang, key, day("date"), day("since"))
	case "supplier_not_vat_registered":
		return translate(lang, key, day("date"), money("vat"))
	case "supplier_cash_vat":
		return translate(lang, key, day("date"), day("since"))
	case "supplier_split_vat", "supplier_not_in_efactura_reg":
		return translate(lang, key, day("date"))
	case "iban_changed":
		return translate(lang, key, d("iban"), d("previous"))
	case "number_reused":
		return translate(lang, key, d("number"), day("other_issue_date"), d("other_total"), d("total"))
	case "first_invoice_large":
		return translate(lang, key, money("total"), money("threshold"))
	case "buyer_not_company":
		return translate(lang, key, d("buyer_cif"), d("company_cif"))
	case "unusual_currency":
		return translate(lang, key, d("currency"), d("invoices"), d("usual"))
	case "unusual_vat_rate":
		return translate(lang, key, d("rate"), d("invoices"), d("usual"))
	}
	return f.Code
}

// submitRiskChecked marks the invoice's unchecked risk flags (or the one
// named by the form's code) checked, for a member of its company.
func (a *app) submitRiskChecked(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	back := "/invoices/" + strconv.FormatInt(id, 10)
	n, err := a.gw().MarkRiskChecked(r.Context(), a.principal(r), id, r.PostFormValue("code"))
	if err != nil {
		a.useCaseError(w, r, err, back)
		return
	}
	if n > 0 {
		a.setFlash(r, "ok", a.t(r, "risk.marked", n))
	}
	redirect(w, r, back+"#risk")
}
