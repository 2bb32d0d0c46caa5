package anafcontract

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
)

// call is one client call of the error tables; it returns the error only.
type call struct {
	name     string
	endpoint string // the simulator's stats name
	do       func(ctx context.Context, b *bundle) error
}

// restCalls are the e-Factura REST calls, each with valid arguments for
// the loaded invoices (ALFA's first sent invoice and its upload index).
func restCalls(t *testing.T, b *bundle) []call {
	t.Helper()
	m := b.anyMessage(t, cifAlfa, anaf.TypeSent)
	doc := b.fresh(t, "gen-01")
	return []call{
		{"listaMesajeFactura", "listaMesajeFactura", func(ctx context.Context, b *bundle) error {
			_, err := b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
			return err
		}},
		{"listaMesajePaginatieFactura", "listaMesajePaginatieFactura", func(ctx context.Context, b *bundle) error {
			now := b.clock.Now()
			_, err := b.client.ListMessages(ctx, b.token, cifAlfa, now.Add(-59*24*time.Hour), now)
			return err
		}},
		{"descarcare", "descarcare", func(ctx context.Context, b *bundle) error {
			_, err := b.client.Download(ctx, b.token, m.ID)
			return err
		}},
		{"stareMesaj", "stareMesaj", func(ctx context.Context, b *bundle) error {
			_, err := b.client.Status(ctx, b.token, m.UploadID)
			return err
		}},
		{"upload", "upload", func(ctx context.Context, b *bundle) error {
			_, err := b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, doc)
			return err
		}},
		{"validare", "validare", func(ctx context.Context, b *bundle) error {
			_, err := b.client.Validate(ctx, b.token, anaf.StandardFACT1, doc)
			return err
		}},
		{"transformare", "transformare", func(ctx context.Context, b *bundle) error {
			_, err := b.client.Transform(ctx, b.token, anaf.StandardFACT1, doc, false)
			return err
		}},
		{"validate-signature", "signature", func(ctx context.Context, b *bundle) error {
			_, err := b.client.ValidateSignature(ctx, b.token, doc, []byte("<Signature/>"))
			return err
		}},
	}
}

// ---- unauthorized ----

// TestErrUnauthorized: an expired, revoked, opaque or unknown token, and
// X-Sim-Fault: expired on every REST endpoint, give ErrUnauthorized with
// ANAF's 401 text ("Unauthorized") and the invalid_token code.
func TestErrUnauthorized(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	check := func(t *testing.T, err error) {
		t.Helper()
		e := requireANAFError(t, err, anaf.ErrUnauthorized, anaf.KindUnauthorized, "Unauthorized")
		require.Equal(t, http.StatusUnauthorized, e.HTTPStatus)
		require.Equal(t, "invalid_token", e.Code)
		require.False(t, anaf.IsTransient(err))
	}

	t.Run("expired token", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *setupOpts) { o.sim = func(so *anafsim.Options) { so.AccessTTL = time.Hour } })
		_, err := b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
		require.NoError(t, err)
		b.clock.Advance(time.Hour)
		_, err = b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
		check(t, err)
		_, err = b.client.Hello(ctx, b.token)
		check(t, err)
		nt, err := b.client.Refresh(ctx, b.tok.RefreshToken)
		require.NoError(t, err, "the refresh token outlives the access token")
		_, err = b.client.ListRecentMessages(ctx, nt.AccessToken, cifAlfa, 60, anaf.ListOptions{})
		require.NoError(t, err)
	})
	t.Run("revoked token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		id := b.anyMessageWith(t, cifAlfa).ID
		require.NoError(t, b.client.Revoke(ctx, b.token))
		_, err := b.client.Download(ctx, b.token, id)
		check(t, err)
	})
	t.Run("opaque token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// A token request without token_content_type=jwt: ANAF issues an
		// opaque token that the API refuses (API.md §2.2).
		form := url.Values{"grant_type": {"authorization_code"}, "code": {b.authorize(t, "o")}, "redirect_uri": {redirectURI}}
		req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/anaf-oauth2/v1/token", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(clientID, clientSecret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var tr anafsim.TokenResponse
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&tr))
		resp.Body.Close()
		require.NotContains(t, tr.AccessToken, ".", "opaque")
		_, err = b.client.ListRecentMessages(ctx, tr.AccessToken, cifAlfa, 60, anaf.ListOptions{})
		check(t, err)
		_, err = b.client.Hello(ctx, tr.AccessToken)
		check(t, err)
	})
	t.Run("unknown token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.client.Status(ctx, "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", "5012345678")
		check(t, err)
	})
	t.Run("X-Sim-Fault expired", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, c := range restCalls(t, b) {
			t.Run(c.name, func(t *testing.T) {
				check(t, c.do(withFault(ctx, anafsim.SimFaultExpired), b))
			})
		}
	})
	t.Run("token endpoint expired_token fault", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.postFault(t, "token", anafsim.FaultExpiredToken, 1)
		_, err := b.client.Refresh(ctx, b.tok.RefreshToken)
		e := requireANAFError(t, err, anaf.ErrUnauthorized, anaf.KindUnauthorized, "Refresh Token status is expired")
		require.Equal(t, "invalid_grant", e.Code)
	})
}

