package browsertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
)

// refusedCIF is EPSILON ÎNVĂŢARE SRL: in ANAF's VAT-payer register (the
// simulator's), but outside the simulated certificate's SPV rights.
const refusedCIF = "27182818"

// TestBrowserFirstSteps walks a new user's first steps (issue 17): the
// empty dashboard says "connect ANAF first" (and the companies page too);
// after connecting, the dashboard points to adding companies; a CIF typed
// without a name is added verified with the name from ANAF's VAT-payer
// register; "Fill in from ANAF" shows a CIF's name and address; a CIF the
// certificate has no SPV right for is refused with ANAF's answer explained
// in the page's language, and nothing is added; partners of synced
// invoices are offered as suggestions only. At 1280 and 360 px, Romanian
// and English, with a clean console.
func TestBrowserFirstSteps(t *testing.T) {
	needChromium(t)
	var rights []string
	for _, c := range anafsim.VATCompanies {
		if c.CUI != refusedCIF {
			rights = append(rights, c.CUI)
		}
	}
	g := startGatewayWith(t, func(o *anafsim.Options) { o.RightsCIFs = rights })
	ctx := t.Context()
	hash, err := auth.HashPassword(password)
	require.NoError(t, err)
	_, err = g.store.CreateUser(ctx, userEmail, hash, false, store.UserApproved)
	require.NoError(t, err)

	b := newBrowser(t, g.url)
	var problems []string
	fits := func(what string, width int64) {
		if sw := b.eval(`String(document.documentElement.scrollWidth)`); sw != fmt.Sprint(width) {
			problems = append(problems, fmt.Sprintf("%s at %d px is %s px wide", what, width, sw))
		}
	}
	both := func(name, path, sel string, check func(lang string)) {
		for _, width := range []int64{1280, 360} {
			b.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 900))
			for _, lang := range []string{"ro", "en"} {
				b.open(path + sep(path) + "lang=" + lang)
				b.do("wait "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
				b.shot(fmt.Sprintf("%s-%s-%d", name, lang, width))
				fits(name+" ("+lang+")", width)
				check(lang)
			}
		}
		b.do("viewport 1280", chromedp.EmulateViewport(1280, 900))
		b.open(path + sep(path) + "lang=ro")
	}

	// A new user: the first step is connecting ANAF; adding waits.
	b.login(userEmail)
	both("firststeps-new", "/", "#first-steps", func(lang string) {
		steps := b.text("#first-steps")
		want := map[string][]string{"ro": {"Primii pași", "Conectați ANAF", "Mai întâi pasul 1"}, "en": {"First steps", "Connect ANAF", "Step 1 first"}}[lang]
		for _, w := range want {
			if !strings.Contains(steps, w) {
				problems = append(problems, fmt.Sprintf("first steps (%s): %q missing in %q", lang, w, steps))
			}
		}
		if b.eval(`String(!!document.querySelector("#step-anaf a[href='/anaf']"))`) != "true" {
			problems = append(problems, "first steps: no link to /anaf before connecting")
		}
	})
	b.open("/companies")
	require.Contains(t, b.text("#connect-first"), "Conectați mai întâi ANAF")

	// Connect ANAF: step 1 is done, step 2 links to the companies page.
	b.open("/anaf")
	b.do("connect", chromedp.Click(chromedp.CSS("a[href='/anaf/connect']")), chromedp.WaitVisible(chromedp.CSS(".status-ok")))
	both("firststeps-connected", "/", "#first-steps", func(lang string) {
		done := b.text("#step-anaf")
		if w := map[string]string{"ro": "ANAF este conectat.", "en": "ANAF is connected."}[lang]; !strings.Contains(done, w) {
			problems = append(problems, fmt.Sprintf("step 1 (%s): %q missing in %q", lang, w, done))
		}
		if b.eval(`String(!!document.querySelector("#step-companies a[href='/companies']"))`) != "true" {
			problems = append(problems, "step 2: no link to /companies once connected")
		}
	})
	b.open("/companies")
	require.Equal(t, "0", b.eval(`String(document.querySelectorAll("#connect-first").length)`))

	// A CIF without a name: added verified, named from ANAF's register.
	b.fill("#cif", "RO"+companyCIF)
	b.submit("form[action='/companies'] button.primary", ".flash-ok")
	b.shot("firststeps-added")
	c, err := g.store.CompanyByCIF(ctx, companyCIF)
	require.NoError(t, err)
	require.Equal(t, "BETA TRADING SRL", c.Name)
	require.Equal(t, store.CompanyVerified, c.Status, "ANAF answered for the CIF with the user's token")
	require.Contains(t, b.text("main table"), "BETA TRADING SRL")

	// "Fill in from ANAF": name and address; then ANAF refuses the CIF.
	b.fill("#cif", refusedCIF)
	b.submit(`button[name="lookup"]`, "#found-hint")
	require.Equal(t, "EPSILON ÎNVĂŢARE SRL", b.eval(`document.querySelector("#name").value`))
	require.Contains(t, b.text("#found-hint"), "STR. MUREŞENILOR")
	b.shot("firststeps-lookup")
	b.submit("form[action='/companies'] button.primary", "#cif-error")
	b.shot("firststeps-refused-ro")
	refusal := b.text("#cif-error")
	require.Contains(t, refusal, "Certificatul dvs. nu are drept în SPV pentru CIF "+refusedCIF)
	require.Contains(t, refusal, "Nu aveti drept in SPV pentru CIF="+refusedCIF, "ANAF's own answer")
	_, err = g.store.CompanyByCIF(ctx, refusedCIF)
	require.ErrorIs(t, err, store.ErrNotFound, "a refused CIF is not added")
	b.open("/companies?lang=en")
	b.fill("#cif", "RO"+refusedCIF, "#name", "EPSILON")
	b.submit("form[action='/companies'] button.primary", "#cif-error")
	b.shot("firststeps-refused-en")
	require.Contains(t, b.text("#cif-error"), "Your certificate has no SPV right for CIF "+refusedCIF)

	// Partners of synced invoices are offered, as suggestions only.
	gmc := insertInvoice(t, g, c, "3300000301", "../../testdata/invoices/gen-03-invoice-eur-GMC-0001.xml")
	// The parties as ANAF's message list names them (a sync stores them).
	_, err = g.store.DB().ExecContext(ctx, `UPDATE invoices SET cif_emitent = $1, cif_beneficiar = $2 WHERE id = $3`, "RO31415920", companyCIF, gmc.ID)
	require.NoError(t, err)
	both("firststeps-suggestions", "/companies", "ul.suggestions", func(lang string) {
		list := b.text("ul.suggestions")
		if !strings.Contains(list, "31415920") || strings.Contains(list, companyCIF) {
			problems = append(problems, fmt.Sprintf("suggestions (%s): want GAMMA's CIF and not the user's own: %q", lang, list))
		}
	})
	b.submit(`ul.suggestions a[href*="cif=31415920"]`, "#found-hint")
	require.Equal(t, "GAMMA CONSTRUCŢII SA", b.eval(`document.querySelector("#name").value`))

	require.Empty(t, problems)
	b.mu.Lock()
	defer b.mu.Unlock()
	var console []string
	for _, c := range b.console {
		if !strings.Contains(c, "status of 422") { // the refused form's answer
			console = append(console, c)
		}
	}
	require.Empty(t, console, "console errors or CSP violations")
}

// sep is the separator before one more query parameter of path.
func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}
