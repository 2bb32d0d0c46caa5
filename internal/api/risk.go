package api

import (
	"net/http"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// Supplier risk flags (issue 20, part 2): the "risk" field of an
// invoice's detail JSON and POST /api/v1/invoices/{id}/risk/checked.

// riskJSON is what the checks found on an invoice.
type riskJSON struct {
	Checked    bool           `json:"checked"`     // the checker has looked at the invoice
	VATPending bool           `json:"vat_pending"` // ANAF's VAT-payer service has not answered yet
	NextTryAt  *string        `json:"next_try_at"` // RFC 3339 UTC; null unless vat_pending
	Unchecked  int            `json:"unchecked"`   // flags nobody marked checked
	Flags      []riskFlagJSON `json:"flags"`
}

type riskFlagJSON struct {
	Code       string            `json:"code"`
	Severity   string            `json:"severity"`
	Details    map[string]string `json:"details"`
	ComputedAt string            `json:"computed_at"`
	CheckedAt  *string           `json:"checked_at"`
}

func toRiskJSON(r *gateway.RiskReport) riskJSON {
	out := riskJSON{Flags: []riskFlagJSON{}}
	if r == nil {
		return out
	}
	out.Checked, out.VATPending, out.Unchecked = r.Checked, r.VATPending, r.Unchecked
	if r.VATPending {
		out.NextTryAt = rfc3339(r.NextTryAt)
	}
	for _, f := range r.Flags {
		out.Flags = append(out.Flags, riskFlagJSON{Code: f.Code, Severity: f.Severity, Details: f.Details,
			ComputedAt: f.ComputedAt.UTC().Format(time.RFC3339), CheckedAt: rfc3339(f.CheckedAt)})
	}
	return out
}

// riskCheckedJSON answers POST …/risk/checked.
type riskCheckedJSON struct {
	Marked int      `json:"marked"`
	Risk   riskJSON `json:"risk"`
}

// markRiskChecked serves POST /api/v1/invoices/{id}/risk/checked[?code=…]:
// the invoice's unchecked flags (or code's) marked checked (write key).
func (h *handler) markRiskChecked(w http.ResponseWriter, r *http.Request) {
	id, ok := invoiceID(w, r)
	if !ok {
		return
	}
	p := principalFrom(r.Context())
	if !requireScope(w, p, gateway.ScopeWrite) {
		return
	}
	n, err := h.gw.MarkRiskChecked(r.Context(), p.Principal, id, r.URL.Query().Get("code"))
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	rep, err := h.gw.InvoiceRisk(r.Context(), p.Principal, id)
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dataResponse[riskCheckedJSON]{Data: riskCheckedJSON{Marked: n, Risk: toRiskJSON(rep)}})
}