// anyMessageWith returns any message of cif.
func (b *bundle) anyMessageWith(t *testing.T, cif string) anaf.Message {
	t.Helper()
	ms := b.list(t, cif, anaf.ListOptions{})
	require.NotEmpty(t, ms)
	return ms[0]
}

// ---- no rights ----

// TestErrNoRights: X-Sim-Fault: norights gives each endpoint's own
// no-rights text; a grant with no CIF at all gets "Nu exista niciun CIF…".
// (A CIF outside the consent-page grant: TestOAuthConsentPageCIFs.)
func TestErrNoRights(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	m := b.anyMessage(t, cifAlfa, anaf.TypeSent)
	texts := map[string]string{
		"listaMesajeFactura":          "Nu aveti drept in SPV pentru CIF=" + cifAlfa,
		"listaMesajePaginatieFactura": "Nu aveti drept in SPV pentru CIF=" + cifAlfa,
		"descarcare":                  "Nu aveti dreptul sa descarcati acesta factura",
		"stareMesaj":                  "Nu aveti dreptul de inteorgare pentru id_incarcare= " + m.UploadID,
		"upload":                      "Nu aveti drept in SPV pentru CIF=" + cifAlfa,
	}
	for _, c := range restCalls(t, b) {
		t.Run(c.name, func(t *testing.T) {
			err := c.do(withFault(ctx, anafsim.SimFaultNoRights), b)
			text, ok := texts[c.endpoint]
			if !ok {
				// validare, transformare, signature: no CIF; the simulator
				// answers like an unknown token.
				requireANAFError(t, err, anaf.ErrUnauthorized, anaf.KindUnauthorized, "Unauthorized")
				return
			}
			e := requireANAFError(t, err, anaf.ErrNoRights, anaf.KindNoRights, text)
			require.False(t, anaf.IsTransient(e))
		})
	}

	t.Run("grant without any CIF", func(t *testing.T) {
		b := setup(t, func(o *setupOpts) { o.noAuto = true })
		form := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
			"cifs_shown": {"1"}, "decision": {"approve"}} // every checkbox unchecked
		resp, err := b.cfg.HTTPClient.PostForm(b.srv.URL+"/anaf-oauth2/v1/authorize", form)
		require.NoError(t, err)
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		tok, err := b.client.Exchange(ctx, loc.Query().Get("code"))
		require.NoError(t, err)
		_, err = b.client.ListRecentMessages(ctx, tok.AccessToken, cifAlfa, 60, anaf.ListOptions{})
		requireANAFError(t, err, anaf.ErrNoRights, anaf.KindNoRights, "Nu exista niciun CIF pentru care sa aveti drept in SPV")
		_, err = b.client.Upload(ctx, tok.AccessToken, anaf.StandardUBL, cifAlfa, b.fresh(t, "gen-01"))
		requireANAFError(t, err, anaf.ErrNoRights, anaf.KindNoRights, "Nu exista niciun CIF pentru care sa aveti drept in SPV")
		_, err = b.client.Status(ctx, tok.AccessToken, "5012345678")
		requireANAFError(t, err, anaf.ErrNoRights, anaf.KindNoRights, "Nu exista niciun CIF petru care sa aveti drept")
	})
}

// ---- quota: ANAF's ----

