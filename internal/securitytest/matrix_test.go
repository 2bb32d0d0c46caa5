package securitytest

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/api"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Roles of the access matrix.
const (
	stranger    = "stranger"
	pendingUser = "pending"
	userA       = "userA"
	userB       = "userB"
	admin       = "admin"
	adminAsA    = "adminAsA" // an admin impersonating user A
)

var roles = []string{stranger, pendingUser, userA, userB, admin, adminAsA}

// matrixRoute is one route of the web or API route table, with the path
// its placeholders become in a world (A's company, invoice, key, member).
type matrixRoute struct {
	method, pattern string
}

// path fills the pattern's placeholders from w: {id} is A's company (or
// A's invoice under /invoices, the pending user under /admin/users),
// {kid} A's read key, {uid} A's second member.
func (r matrixRoute) path(w *world) string {
	p := r.pattern
	switch {
	case strings.HasPrefix(p, "/invoices/"), strings.HasPrefix(p, "/api/v1/invoices/{id}"):
		p = strings.Replace(p, "{id}", strconv.FormatInt(w.invA.ID, 10), 1)
	case strings.HasPrefix(p, "/uploads/"), strings.HasPrefix(p, "/api/v1/uploads/{id}"):
		p = strings.Replace(p, "{id}", strconv.FormatInt(w.uploadA.ID, 10), 1)
	case strings.HasPrefix(p, "/admin/users/"):
		p = strings.Replace(p, "{id}", strconv.FormatInt(w.pending.ID, 10), 1)
	case strings.HasPrefix(p, "/invitations/"):
		// below
	default:
		p = strings.Replace(p, "{id}", strconv.FormatInt(w.compA.ID, 10), 1)
	}
	switch {
	case strings.HasPrefix(p, "/invitations/{id}/accept"):
		p = strings.Replace(p, "{id}", strconv.FormatInt(w.inviteAccept.ID, 10), 1)
	case strings.HasPrefix(p, "/invitations/{id}/decline"):
		p = strings.Replace(p, "{id}", strconv.FormatInt(w.inviteDecline.ID, 10), 1)
	case strings.HasSuffix(p, "/handover"):
		p = strings.Replace(p, "{uid}", strconv.FormatInt(w.member2.ID, 10), 1)
	case strings.HasSuffix(p, "/accept") && strings.Contains(p, "{rid}"):
		p = strings.Replace(p, "{rid}", strconv.FormatInt(w.joinAccept.ID, 10), 1)
	case strings.Contains(p, "{rid}"):
		p = strings.Replace(p, "{rid}", strconv.FormatInt(w.joinDecline.ID, 10), 1)
	}
	p = strings.Replace(p, "{iid}", strconv.FormatInt(w.inviteOther.ID, 10), 1)
	if w.webhookA != nil { // webhooks (issue 19)
		p = strings.Replace(p, "{wid}", strconv.FormatInt(w.webhookA.ID, 10), 1)
		p = strings.Replace(p, "{did}", strconv.FormatInt(w.deliveryA.ID, 10), 1)
	}
	p = strings.Replace(p, "{kid}", strconv.FormatInt(w.keyA.ID, 10), 1)
	p = strings.Replace(p, "{uid}", strconv.FormatInt(w.member.ID, 10), 1)
	if p == "/export" {
		p += "?format=csv&company=" + strconv.FormatInt(w.compA.ID, 10)
	}
	switch p { // portfolio: the search's export and the bulk ZIPs
	case "/search/export":
		p += "?format=csv"
	case "/export/bulk.zip":
		p += "?company=" + strconv.FormatInt(w.compA.ID, 10)
	}
	return p
}

// Expected answers: ok 200; toLogin, toPend, home: a 303 to that page; nf
// 404; acted: a 303 elsewhere (the handler acted, or refused with a
// flash); bad: 422, the handler refused the empty form; 401 as written.
const (
	ok      = "200"
	toLogin = "303 /login"
	toPend  = "303 /pending"
	nf      = "404"
	acted   = "303"
	home    = "303 /"
	bad     = "422" // the handler was reached and refused the empty form
	// forbid: 403 with a reason, only for an admin impersonating a user
	// who tries to create credentials (PRODUCT.md §1).
	forbid = "403"
)

