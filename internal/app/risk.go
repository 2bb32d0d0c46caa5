package app

import (
	"os"
	"strings"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/riskcheck"
)

// EnvVATURL overrides where ANAF's VAT-payer service (PlatitorTvaRest v9)
// is asked (default https://webservicesp.anaf.ro/api/PlatitorTvaRest/v9/tva;
// with a simulator as EFACTURA_ANAF_BASE_URL, the simulator's).
const EnvVATURL = "EFACTURA_ANAF_VAT_URL"

// vatURL is the VAT-payer service the risk checks ask.
func (e *Env) vatURL() string {
	if u := strings.TrimSpace(os.Getenv(EnvVATURL)); u != "" {
		return u
	}
	base := strings.TrimRight(e.Cfg.ANAFBaseURL, "/")
	if base != "" && base != anaf.DefaultBaseURL {
		return base + anaf.VATPath // the simulator serves it too
	}
	return anaf.DefaultPublicURL + anaf.VATPath
}

// vatLimiter paces this process's calls of the VAT-payer service (ANAF:
// one request a second), whatever client makes them.
var vatLimiter = anaf.NewVATLimiter()

// RiskChecker builds the supplier risk checker (issue 20): its own ANAF
// client for the token-less VAT-payer service, paced at one request a
// second for this process (one limiter shared by every checker).
func (e *Env) RiskChecker() *riskcheck.Checker {
	client := anaf.New(anaf.Config{VATURL: e.vatURL(), VATLimiter: vatLimiter, Observer: e.anafObserver()})
	return riskcheck.New(riskcheck.Options{Store: e.Store, ANAF: client, Logger: e.Logger})
}