// TestErrQuotaANAF: ANAF's own daily refusals (the client's accounting
// turned off so the call reaches the simulator): the 11th download of one
// id in a day, and the daily limits of stareMesaj, the simple list and RASP
// uploads lowered through simulator options. Text verbatim, Quota and
// Limit set, RetryAfter/ResetAt at the next Bucharest midnight, not
// transient; the next day works again.
func TestErrQuotaANAF(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, func(o *setupOpts) {
		o.client = func(c *anaf.Config) { c.Quota = anaf.UnlimitedQuota }
		o.sim = func(so *anafsim.Options) { so.StatusPerDay = 3; so.ListPerDay = 2; so.RASPPerDay = 1 }
	})
	midnight := time.Date(2026, 1, 16, 0, 0, 0, 0, anaf.Bucharest())
	checkDaily := func(t *testing.T, err error, q anaf.Quota, limit int, text string) {
		t.Helper()
		e := requireANAFError(t, err, anaf.ErrQuota, anaf.KindQuota, text)
		require.Equal(t, q, e.Quota)
		require.Equal(t, limit, e.Limit)
		require.False(t, e.Local)
		require.Equal(t, midnight.UTC(), e.ResetAt)
		require.Equal(t, midnight.Sub(b.clock.Now()), e.RetryAfter)
		require.False(t, anaf.IsTransient(err), "a daily quota is not transient")
	}

	m := b.anyMessage(t, cifAlfa, anaf.TypeSent)
	for i := range 10 {
		_, err := b.client.Download(ctx, b.token, m.ID)
		require.NoError(t, err, "download %d", i+1)
	}
	_, err := b.client.Download(ctx, b.token, m.ID)
	checkDaily(t, err, anaf.QuotaDownload, 10, "S-au facut deja 10 descarcari de mesaj in cursul zilei")
	require.Equal(t, 10, b.sim.Stats().MaxDownloadsPerMessage)

	for range 3 {
		_, err = b.client.Status(ctx, b.token, m.UploadID)
		require.NoError(t, err)
	}
	_, err = b.client.Status(ctx, b.token, m.UploadID)
	checkDaily(t, err, anaf.QuotaStatus, 3, "S-au facut deja 3 descarcari de mesaj in cursul zilei")

	for range 2 {
		_, err = b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
		require.NoError(t, err)
	}
	_, err = b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
	checkDaily(t, err, anaf.QuotaList, 2, "S-au facut deja 2 interogari de lista mesaje de catre utilizator in cursul zilei")

	inv, err := b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, b.fresh(t, "gen-01"))
	require.NoError(t, err)
	_, err = b.client.Upload(ctx, b.token, anaf.StandardRASP, cifGamma, raspBody(inv, "unu"))
	require.NoError(t, err)
	_, err = b.client.Upload(ctx, b.token, anaf.StandardRASP, cifGamma, raspBody(inv, "doi"))
	checkDaily(t, err, anaf.QuotaUploadRASP, 1, "S-au incarcat deja 1 de mesaje de tip RASP pentru cui="+cifGamma+" in cursul zile")

	// The next Bucharest day resets ANAF's counters.
	b.clock.Advance(midnight.Sub(b.clock.Now()))
	_, err = b.client.Download(ctx, b.token, m.ID)
	require.NoError(t, err)
}

// TestErrQuotaFaultHeader: X-Sim-Fault: quota gives each endpoint's daily
// text (descarcare, stareMesaj, both lists, upload); the endpoints without a
// daily quota get HTTP 429 with Retry-After (transient).
func TestErrQuotaFaultHeader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	daily := map[string]struct {
		q     anaf.Quota
		limit int
		text  string
	}{
		"descarcare":                  {anaf.QuotaDownload, 10, "S-au facut deja 10 descarcari de mesaj in cursul zilei"},
		"stareMesaj":                  {anaf.QuotaStatus, 100, "S-au facut deja 100 descarcari de mesaj in cursul zilei"},
		"listaMesajeFactura":          {anaf.QuotaList, 1500, "S-au facut deja 1500 interogari de lista mesaje de catre utilizator in cursul zilei"},
		"listaMesajePaginatieFactura": {anaf.QuotaListPaged, 100000, "S-au facut deja 100000 interogari de lista mesaje de catre utilizator in cursul zilei"},
		"upload":                      {anaf.QuotaUploadRASP, 1000, "S-au incarcat deja 1000 de mesaje de tip RASP pentru cui=" + cifAlfa + " in cursul zile"},
	}
	for _, c := range restCalls(t, b) {
		t.Run(c.name, func(t *testing.T) {
			err := c.do(withFault(ctx, anafsim.SimFaultQuota), b)
			d, ok := daily[c.endpoint]
			if !ok {
				e := requireANAFError(t, err, anaf.ErrQuota, anaf.KindQuota, "Too Many Requests")
				require.Equal(t, anaf.QuotaRate, e.Quota)
				require.Equal(t, http.StatusTooManyRequests, e.HTTPStatus)
				require.Equal(t, 60*time.Second, e.RetryAfter)
				require.True(t, anaf.IsTransient(err))
				return
			}
			e := requireANAFError(t, err, anaf.ErrQuota, anaf.KindQuota, d.text)
			require.Equal(t, d.q, e.Quota)
			require.Equal(t, d.limit, e.Limit)
			require.False(t, e.Local)
			require.False(t, anaf.IsTransient(err))
		})
	}
}

