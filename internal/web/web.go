// Package web is the gateway's server-rendered user interface: login and
// registration, the invoice dashboard, invoice pages and downloads,
// companies, the ANAF connection and user administration (PRODUCT.md §3).
//
// Templates (html/template) and static assets (CSS, one small JS file) are
// embedded in the binary and parsed at boot. Pages are in Romanian by
// default and in English on request (?lang=en, remembered in the session).
// The handler expects to be mounted at "/" behind the lead's middleware:
// request id, access log, panic recovery, security headers (strict CSP, so
// no inline scripts or styles here), http.CrossOriginProtection and
// Sessions.LoadAndSave.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/httpserver"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// SyncTrigger starts synchronisations on demand.
type SyncTrigger interface {
	// SyncNow starts a background sync of the company and returns at once;
	// an error means the sync could not be started.
	SyncNow(ctx context.Context, companyID int64) error
}

// Deps are the collaborators of the web UI, built by the composition root.
type Deps struct {
	// Gateway holds the use cases shared with the API and the CLI
	// (required): the pages reach the database, ANAF and the secrets only
	// through it; its Throttle limits failed logins.
	Gateway      *gateway.Service
	Sessions     *scs.SessionManager // configured by the caller (store, cookie flags)
	Sync         SyncTrigger
	Logger       *slog.Logger
	Registration string // "open" | "closed"
	Production   bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed when finding the client's IP (httpserver.ClientIP); nil: none.
	TrustedProxies []*net.IPNet
	// PDFGuard bounds PDF renders (concurrency, lines); nil: the
	// Gateway's, else render.Shared(), the guard the API uses too.
	PDFGuard *gateway.PDFGuard
	// SessionIdle logs out a session left idle this long (0: never). Its
	// last request is stamped in the session at most once a minute
	// (touchSession), so a view writes the session only then; scs's own
	// Sessions.IdleTimeout, which the caller then leaves 0, rewrites the
	// session on every request.
	SessionIdle time.Duration
}

// MaxFormBytes is the largest request body the web UI reads (forms; the
// validation upload has its own, MaxUploadBytes).
const MaxFormBytes = 1 << 20

// Session keys.
const (
	sessUserID    = "user_id"
	sessCompanyID = "company_id"
	sessLang      = "lang"
	sessFlash     = "flash"
	sessFlashKind = "flash_kind"
	sessANAFState = "anaf_oauth_state"
	// sessAuthAt is when the session logged in (Unix nanoseconds); sessions
	// older than the user's sessions_valid_after are logged out.
	sessAuthAt = "auth_at"
	// sessImpersonator is the admin's user id while they impersonate the
	// user in sessUserID.
	sessImpersonator = "impersonator_id"
	// sessSeen is the session's last request, to the minute (Unix
	// seconds; touchSession).
	sessSeen = "seen"
)

// bucharest is the zone every time is shown in.
var bucharest = tz.Bucharest()

// app holds the dependencies and parsed templates of one UI instance.
type app struct {
	Deps
	views *views
}

// New builds the UI handler. It parses every template at boot, so a broken
// template is an error here rather than on a request.
func New(d Deps) (http.Handler, error) {
	if d.Gateway == nil || d.Sessions == nil {
		return nil, errors.New("web: Gateway and Sessions are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Registration == "" {
		d.Registration = "open"
	}
	v, err := parseViews()
	if err != nil {
		return nil, err
	}
	a := &app{Deps: d, views: v}
	// Forms only, at most MaxFormBytes (413 beyond, 415 for other bodies);
	// the upload routes at most MaxUploadBytes.
	inner := a.loadUser(a.routes())
	forms, uploads := httpserver.FormBodies(MaxFormBytes, inner), httpserver.FormBodies(MaxUploadBytes, inner)
	sends := httpserver.FormBodies(MaxSendBytes, inner) // the send form: several files
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if uploadRoutes[r.Method+" "+r.URL.Path] {
			uploads.ServeHTTP(w, r)
			return
		}
		if isSendForm(r) {
			sends.ServeHTTP(w, r)
			return
		}
		forms.ServeHTTP(w, r)
	}), nil
}

