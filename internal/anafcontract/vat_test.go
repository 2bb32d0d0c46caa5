package anafcontract

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
)

// TestLookupVAT: the VAT-payer service (PlatitorTvaRest v9) without a
// token: statuses at the asked date, notFound, 404 when none is found,
// the local refusal of 101 CUIs, and the outage answers as ErrTransient.
func TestLookupVAT(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) {
		o.noFiles, o.noLogin = true, true
		o.client = func(c *anaf.Config) { c.VATLimiter = rate.NewLimiter(rate.Inf, 1) }
	})
	ctx := context.Background()

	a, err := b.client.LookupVAT(ctx, []anaf.VATQuery{
		{CUI: "RO31415920", Date: "2025-12-01"}, {CUI: "31415920", Date: "2026-01-10"},
		{CUI: "98765438", Date: "2026-01-10"}, {CUI: "44556670", Date: "2026-01-10"}, {CUI: "13579240", Date: "2026-01-10"},
	})
	require.NoError(t, err)
	require.Len(t, a.Found, 4)
	require.Equal(t, []string{"13579240"}, a.NotFound)
	gammaBefore, gammaAfter := a.Found[0], a.Found[1]
	require.Equal(t, "31415920", gammaBefore.CUI)
	require.Equal(t, "2025-12-01", gammaBefore.Date)
	require.False(t, gammaBefore.Status.Inactive)
	require.True(t, gammaBefore.VATRegistered)
	require.True(t, gammaAfter.Status.Inactive)
	require.Equal(t, "2025-12-15", gammaAfter.Status.Since)
	require.False(t, gammaAfter.VATRegistered)
	require.Equal(t, "2025-12-15", gammaAfter.VATPeriods[0].End)
	require.Equal(t, "GAMMA CONSTRUCŢII SA", gammaAfter.Name)
	require.Equal(t, "IS", gammaAfter.FiscalDomicile.CountyAuto)
	require.True(t, gammaAfter.EFacturaKnown)
	require.True(t, gammaAfter.EFacturaRegister)
	require.Equal(t, "2024-01-01", gammaAfter.EFacturaRegisterOn, "dd.MM.yyyy converted")
	beta, ok := a.Lookup("98765438")
	require.True(t, ok)
	require.True(t, beta.CashVAT.Applies)
	require.Equal(t, "2025-01-01", beta.CashVAT.Start)
	zeta, _ := a.Lookup("44556670")
	require.False(t, zeta.VATRegistered)
	require.Empty(t, zeta.VATPeriods)

	// None found: HTTP 404 with the same body is an answer.
	a, err = b.client.LookupVAT(ctx, []anaf.VATQuery{{CUI: "13579240", Date: "2026-01-10"}})
	require.NoError(t, err)
	require.Empty(t, a.Found)
	require.Equal(t, []string{"13579240"}, a.NotFound)

	// More than 100: refused before calling ANAF.
	calls := b.calls("tva")
	many := make([]anaf.VATQuery, 101)
	for i := range many {
		many[i] = anaf.VATQuery{CUI: fmt.Sprint(10000000 + i), Date: "2026-01-10"}
	}
	_, err = b.client.LookupVAT(ctx, many)
	e := requireANAFError(t, err, anaf.ErrInvalidRequest, anaf.KindInvalidRequest, "")
	require.True(t, e.Local)
	require.Equal(t, calls, b.calls("tva"))

	// Outages: the F5 page, maintenance HTML, an empty 200, a 500.
	for _, kind := range []string{anafsim.FaultWAFHTML, anafsim.FaultHTTP503HTML, anafsim.FaultEmptyBody, anafsim.FaultHTTP500} {
		require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "tva", Kind: kind}))
		_, err = b.client.LookupVAT(ctx, []anaf.VATQuery{{CUI: "12345674", Date: "2026-01-10"}})
		requireANAFError(t, err, anaf.ErrTransient, anaf.KindTransient, "")
	}
	a, err = b.client.LookupVAT(ctx, []anaf.VATQuery{{CUI: "12345674", Date: "2026-01-10"}})
	require.NoError(t, err, "the service is back")
	require.Len(t, a.Found, 1)
}