// ---- quota: the client's own accounting ----

// TestErrQuotaLocal: the client's accounting refuses the call ANAF would
// refuse, Local=true, and the simulator is not called (its call counter
// does not move): the 11th download of an id, the 11th stareMesaj of an
// index (the client takes API.md's stricter 10), the simple list, RASP
// uploads and the per-minute limit lowered through QuotaLimits.
func TestErrQuotaLocal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, func(o *setupOpts) {
		o.client = func(c *anaf.Config) {
			c.QuotaLimits = anaf.QuotaLimits{ListPerCIFPerDay: 2, RASPUploadsPerCIFPerDay: 1}
		}
	})
	midnight := time.Date(2026, 1, 16, 0, 0, 0, 0, anaf.Bucharest())
	local := func(t *testing.T, endpoint string, q anaf.Quota, limit int, fn func() error) {
		t.Helper()
		before := b.calls(endpoint)
		err := fn()
		e := requireANAFError(t, err, anaf.ErrQuota, anaf.KindQuota, "")
		require.True(t, e.Local)
		require.Equal(t, q, e.Quota)
		require.Equal(t, limit, e.Limit)
		require.Zero(t, e.HTTPStatus)
		require.Contains(t, e.Text, "The gateway's own quota accounting refused this call before contacting ANAF")
		if q != anaf.QuotaRate {
			require.Equal(t, midnight.UTC(), e.ResetAt)
		}
		require.Equal(t, before, b.calls(endpoint), "ANAF (the simulator) was not called")
	}

	m := b.anyMessage(t, cifAlfa, anaf.TypeSent)
	for range 10 {
		_, err := b.client.Download(ctx, b.token, m.ID)
		require.NoError(t, err)
	}
	local(t, "descarcare", anaf.QuotaDownload, 10, func() error { _, err := b.client.Download(ctx, b.token, m.ID); return err })
	require.Equal(t, 10, b.sim.Stats().MaxDownloadsPerMessage)

	for range 10 {
		_, err := b.client.Status(ctx, b.token, m.UploadID)
		require.NoError(t, err)
	}
	local(t, "stareMesaj", anaf.QuotaStatus, 10, func() error { _, err := b.client.Status(ctx, b.token, m.UploadID); return err })

	for range 2 {
		_, err := b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
		require.NoError(t, err)
	}
	local(t, "listaMesajeFactura", anaf.QuotaList, 2, func() error {
		_, err := b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
		return err
	})

	inv, err := b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, b.fresh(t, "gen-01"))
	require.NoError(t, err)
	_, err = b.client.Upload(ctx, b.token, anaf.StandardRASP, cifGamma, raspBody(inv, "unu"))
	require.NoError(t, err)
	local(t, "upload", anaf.QuotaUploadRASP, 1, func() error {
		_, err := b.client.Upload(ctx, b.token, anaf.StandardRASP, cifGamma, raspBody(inv, "doi"))
		return err
	})

	// Per minute, on the shared clock.
	pm := setup(t, func(o *setupOpts) { o.client = func(c *anaf.Config) { c.QuotaLimits = anaf.QuotaLimits{PerMinute: 2} } })
	for range 2 {
		_, err := pm.client.Validate(ctx, pm.token, anaf.StandardFACT1, pm.file(t, "gen-01"))
		require.NoError(t, err)
	}
	before := pm.calls("validare")
	_, err = pm.client.Validate(ctx, pm.token, anaf.StandardFACT1, pm.file(t, "gen-01"))
	e := requireANAFError(t, err, anaf.ErrQuota, anaf.KindQuota, "")
	require.True(t, e.Local)
	require.Equal(t, anaf.QuotaRate, e.Quota)
	require.Equal(t, time.Minute, e.RetryAfter, "the clock sits on an exact minute")
	require.True(t, anaf.IsTransient(err))
	require.Equal(t, before, pm.calls("validare"))
	pm.clock.Advance(time.Minute)
	_, err = pm.client.Validate(ctx, pm.token, anaf.StandardFACT1, pm.file(t, "gen-01"))
	require.NoError(t, err)
}

// ---- not found, expired ----

// TestErrNotFound: an unknown download id and an unknown upload index.
func TestErrNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	_, err := b.client.Download(ctx, b.token, "3099999999")
	requireANAFError(t, err, anaf.ErrNotFound, anaf.KindNotFound, "Pentru id=3099999999 nu exista inregistrata nici o factura")
	_, err = b.client.Status(ctx, b.token, "5099999999")
	requireANAFError(t, err, anaf.ErrNotFound, anaf.KindNotFound, "Nu exista factura cu id_incarcare= 5099999999")
	// Opaque ids longer than int64 travel as strings.
	_, err = b.client.Download(ctx, b.token, "123456789012345678901234567890")
	requireANAFError(t, err, anaf.ErrNotFound, anaf.KindNotFound, "Pentru id=123456789012345678901234567890 nu exista inregistrata nici o factura")
}

