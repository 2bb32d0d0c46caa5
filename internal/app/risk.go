package app

import (
	"os"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/ratelimit"
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
// one request a second), whatever client makes them: alone, or while the
// shared pace's Redis is down.
var vatLimiter = anaf.NewVATLimiter()

// VATPaceBucket names the shared pace of the VAT-payer calls in Redis.
const VATPaceBucket = "anaf-vat"

// ShareVATPace makes the risk checkers built afterwards (RiskChecker, the
// gateway's Taxpayers) pace the VAT-payer calls through l: across every
// replica when l is ratelimit.Open's limiter over Redis (ANAF counts one
// request a second per client, the whole installation), else, and while
// Redis is down, in this process. Serve calls it before building them.
func (e *Env) ShareVATPace(l ratelimit.Limiter) {
	e.vatPace = ratelimit.NewPacer(l, VATPaceBucket, time.Second, vatLimiter)
}

// RiskChecker builds the supplier risk checker (issue 20): its own ANAF
// client for the token-less VAT-payer service, paced at one request a
// second for the installation (ShareVATPace) or for this process.
func (e *Env) RiskChecker() *riskcheck.Checker {
	var pace anaf.VATLimiter = vatLimiter
	if e.vatPace != nil {
		pace = e.vatPace
	}
	client := anaf.New(anaf.Config{VATURL: e.vatURL(), VATLimiter: pace, Observer: e.anafObserver()})
	return riskcheck.New(riskcheck.Options{Store: e.Store, ANAF: client, Logger: e.Logger})
}