// matrix is the expected answer of every route for every role, in the
// order of roles. The routes are tried in this order, so the ones that
// end the session or change roles come last.
var matrix = []struct {
	route matrixRoute
	want  [6]string // stranger, pending, userA, userB, admin, adminAsA
}{
	// Public pages.
	{matrixRoute{"GET", "/static/app.css"}, [6]string{ok, ok, ok, ok, ok, ok}},
	{matrixRoute{"GET", "/register"}, [6]string{ok, ok, "303 /", "303 /", "303 /", "303 /"}},
	{matrixRoute{"GET", "/register/done"}, [6]string{ok, ok, ok, ok, ok, ok}},
	{matrixRoute{"GET", "/login"}, [6]string{ok, ok, "303 /", "303 /", "303 /", "303 /"}},
	{matrixRoute{"GET", "/pending"}, [6]string{toLogin, ok, "303 /", "303 /", "303 /", "303 /"}},
	// Pages of a logged-in user; B is not a member of A's company.
	{matrixRoute{"GET", "/"}, [6]string{toLogin, toPend, ok, ok, ok, ok}},
	{matrixRoute{"GET", "/account/password"}, [6]string{toLogin, toPend, ok, ok, ok, nf}},
	{matrixRoute{"GET", "/export"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/search"}, [6]string{toLogin, toPend, ok, ok, ok, ok}}, // portfolio: each user's own companies
	{matrixRoute{"GET", "/search/export"}, [6]string{toLogin, toPend, ok, ok, ok, ok}},
	{matrixRoute{"GET", "/search/bulk.zip"}, [6]string{toLogin, toPend, ok, ok, ok, ok}},
	{matrixRoute{"GET", "/export/bulk.zip"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/companies/{id}/sync/status"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/invoices/{id}"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/invoices/{id}/zip"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/invoices/{id}/xml"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/invoices/{id}/pdf"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/companies"}, [6]string{toLogin, toPend, ok, ok, ok, ok}},
	{matrixRoute{"GET", "/companies/{id}"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/companies/{id}/delete"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/companies/{id}/keys"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/anaf"}, [6]string{toLogin, toPend, ok, ok, ok, ok}},
	{matrixRoute{"GET", "/anaf/connect"}, [6]string{toLogin, toPend, acted, acted, acted, forbid}},
	{matrixRoute{"GET", "/anaf/callback"}, [6]string{toLogin, toPend, acted, acted, acted, forbid}},
	{matrixRoute{"GET", "/invitations"}, [6]string{toLogin, toPend, ok, ok, ok, ok}},
	{matrixRoute{"GET", "/validate"}, [6]string{toLogin, toPend, ok, ok, ok, ok}},
	// Sending invoices (issue 14): members only ({id} of /uploads is A's upload).
	{matrixRoute{"GET", "/companies/{id}/upload"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/companies/{id}/uploads"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/uploads/{id}"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/uploads/{id}/status"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	// The tamper-evident archive (issue 20 part 4): members only; the pack
	// without a period shows the page again with the refusal.
	{matrixRoute{"GET", "/companies/{id}/archive"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/companies/{id}/archive/heads"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/companies/{id}/archive/pack"}, [6]string{toLogin, toPend, bad, nf, nf, bad}},
	// Compliance watch, deadlines and numbering (issue 20): members only.
	{matrixRoute{"GET", "/companies/{id}/compliance/numbering"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	// Webhooks (issue 19): owners only; {wid} is A's endpoint, {did} its delivery.
	{matrixRoute{"GET", "/companies/{id}/webhooks"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	{matrixRoute{"GET", "/companies/{id}/webhooks/{wid}"}, [6]string{toLogin, toPend, ok, nf, nf, ok}},
	// Administration: 404 to everyone but admins (not even known to exist).
	{matrixRoute{"GET", "/admin/users"}, [6]string{toLogin, toPend, nf, nf, ok, nf}},
	{matrixRoute{"GET", "/admin/anaf"}, [6]string{toLogin, toPend, nf, nf, ok, nf}},
	{matrixRoute{"GET", "/admin/audit"}, [6]string{toLogin, toPend, nf, nf, ok, nf}},
	{matrixRoute{"GET", "/admin/system"}, [6]string{toLogin, toPend, nf, nf, ok, nf}},
	// Two-factor login (issue 19): the account page is the user's own (an
	// admin impersonating them gets 404); the second step answers only a
	// login waiting for its code, so here it sends everyone on.
	{matrixRoute{"GET", "/account/2fa"}, [6]string{toLogin, toPend, ok, ok, ok, nf}},
	{matrixRoute{"GET", "/login/2fa"}, [6]string{toLogin, toLogin, home, home, home, home}},
	{matrixRoute{"GET", "/admin/2fa"}, [6]string{toLogin, toPend, nf, nf, ok, nf}},
	// E-mail notifications (issue 19): one's own settings; the unsubscribe
	// page needs no login (the signed link is the authority): without a
	// valid link it is a 400 for everyone.
	{matrixRoute{"GET", "/account/notifications"}, [6]string{toLogin, toPend, ok, ok, ok, ok}},
	{matrixRoute{"GET", "/unsubscribe"}, [6]string{"400", "400", "400", "400", "400", "400"}},
	{matrixRoute{"GET", "/admin/mail"}, [6]string{toLogin, toPend, nf, nf, ok, nf}},
	{matrixRoute{"POST", "/account/notifications"}, [6]string{toLogin, toPend, acted, acted, acted, acted}},
	{matrixRoute{"POST", "/unsubscribe"}, [6]string{"400", "400", "400", "400", "400", "400"}},
	// The API ignores sessions: a cookie is no key.
	{matrixRoute{"GET", "/api/v1/health"}, [6]string{ok, ok, ok, ok, ok, ok}},
	{matrixRoute{"GET", "/api/v1/openapi.json"}, [6]string{ok, ok, ok, ok, ok, ok}},
	{matrixRoute{"GET", "/api/docs"}, [6]string{ok, ok, ok, ok, ok, ok}},
	{matrixRoute{"GET", "/api/v1/invoices"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/invoices/{id}"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/invoices/{id}/download"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/invoices/{id}/xml"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/invoices/{id}/pdf"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/invoices/export"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/invoices/bulk.zip"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/sync"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"POST", "/api/v1/sync"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"POST", "/api/v1/validate"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"POST", "/api/v1/invoices"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/uploads"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/uploads/{id}"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/archive"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/archive/heads"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/audit-pack"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/compliance/deadlines"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/compliance/spv"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/compliance/numbering"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"POST", "/api/v1/invoices/{id}/risk/checked"}, [6]string{"401", "401", "401", "401", "401", "401"}}, // issue 20
	{matrixRoute{"GET", "/api/v1/webhooks"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"POST", "/api/v1/webhooks"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"DELETE", "/api/v1/webhooks/{id}"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"POST", "/api/v1/webhooks/{id}/enable"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"POST", "/api/v1/webhooks/{id}/disable"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"POST", "/api/v1/webhooks/{id}/rotate-secret"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"GET", "/api/v1/webhooks/{id}/deliveries"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"POST", "/api/v1/webhooks/{id}/deliveries/{delivery}/resend"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"POST", "/api/v1/webhooks/{id}/test"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	// State-changing web routes, sent same-origin with an empty form.
	{matrixRoute{"POST", "/register"}, [6]string{bad, bad, bad, bad, bad, bad}},
	{matrixRoute{"POST", "/companies/{id}/sync"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/companies"}, [6]string{toLogin, toPend, bad, bad, bad, bad}},
	{matrixRoute{"POST", "/validate"}, [6]string{toLogin, toPend, bad, bad, bad, bad}},
	{matrixRoute{"POST", "/companies/{id}/upload"}, [6]string{toLogin, toPend, bad, nf, nf, bad}},
	{matrixRoute{"POST", "/invoices/{id}/message"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/invoices/{id}/risk/checked"}, [6]string{toLogin, toPend, acted, nf, nf, acted}}, // issue 20
	{matrixRoute{"POST", "/companies/{id}"}, [6]string{toLogin, toPend, bad, nf, nf, bad}},
	{matrixRoute{"POST", "/companies/{id}/numbering"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/companies/{id}/members"}, [6]string{toLogin, toPend, bad, nf, nf, forbid}},
	{matrixRoute{"POST", "/companies/{id}/keys"}, [6]string{toLogin, toPend, bad, nf, nf, forbid}},
	{matrixRoute{"POST", "/anaf/connect"}, [6]string{toLogin, toPend, acted, acted, acted, forbid}},
	// Tenancy (issue 11). A owns {id}; B was invited to it and to A's
	// second company; the admin is no member.
	{matrixRoute{"POST", "/invitations/{id}/decline"}, [6]string{toLogin, toPend, nf, acted, nf, nf}},
	{matrixRoute{"POST", "/companies/{id}/invitations/{iid}/revoke"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/companies/{id}/join-requests/{rid}/decline"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/companies/{id}/join-requests/{rid}/accept"}, [6]string{toLogin, toPend, acted, nf, nf, forbid}},
	{matrixRoute{"POST", "/companies/{id}/consent"}, [6]string{toLogin, toPend, acted, nf, nf, forbid}},
	{matrixRoute{"POST", "/companies/{id}/members/{uid}/role"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/anaf/test"}, [6]string{toLogin, toPend, acted, acted, acted, acted}},
	{matrixRoute{"POST", "/admin/users/{id}/approve"}, [6]string{toLogin, toPend, nf, nf, acted, nf}},
	{matrixRoute{"POST", "/admin/users/{id}/admin"}, [6]string{toLogin, toPend, nf, nf, acted, nf}},
	{matrixRoute{"POST", "/admin/users/{id}/reject"}, [6]string{toLogin, toPend, nf, nf, acted, nf}},
	{matrixRoute{"POST", "/admin/anaf"}, [6]string{toLogin, toPend, nf, nf, bad, nf}},
	{matrixRoute{"POST", "/companies/{id}/keys/{kid}/revoke"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/companies/{id}/webhooks"}, [6]string{toLogin, toPend, bad, nf, nf, forbid}},
	{matrixRoute{"POST", "/companies/{id}/webhooks/{wid}/test"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/companies/{id}/webhooks/{wid}/deliveries/{did}/resend"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/companies/{id}/webhooks/{wid}/disable"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/companies/{id}/webhooks/{wid}/enable"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/companies/{id}/webhooks/{wid}/rotate"}, [6]string{toLogin, toPend, ok, nf, nf, forbid}},
	{matrixRoute{"POST", "/companies/{id}/webhooks/{wid}/delete"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/companies/{id}/members/{uid}/remove"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/anaf/disconnect"}, [6]string{toLogin, toPend, acted, acted, acted, acted}},
	{matrixRoute{"POST", "/account/password"}, [6]string{toLogin, toPend, bad, bad, bad, nf}},
	// Two-factor login: confirming before the set-up started, new codes and
	// disabling before it is on are refused with a flash. (Confirm comes
	// before start: the page of a started set-up carries a random secret
	// and QR code, in which the leak check could find "pgx" by chance.)
	{matrixRoute{"POST", "/account/2fa/confirm"}, [6]string{toLogin, toPend, acted, acted, acted, nf}},
	{matrixRoute{"POST", "/account/2fa/start"}, [6]string{toLogin, toPend, acted, acted, acted, nf}},
	{matrixRoute{"POST", "/account/2fa/codes"}, [6]string{toLogin, toPend, acted, acted, acted, nf}},
	{matrixRoute{"POST", "/account/2fa/disable"}, [6]string{toLogin, toPend, acted, acted, acted, nf}},
	{matrixRoute{"POST", "/login/2fa"}, [6]string{toLogin, toLogin, home, home, home, home}},
	{matrixRoute{"POST", "/admin/2fa"}, [6]string{toLogin, toPend, nf, nf, bad, nf}},
	{matrixRoute{"POST", "/companies/{id}/delete"}, [6]string{toLogin, toPend, bad, nf, nf, bad}},
	// A hands {id} over to a member, then leaves it (no longer the last owner).
	{matrixRoute{"POST", "/companies/{id}/members/{uid}/handover"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/companies/{id}/leave"}, [6]string{toLogin, toPend, acted, nf, nf, acted}},
	{matrixRoute{"POST", "/admin/users/{id}/impersonate"}, [6]string{toLogin, toPend, nf, nf, acted, nf}},
	{matrixRoute{"POST", "/impersonate/stop"}, [6]string{toLogin, toPend, home, home, home, acted}},
	// B accepts the invitation to A's company (B becomes a member).
	{matrixRoute{"POST", "/invitations/{id}/accept"}, [6]string{toLogin, toPend, nf, acted, nf, nf}},
	{matrixRoute{"POST", "/login"}, [6]string{"401", "401", "401", "401", "401", "401"}},
	{matrixRoute{"POST", "/logout"}, [6]string{"303 /login", "303 /login", "303 /login", "303 /login", "303 /login", "303 /login"}},
}

// webRoutes is the web route table (internal/web/web.go routes()), kept
// here by hand; TestMatrixCoversRoutes fails when the two drift.
var webRoutes = []string{
	"GET /static/", "GET /register", "POST /register", "GET /register/done", "GET /login", "POST /login", "POST /logout", "GET /pending",
	"GET /account/password", "POST /account/password", "POST /impersonate/stop", "GET /{$}", "GET /export",
	"POST /companies/{id}/sync", "GET /companies/{id}/sync/status", "GET /invoices/{id}", "GET /invoices/{id}/zip",
	"GET /invoices/{id}/xml", "GET /invoices/{id}/pdf", "GET /companies", "POST /companies", "GET /companies/{id}",
	"POST /companies/{id}", "POST /companies/{id}/members", "POST /companies/{id}/members/{uid}/remove",
	"GET /companies/{id}/delete", "POST /companies/{id}/delete", "GET /companies/{id}/keys", "POST /companies/{id}/keys",
	"POST /companies/{id}/keys/{kid}/revoke", "GET /anaf", "GET /anaf/connect", "POST /anaf/connect", "GET /anaf/callback",
	"POST /anaf/disconnect", "POST /anaf/test", "GET /admin/users", "POST /admin/users/{id}/approve",
	"POST /admin/users/{id}/reject", "POST /admin/users/{id}/admin", "POST /admin/users/{id}/impersonate",
	"GET /admin/anaf", "POST /admin/anaf", "GET /admin/audit", "GET /admin/system",
	"POST /companies/{id}/members/{uid}/role", "POST /companies/{id}/members/{uid}/handover",
	"POST /companies/{id}/invitations/{iid}/revoke", "POST /companies/{id}/join-requests/{rid}/accept",
	"POST /companies/{id}/join-requests/{rid}/decline", "POST /companies/{id}/leave", "POST /companies/{id}/consent",
	"GET /invitations", "POST /invitations/{id}/accept", "POST /invitations/{id}/decline",
	"GET /validate", "POST /validate",
	"GET /companies/{id}/upload", "POST /companies/{id}/upload", "GET /companies/{id}/uploads",
	"GET /uploads/{id}", "GET /uploads/{id}/status", "POST /invoices/{id}/message",
	"GET /companies/{id}/archive", "GET /companies/{id}/archive/heads", "GET /companies/{id}/archive/pack",
	"GET /login/2fa", "POST /login/2fa", "GET /account/2fa", "POST /account/2fa/start", "POST /account/2fa/confirm",
	"POST /account/2fa/codes", "POST /account/2fa/disable", "GET /admin/2fa", "POST /admin/2fa",
	"GET /companies/{id}/compliance/numbering", "POST /companies/{id}/numbering",
	"POST /invoices/{id}/risk/checked",
	"GET /account/notifications", "POST /account/notifications", "GET /unsubscribe", "POST /unsubscribe", "GET /admin/mail",
	"GET /companies/{id}/webhooks", "POST /companies/{id}/webhooks", "GET /companies/{id}/webhooks/{wid}",
	"POST /companies/{id}/webhooks/{wid}/enable", "POST /companies/{id}/webhooks/{wid}/disable",
	"POST /companies/{id}/webhooks/{wid}/delete", "POST /companies/{id}/webhooks/{wid}/rotate",
	"POST /companies/{id}/webhooks/{wid}/test", "POST /companies/{id}/webhooks/{wid}/deliveries/{did}/resend",
}

// TestMatrixCoversRoutes fails when a route of the web route table (read
// from internal/web/web.go) or of the API's OpenAPI document is missing
// from the matrix.
func TestMatrixCoversRoutes(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../web/web.go")
	require.NoError(t, err)
	inMatrix := map[string]bool{}
	for _, m := range matrix {
		p := m.route.pattern
		if p == "/" {
			p = "/{$}"
		}
		if strings.HasPrefix(p, "/static/") {
			p = "/static/"
		}
		inMatrix[m.route.method+" "+p] = true
	}
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "mux.Handle") {
			continue
		}
		_, rest, _ := strings.Cut(line, `"`)
		pattern, _, _ := strings.Cut(rest, `"`)
		if pattern == "/" {
			continue // the not-found catch-all
		}
		require.True(t, inMatrix[pattern], "web route %q is missing from the access matrix", pattern)
	}
	for _, r := range webRoutes {
		require.True(t, inMatrix[r], "web route %q is missing from the access matrix", r)
	}
	for _, r := range api.Routes() {
		require.True(t, inMatrix[r], "API route %q is missing from the access matrix", r)
	}
}

// loginAs returns a browser logged in as role in w (a fresh browser for stranger).
func (s *stack) loginAs(t *testing.T, w *world, role string) *browser {
	t.Helper()
	b := s.browser(t)
	switch role {
	case pendingUser:
		b.login(w.pending.Email, "/pending")
	case userA:
		b.login(w.userA.Email, "/")
	case userB:
		b.login(w.userB.Email, "/")
	case admin:
		b.login(w.admin.Email, "/")
	case adminAsA:
		b.login(w.admin.Email, "/")
		r := b.post(fmt.Sprintf("/admin/users/%d/impersonate", w.userA.ID), nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	}
	return b
}

// outcome is how the matrix writes an answer.
func outcome(r response) string {
	if r.Status == http.StatusSeeOther || r.Status == http.StatusFound {
		loc, _ := url.Parse(r.Location)
		switch loc.Path {
		case "/login", "/pending":
			return "303 " + loc.Path
		case "/":
			if loc.RawQuery == "" {
				return "303 /"
			}
		}
		return "303"
	}
	return strconv.Itoa(r.Status)
}

// TestAccessMatrix tries every web and API route as each role (a fresh
// world per role) and compares each answer with the table.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startStack(t, d, nil)
			var report strings.Builder
			for ri, role := range roles {
				w := s.seed(t, "m-"+role, nil)
				b := s.loginAs(t, w, role)
				for _, m := range matrix {
					r := b.request(m.route.method, m.route.path(w), url.Values{})
					got := outcome(r)
					fmt.Fprintf(&report, "%-8s %-6s %-40s %-12s want %s\n", role, m.route.method, m.route.pattern, got, m.want[ri])
					if os.Getenv("SECURITYTEST_DISCOVER") != "" {
						continue
					}
					require.Equal(t, m.want[ri], got, "%s %s as %s: %d %s\n%s", m.route.method, m.route.path(w), role, r.Status, r.Location, snippet(r.Body))
					if m.want[ri] != forbid {
						require.NotEqual(t, http.StatusForbidden, r.Status, "never 403 for someone else's data")
					}
					requireNoLeak(t, m.route.method+" "+m.route.pattern+" as "+role, r.Body)
				}
			}
			t.Logf("access matrix (%d routes × %d roles):\n%s", len(matrix), len(roles), report.String())
		})
	}
}

func snippet(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}