// TestErrExpired: 61 days on, a message has left the lists and its download
// answers ANAF's 60-day text (ErrExpired).
func TestErrExpired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	m := b.anyMessage(t, cifAlfa, anaf.TypeSent)
	b.clock.Advance(61 * 24 * time.Hour)
	_, err := b.client.Download(ctx, b.token, m.ID)
	e := requireANAFError(t, err, anaf.ErrExpired, anaf.KindExpired,
		"Fisierul nu mai poate fi descarcat pentru ca a trecut perioada de 60 de zile in care este disponibil")
	require.False(t, anaf.IsTransient(e))
	msgs, err := b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, msgs, "older than 60 days: out of the lists")
	require.Zero(t, b.sim.Stats().Messages[cifAlfa])
}

// ---- invalid request ----

// TestErrInvalidRequest: arguments the client refuses itself (Local, the
// simulator not called), ANAF's parameter texts (family B) and the family D
// HTTP 400/404 answers reached by leaving a parameter empty.
func TestErrInvalidRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	now := b.clock.Now()

	localCases := []struct {
		name, endpoint string
		do             func() error
	}{
		{"zile 0", "listaMesajeFactura", func() error {
			_, err := b.client.ListRecentMessages(ctx, b.token, cifAlfa, 0, anaf.ListOptions{})
			return err
		}},
		{"zile 61", "listaMesajeFactura", func() error {
			_, err := b.client.ListRecentMessages(ctx, b.token, cifAlfa, 61, anaf.ListOptions{})
			return err
		}},
		{"filtru X simple", "listaMesajeFactura", func() error {
			_, err := b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{Filter: "X"})
			return err
		}},
		{"filtru X paginated", "listaMesajePaginatieFactura", func() error {
			_, err := b.client.ListMessagesWithOptions(ctx, b.token, cifAlfa, now.Add(-time.Hour), now, anaf.ListOptions{Filter: "X"})
			return err
		}},
	}
	for _, tc := range localCases {
		t.Run("local "+tc.name, func(t *testing.T) {
			before := b.calls(tc.endpoint)
			e := requireANAFError(t, tc.do(), anaf.ErrInvalidRequest, anaf.KindInvalidRequest, "")
			require.True(t, e.Local)
			require.Contains(t, e.Text, "before calling ANAF")
			require.Equal(t, before, b.calls(tc.endpoint))
		})
	}

	fmtT := func(t time.Time) string { return t.In(anaf.Bucharest()).Format("02-01-2006 15:04:05") }
	old := now.Add(-61 * 24 * time.Hour)
	future := now.Add(time.Hour)
	anafCases := []struct {
		name   string
		status int
		text   string
		do     func() error
	}{
		{"simple list cif not a number", 200, "CIF introdus= abc nu este un numar", func() error {
			_, err := b.client.ListRecentMessages(ctx, b.token, "abc", 60, anaf.ListOptions{})
			return err
		}},
		{"paginated cif not a number", 200, "CIF introdus= abc nu este un numar sau nu are o valoare acceptata de sistem", func() error {
			_, err := b.client.ListMessages(ctx, b.token, "abc", now.Add(-time.Hour), now)
			return err
		}},
		{"startTime older than 60 days", 200, "startTime = " + fmtT(old) + " nu poate fi mai vechi de 60 de zile fata de momentul requestului", func() error {
			_, err := b.client.ListMessages(ctx, b.token, cifAlfa, old, now)
			return err
		}},
		{"endTime in the future", 200, "endTime = " + fmtT(future) + " nu poate in viitor fata de momentul requestului", func() error {
			_, err := b.client.ListMessages(ctx, b.token, cifAlfa, now.Add(-time.Hour), future)
			return err
		}},
		{"endTime <= startTime", 200, "endTime = " + fmtT(now.Add(-time.Hour)) + " nu poate fi <= startTime = " + fmtT(now), func() error {
			_, err := b.client.ListMessages(ctx, b.token, cifAlfa, now, now.Add(-time.Hour))
			return err
		}},
		{"download id not a number", 200, "Id descarcare introdus= abc nu este un numar intreg", func() error {
			_, err := b.client.Download(ctx, b.token, "abc")
			return err
		}},
		{"stareMesaj index not a number", 200, "Id_incarcare introdus= abc nu este un numar intreg", func() error {
			_, err := b.client.Status(ctx, b.token, "abc")
			return err
		}},
		{"upload bad standard", 200, "Valorile acceptate pentru parametrul standard sunt UBL, CN, CII sau RASP", func() error {
			_, err := b.client.Upload(ctx, b.token, "XYZ", cifAlfa, b.fresh(t, "gen-01"))
			return err
		}},
		{"upload cif not a number", 200, "CIF introdus= RO12345674 nu este un numar", func() error {
			_, err := b.client.Upload(ctx, b.token, anaf.StandardUBL, "RO12345674", b.fresh(t, "gen-01"))
			return err
		}},
		// family D (Spring Boot) answers, reachable with an empty parameter
		{"D400 simple list without cif", 400, "Parametrii zile si cif sunt obligatorii", func() error {
			_, err := b.client.ListRecentMessages(ctx, b.token, "", 60, anaf.ListOptions{})
			return err
		}},
		{"D400 paginated without cif", 400, "Parametrii startTime, endTime, cif si pagina sunt obligatorii", func() error {
			_, err := b.client.ListMessages(ctx, b.token, "", now.Add(-time.Hour), now)
			return err
		}},
		{"D400 download without id", 400, "Parametrul id este obligatoriu", func() error {
			_, err := b.client.Download(ctx, b.token, "")
			return err
		}},
		{"D400 stareMesaj without index", 400, "Parametrul id_incarcare este obligatoriu", func() error {
			_, err := b.client.Status(ctx, b.token, "")
			return err
		}},
		{"D400 upload without body", 400, "Trebuie sa aveti atasat in request un fisier de tip xml", func() error {
			_, err := b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, nil)
			return err
		}},
		{"D400 upload without standard", 400, "Parametrii standard si cif sunt obligatorii", func() error {
			_, err := b.client.Upload(ctx, b.token, "", cifAlfa, b.fresh(t, "gen-01"))
			return err
		}},
		{"D404 validare without standard", 404, "Not Found", func() error {
			_, err := b.client.Validate(ctx, b.token, "", b.file(t, "gen-01"))
			return err
		}},
		{"D404 transformare without standard", 404, "Not Found", func() error {
			_, err := b.client.Transform(ctx, b.token, "", b.file(t, "gen-01"), false)
			return err
		}},
	}
	for _, tc := range anafCases {
		t.Run(tc.name, func(t *testing.T) {
			e := requireANAFError(t, tc.do(), anaf.ErrInvalidRequest, anaf.KindInvalidRequest, tc.text)
			require.False(t, e.Local)
			require.Equal(t, tc.status, e.HTTPStatus)
			require.False(t, anaf.IsTransient(e))
		})
	}
}

