package browsertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestBrowserTenancyPages renders the pages of issue 11 (companies with
// status and consent, a company's members with invitations and join
// requests, the invitations page, an unverified company's dashboard) at
// 1280 and 360 px: nothing may overflow the page sideways, and the
// console stays clean.
func TestBrowserTenancyPages(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	ctx := t.Context()
	st := g.store
	hash, err := auth.HashPassword(password)
	require.NoError(t, err)
	mkUser := func(email string) *store.User {
		u, err := st.CreateUser(ctx, email, hash, false, store.UserApproved)
		require.NoError(t, err)
		return u
	}
	ana, radu := mkUser(userEmail), mkUser("radu.popescu-contabilitate@example.ro")

	// A verified company Ana owns, with a member who lends nothing, a
	// pending invitation and a join request; an unverified one; and an
	// invitation to Ana from Radu's company.
	beta := verifiedCompany(t, st, companyCIF, "BETA TRADING SRL", ana)
	require.NoError(t, st.InsertMembership(ctx, beta.ID, radu.ID, store.RoleMember, false))
	in14 := time.Now().Add(14 * 24 * time.Hour)
	require.NoError(t, st.CreateInvitation(ctx, &store.Invitation{CompanyID: beta.ID, Email: "maria.ionescu-expert-contabil@example.ro", Role: store.RoleMember, InvitedBy: ana.ID, ExpiresAt: in14}))
	alfa, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SOLUȚII INFORMATICE ȘI CONSULTANȚĂ SRL", ana.ID)
	require.NoError(t, err)
	joiner := mkUser("ion.vasilescu@example.ro")
	_, err = st.CreateJoinRequest(ctx, beta.ID, joiner.ID)
	require.NoError(t, err)
	gamma, err := st.CreateCompanyWithOwner(ctx, "18547290", "GAMMA DISTRIBUȚIE ȘI LOGISTICĂ SRL", radu.ID)
	require.NoError(t, err)
	require.NoError(t, st.CreateInvitation(ctx, &store.Invitation{CompanyID: gamma.ID, Email: userEmail, Role: store.RoleOwner, InvitedBy: radu.ID, ExpiresAt: in14}))

	b := newBrowser(t, g.url)
	b.login(userEmail)
	var problems []string // collected, so every page gets its screenshot
	for _, width := range []int64{1280, 360} {
		b.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 900))
		for _, pg := range []struct{ name, path, want string }{
			{"companies", "/companies", "form[action$='/consent'] button"},
			{"company", fmt.Sprintf("/companies/%d", beta.ID), "form[action$='/revoke'] button"},
			{"invitations", "/invitations", "form[action$='/accept'] button"},
			{"unverified", fmt.Sprintf("/?company=%d", alfa.ID), ".notice-unverified"},
		} {
			b.open(pg.path)
			b.do("wait "+pg.want, chromedp.WaitVisible(chromedp.CSS(pg.want)))
			b.shot(fmt.Sprintf("tenancy-%s-%d", pg.name, width))
			if over := b.eval(`String(document.documentElement.scrollWidth - document.documentElement.clientWidth)`); over != "0" {
				problems = append(problems, fmt.Sprintf("%s at %d px overflows the page sideways by %s px", pg.path, width, over))
			}
			// Every button is within the viewport, not cut off in a table scrolled sideways.
			cut := b.eval(`Array.from(document.querySelectorAll("main button")).filter(e => {
				const r = e.getBoundingClientRect(); return r.width > 0 && (r.left < 0 || r.right > document.documentElement.clientWidth + 0.5)
			}).map(e => e.textContent.trim()).join(" | ")`)
			if cut != "" {
				problems = append(problems, fmt.Sprintf("%s at %d px: buttons outside the viewport: %s", pg.path, width, cut))
			}
		}
	}
	require.Empty(t, problems)
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(t, b.console, "console errors or CSP violations")
}