// routes is the route table of the UI, one line per page or action.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	login, admin := a.requireLogin, a.requireAdmin

	mux.Handle("GET /static/", staticHandler())

	mux.HandleFunc("GET /register", a.showRegisterPage)
	mux.HandleFunc("POST /register", a.submitRegister)
	mux.HandleFunc("GET /register/done", a.showRegisterDonePage)
	mux.HandleFunc("GET /login", a.showLoginPage)
	mux.HandleFunc("POST /login", a.submitLogin)
	mux.HandleFunc("POST /logout", a.submitLogout)
	mux.HandleFunc("GET /pending", a.showPendingPage)
	mux.Handle("GET /account/password", login(a.showPasswordPage))
	mux.Handle("POST /account/password", login(a.submitPassword))
	mux.Handle("POST /impersonate/stop", login(a.submitStopImpersonation))

	mux.Handle("GET /{$}", login(a.showDashboard))
	mux.Handle("GET /search", login(a.showSearch)) // portfolio.go: cross-company search, exports, bulk ZIPs
	mux.Handle("GET /search/export", login(a.downloadSearchExport))
	mux.Handle("GET /search/bulk.zip", login(a.downloadSearchBulk))
	mux.Handle("GET /export/bulk.zip", login(a.downloadDashBulk))
	mux.Handle("GET /export", login(a.downloadExport)) // export.go
	mux.Handle("POST /companies/{id}/sync", login(a.submitSyncNow))
	mux.Handle("GET /companies/{id}/sync/status", login(a.showSyncStatus))

	mux.Handle("GET /invoices/{id}", login(a.showInvoicePage))
	mux.Handle("GET /invoices/{id}/zip", login(a.downloadInvoiceZIP))
	mux.Handle("GET /invoices/{id}/xml", login(a.downloadInvoiceXML))
	mux.Handle("GET /invoices/{id}/pdf", login(a.downloadInvoicePDF)) // invoice_pdf.go

	mux.Handle("GET /companies", login(a.showCompaniesPage))
	mux.Handle("POST /companies", login(a.submitAddCompany))
	mux.Handle("GET /companies/{id}", login(a.showCompanyPage))
	mux.Handle("POST /companies/{id}", login(a.submitEditCompany))
	mux.Handle("POST /companies/{id}/members", login(a.submitAddMember))
	mux.Handle("POST /companies/{id}/members/{uid}/remove", login(a.submitRemoveMember))
	mux.Handle("POST /companies/{id}/members/{uid}/role", login(a.submitSetRole)) // tenancy.go
	mux.Handle("POST /companies/{id}/members/{uid}/handover", login(a.submitHandOver))
	mux.Handle("POST /companies/{id}/invitations/{iid}/revoke", login(a.submitRevokeInvitation))
	mux.Handle("POST /companies/{id}/join-requests/{rid}/accept", login(a.submitDecideJoin(true)))
	mux.Handle("POST /companies/{id}/join-requests/{rid}/decline", login(a.submitDecideJoin(false)))
	mux.Handle("POST /companies/{id}/leave", login(a.submitLeave))
	mux.Handle("POST /companies/{id}/consent", login(a.submitConsent))
	mux.Handle("GET /validate", login(a.showValidatePage)) // validate.go
	mux.Handle("POST /validate", login(a.submitValidate))
	mux.Handle("GET /companies/{id}/upload", login(a.showSendPage)) // upload.go
	mux.Handle("POST /companies/{id}/upload", login(a.submitSend))
	mux.Handle("GET /companies/{id}/uploads", login(a.showUploadsPage))
	mux.Handle("GET /uploads/{id}", login(a.showUploadPage))
	mux.Handle("GET /uploads/{id}/status", login(a.showUploadStatus))
	mux.Handle("POST /invoices/{id}/message", login(a.submitBuyerMessage))
	mux.Handle("POST /invoices/{id}/risk/checked", login(a.submitRiskChecked)) // risk.go
	mux.Handle("GET /invitations", login(a.showInvitationsPage))
	mux.Handle("POST /invitations/{id}/accept", login(a.submitAnswerInvitation(true)))
	mux.Handle("POST /invitations/{id}/decline", login(a.submitAnswerInvitation(false)))
	mux.Handle("GET /companies/{id}/delete", login(a.showDeleteCompanyPage))
	mux.Handle("POST /companies/{id}/delete", login(a.submitDeleteCompany))
	mux.Handle("GET /companies/{id}/keys", login(a.showAPIKeysPage))
	mux.Handle("POST /companies/{id}/keys", login(a.submitCreateAPIKey))
	mux.Handle("POST /companies/{id}/keys/{kid}/revoke", login(a.submitRevokeAPIKey))
	mux.Handle("GET /companies/{id}/archive", login(a.showArchivePage)) // archive.go
	mux.Handle("GET /companies/{id}/archive/heads", login(a.downloadChainHeads))
	mux.Handle("GET /companies/{id}/archive/pack", login(a.downloadAuditPack))
	mux.Handle("GET /companies/{id}/compliance/numbering", login(a.showCompliancePage)) // compliance.go
	mux.Handle("POST /companies/{id}/numbering", login(a.submitNumberingPattern))
	// Webhooks (issue 19): webhooks.go
	mux.Handle("GET /companies/{id}/webhooks", login(a.showWebhooksPage))
	mux.Handle("POST /companies/{id}/webhooks", login(a.submitCreateWebhook))
	mux.Handle("GET /companies/{id}/webhooks/{wid}", login(a.showWebhookLog))
	mux.Handle("POST /companies/{id}/webhooks/{wid}/enable", login(a.submitWebhookEnabled(true)))
	mux.Handle("POST /companies/{id}/webhooks/{wid}/disable", login(a.submitWebhookEnabled(false)))
	mux.Handle("POST /companies/{id}/webhooks/{wid}/delete", login(a.submitDeleteWebhook))
	mux.Handle("POST /companies/{id}/webhooks/{wid}/rotate", login(a.submitRotateWebhook))
	mux.Handle("POST /companies/{id}/webhooks/{wid}/test", login(a.submitTestWebhook))
	mux.Handle("POST /companies/{id}/webhooks/{wid}/deliveries/{did}/resend", login(a.submitResendDelivery))

	mux.Handle("GET /anaf", login(a.showANAFPage))
	mux.Handle("GET /anaf/connect", login(a.submitANAFConnect)) // a link: see submitANAFConnect
	mux.Handle("POST /anaf/connect", login(a.submitANAFConnect))
	mux.Handle("GET /anaf/callback", login(a.handleANAFCallback))
	mux.Handle("POST /anaf/disconnect", login(a.submitANAFDisconnect))
	mux.Handle("POST /anaf/test", login(a.submitANAFTest))

	mux.Handle("GET /admin/users", admin(a.showAdminUsersPage))
	mux.Handle("POST /admin/users/{id}/approve", admin(a.submitApproveUser))
	mux.Handle("POST /admin/users/{id}/reject", admin(a.submitRejectUser))
	mux.Handle("POST /admin/users/{id}/admin", admin(a.submitSetAdmin))
	mux.Handle("POST /admin/users/{id}/impersonate", admin(a.submitImpersonate))
	mux.Handle("GET /admin/anaf", admin(a.showANAFAppPage))
	mux.Handle("POST /admin/anaf", admin(a.submitANAFApp))
	mux.Handle("GET /admin/audit", admin(a.showAuditPage))
	mux.Handle("GET /admin/system", admin(a.showSystemPage))

	// Two-factor login (twofactor.go).
	mux.HandleFunc("GET /login/2fa", a.showSecondStepPage)
	mux.HandleFunc("POST /login/2fa", a.submitSecondStep)
	mux.Handle("GET /account/2fa", login(a.showTwoFactorPage))
	mux.Handle("POST /account/2fa/start", login(a.submitTwoFactorStart))
	mux.Handle("POST /account/2fa/confirm", login(a.submitTwoFactorConfirm))
	mux.Handle("POST /account/2fa/codes", login(a.submitTwoFactorCodes))
	mux.Handle("POST /account/2fa/disable", login(a.submitTwoFactorDisable))
	mux.Handle("GET /admin/2fa", admin(a.showTwoFactorPolicyPage))
	mux.Handle("POST /admin/2fa", admin(a.submitTwoFactorPolicy))
	// E-mail notifications (issue 19; notifications.go).
	mux.Handle("GET /account/notifications", login(a.showNotificationsPage))
	mux.Handle("POST /account/notifications", login(a.submitNotifications))
	mux.HandleFunc("GET /unsubscribe", a.showUnsubscribePage) // no login: the signed link is the authority
	mux.HandleFunc("POST /unsubscribe", a.submitUnsubscribe)  // the form, or RFC 8058 one-click
	mux.Handle("GET /admin/mail", admin(a.showAdminMailPage))

	mux.HandleFunc("/", a.notFound)
	return mux
}