// ---- rejected ----

// TestErrRejected: an upload that is not well-formed, or whose root is not
// the standard's, is refused synchronously with ANAF's (Xerces) text.
func TestErrRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(invoicesDir, name))
		require.NoError(t, err)
		return data
	}
	_, err := b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, read("refused-not-well-formed.xml"))
	requireANAFError(t, err, anaf.ErrRejected, anaf.KindRejected,
		"Fisierul transmis nu este valid. org.xml.sax.SAXParseException; lineNumber: 4; columnNumber: 1; XML document structures must start and end within the same entity. ")

	_, err = b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, read("refused-wrong-root.xml"))
	e := requireANAFError(t, err, anaf.ErrRejected, anaf.KindRejected, "")
	require.True(t, strings.HasPrefix(e.Text, "Fisierul transmis nu este valid. org.xml.sax.SAXParseException; lineNumber: 3;"), e.Text)
	require.Contains(t, e.Text, "cvc-elt.1.a: Cannot find the declaration of element 'CrossIndustryInvoice'.")

	// A credit note sent as standard=UBL.
	_, err = b.client.Upload(ctx, b.token, anaf.StandardUBL, cifDelta, b.fresh(t, "gen-05"))
	e = requireANAFError(t, err, anaf.ErrRejected, anaf.KindRejected, "")
	require.Contains(t, e.Text, "Cannot find the declaration of element 'CreditNote'.")
	require.False(t, anaf.IsTransient(err))
	require.Zero(t, b.sim.Stats().OKCalls["upload"])
}

// ---- transient ----

