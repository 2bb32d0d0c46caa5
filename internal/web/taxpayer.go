package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// lookupTaxpayer answers GET /companies?lookup=1&cif=…[&name=…]: the add
// form pre-filled with the name ANAF's VAT-payer register gives the CIF
// (issue 17, "guided first steps"); a typed name is kept when ANAF has
// none, and a refusal is shown on the CIF field.
func (a *app) lookupTaxpayer(r *http.Request) companyForm {
	q := r.URL.Query()
	f := a.lookupTaxpayerCIF(r, q.Get("cif"))
	if f.Name == "" {
		f.Name = strings.TrimSpace(q.Get("name"))
	}
	return f
}

// lookupTaxpayerCIF is the add form after asking ANAF's VAT-payer
// register about cifInput: Found and Name filled, or the refusal on the
// CIF field.
func (a *app) lookupTaxpayerCIF(r *http.Request, cifInput string) companyForm {
	f := companyForm{CIF: strings.TrimSpace(cifInput), Errors: formErrors{}}
	tp, err := a.gw().LookupTaxpayer(r.Context(), a.actor(r), f.CIF)
	var ge *gateway.Error
	switch {
	case errors.As(err, &ge):
		f.Errors["cif"] = a.t(r, "tenancy."+ge.Code)
	case err != nil:
		a.Logger.WarnContext(r.Context(), "taxpayer lookup", "error", err.Error())
		f.Errors["cif"] = a.t(r, "tenancy.taxpayer_unavailable")
	default:
		f.Found = tp
		if tp.Name != "" {
			f.Name = tp.Name
		}
	}
	return f
}