// TestErrTransient: HTTP 500 (family D), 502/504 HTML pages, a hung answer
// past a short client Timeout, a truncated body, and the queued faults
// http503_html, waf_html, http500, empty_body and tech_error (outside
// upload): ErrTransient, with ANAF's (or the page's visible) text.
func TestErrTransient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, func(o *setupOpts) {
		o.sim = func(so *anafsim.Options) { so.Hang = 5 * time.Second; so.NoQuotas = true }
		// every case downloads twice: the client's 10/day would run out
		o.client = func(c *anaf.Config) { c.Timeout = 300 * time.Millisecond; c.Quota = anaf.UnlimitedQuota }
	})
	m := b.anyMessage(t, cifAlfa, anaf.TypeSent)
	download := func(ctx context.Context) error { _, err := b.client.Download(ctx, b.token, m.ID); return err }
	list := func(ctx context.Context) error {
		_, err := b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
		return err
	}
	status := func(ctx context.Context) error { _, err := b.client.Status(ctx, b.token, m.UploadID); return err }

	const waf = "Request Rejected The requested URL was rejected. Please consult with your administrator. Your support ID is: 1234567890123456789 [Go Back]"
	tests := []struct {
		name     string
		header   string // X-Sim-Fault
		queued   string // POST /__sim/faults kind
		endpoint string
		do       func(context.Context) error
		status   int
		text     string // "" when ANAF said nothing (transport failure)
	}{
		{"500 download", anafsim.SimFault500, "", "descarcare", download, 500, "Internal Server Error"},
		{"500 list", anafsim.SimFault500, "", "listaMesajeFactura", list, 500, "Internal Server Error"},
		{"500 status", anafsim.SimFault500, "", "stareMesaj", status, 500, "Internal Server Error"},
		{"502 download", anafsim.SimFault502, "", "descarcare", download, 502, "502 Bad Gateway Bad Gateway"},
		{"504 list", anafsim.SimFault504, "", "listaMesajeFactura", list, 504, "504 Gateway Timeout Gateway Timeout"},
		{"timeout download", anafsim.SimFaultTimeout, "", "descarcare", download, 0, ""},
		{"timeout status", anafsim.SimFaultTimeout, "", "stareMesaj", status, 0, ""},
		{"truncate download", anafsim.SimFaultTruncate, "", "descarcare", download, 200, ""},
		{"truncate list", anafsim.SimFaultTruncate, "", "listaMesajeFactura", list, 200, ""},
		{"queued http503_html", "", anafsim.FaultHTTP503HTML, "descarcare", download, 503, "503 Service Unavailable Service Unavailable"},
		{"queued waf_html download", "", anafsim.FaultWAFHTML, "descarcare", download, 200, waf},
		{"queued waf_html list", "", anafsim.FaultWAFHTML, "listaMesajeFactura", list, 200, waf},
		{"queued http500", "", anafsim.FaultHTTP500, "stareMesaj", status, 500, "A aparut o eroare tehnica"},
		{"queued empty_body", "", anafsim.FaultEmptyBody, "listaMesajeFactura", list, 200, ""},
		{"queued tech_error download", "", anafsim.FaultTechError, "descarcare", download, 200, "A aparut o eroare tehnica. Cod: 1814"},
		{"queued tech_error status", "", anafsim.FaultTechError, "stareMesaj", status, 200, "A aparut o eroare tehnica. Cod: 1814"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cctx := ctx
			if tc.header != "" {
				cctx = withFault(ctx, tc.header)
			} else {
				b.postFault(t, tc.endpoint, tc.queued, 1)
			}
			err := tc.do(cctx)
			e := requireANAFError(t, err, anaf.ErrTransient, anaf.KindTransient, tc.text)
			require.True(t, anaf.IsTransient(err))
			require.Equal(t, tc.status, e.HTTPStatus)
			if tc.text == "" {
				require.Empty(t, e.Text, "nothing from ANAF")
				require.Error(t, e.Err, "the cause is kept")
			}
			require.NoError(t, tc.do(ctx), "the next call works")
		})
	}
}

// ---- outcome unknown ----

// TestErrOutcomeUnknown: an upload answered "A aparut o eroare tehnica"
// (queued tech_error), whose answer is lost after the work was done
// (lost_response), that times out, is truncated or gets a 5xx is
// ErrOutcomeUnknown (and transient). After lost_response the upload did
// happen: the message list shows it.
func TestErrOutcomeUnknown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, func(o *setupOpts) {
		o.sim = func(so *anafsim.Options) { so.Hang = 700 * time.Millisecond }
		o.client = func(c *anaf.Config) { c.Timeout = 300 * time.Millisecond }
	})
	upload := func(ctx context.Context) (string, error) {
		return b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, b.fresh(t, "gen-01"))
	}
	tests := []struct {
		name, header, queued string
		text                 string
		done                 bool // the simulator registered the upload
	}{
		{"queued tech_error", "", anafsim.FaultTechError, "A aparut o eroare tehnica. Cod: 1814", false},
		{"queued lost_response", "", anafsim.FaultLostResponse, "", true},
		{"queued http500", "", anafsim.FaultHTTP500, "A aparut o eroare tehnica", false},
		{"queued waf_html", "", anafsim.FaultWAFHTML, "Request Rejected The requested URL was rejected. Please consult with your administrator. Your support ID is: 1234567890123456789 [Go Back]", false},
		// docs/anaf-sim.md: a hung answer is "then answered normally — an
		// upload is then accepted although the client saw a timeout"
		// (after Options.Hang: the server cannot see the client leave
		// while the upload body is unread).
		{"X-Sim-Fault timeout", anafsim.SimFaultTimeout, "", "", true},
		{"X-Sim-Fault truncate", anafsim.SimFaultTruncate, "", "", true},
		{"X-Sim-Fault 504", anafsim.SimFault504, "", "504 Gateway Timeout Gateway Timeout", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cctx := ctx
			if tc.header != "" {
				cctx = withFault(ctx, tc.header)
			} else {
				b.postFault(t, "upload", tc.queued, 1)
			}
			before := b.sim.Stats().Messages[cifAlfa]
			_, err := upload(cctx)
			requireANAFError(t, err, anaf.ErrOutcomeUnknown, anaf.KindOutcomeUnknown, tc.text)
			require.ErrorIs(t, err, anaf.ErrTransient)
			if tc.done {
				require.Eventually(t, func() bool { return b.sim.Stats().Messages[cifAlfa] == before+1 },
					3*time.Second, 20*time.Millisecond, "the upload was registered although the client saw no answer")
			} else {
				require.Equal(t, before, b.sim.Stats().Messages[cifAlfa])
			}
		})
	}
}

// ---- malformed ----

// TestErrMalformed: a ZIP cut in half and sent as complete (X-Sim-Fault:
// badzip, queued malformed_zip) is ErrMalformed, deliberately not transient.
func TestErrMalformed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	m := b.anyMessage(t, cifAlfa, anaf.TypeSent)
	_, err := b.client.Download(withFault(ctx, anafsim.SimFaultBadZip), b.token, m.ID)
	e := requireANAFError(t, err, anaf.ErrMalformed, anaf.KindMalformed, "")
	require.False(t, anaf.IsTransient(e))
	require.Equal(t, http.StatusOK, e.HTTPStatus)

	b.postFault(t, "descarcare", anafsim.FaultMalformedZip, 1)
	_, err = b.client.Download(ctx, b.token, m.ID)
	requireANAFError(t, err, anaf.ErrMalformed, anaf.KindMalformed, "")
	_, err = b.client.Download(ctx, b.token, m.ID)
	require.NoError(t, err)
}

// ---- canceled ----

// TestErrCanceled: a context canceled before the call (ANAF not called) or
// while the simulator holds the answer is KindCanceled and wraps
// context.Canceled; neither is transient.
func TestErrCanceled(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) { o.sim = func(so *anafsim.Options) { so.Hang = 5 * time.Second } })
	m := b.anyMessage(t, cifAlfa, anaf.TypeSent)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := b.calls("descarcare")
	_, err := b.client.Download(ctx, b.token, m.ID)
	requireANAFError(t, err, nil, anaf.KindCanceled, "")
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, anaf.IsTransient(err))
	require.Equal(t, before, b.calls("descarcare"))

	ctx, cancel = context.WithCancel(withFault(context.Background(), anafsim.SimFaultTimeout))
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err = b.client.ListRecentMessages(ctx, b.token, cifAlfa, 60, anaf.ListOptions{})
	require.Less(t, time.Since(start), 3*time.Second)
	requireANAFError(t, err, nil, anaf.KindCanceled, "")
	require.ErrorIs(t, err, context.Canceled)

	// Deadline of the caller's own context.
	ctx, cancel2 := context.WithTimeout(withFault(context.Background(), anafsim.SimFaultTimeout), 100*time.Millisecond)
	defer cancel2()
	_, err = b.client.Status(ctx, b.token, m.UploadID)
	requireANAFError(t, err, nil, anaf.KindCanceled, "")
	require.True(t, errors.Is(err, context.DeadlineExceeded))
}

// TestErrCanceledUploadBeforeSending: an upload whose context is already
// canceled is never sent, so its outcome is known (nothing happened): it
// should be KindCanceled, not KindOutcomeUnknown (which makes the caller
// reconcile an upload that was never made).
func TestErrCanceledUploadBeforeSending(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := b.calls("upload")
	_, err := b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, b.fresh(t, "gen-01"))
	require.Equal(t, before, b.calls("upload"), "nothing was sent")
	requireANAFError(t, err, nil, anaf.KindCanceled, "")
}
