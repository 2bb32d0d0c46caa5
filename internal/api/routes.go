package api

import (
	"net/http"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// route is one line of the API's route table: method and pattern (as
// documented in openapi.json), whether a key is needed and which scope.
type route struct {
	method, pattern string
	scope           string // "" (no key), gateway.ScopeRead or gateway.ScopeWrite
	handle          func(http.ResponseWriter, *http.Request)
}

// routes is the API's route table, one line per endpoint; every line must
// be described in openapi.json (TestOpenAPICoversRoutes).
func (h *handler) routes() []route {
	return []route{
		{"GET", "/api/v1/health", "", h.health},                                     // health.go
		{"GET", "/api/v1/openapi.json", "", serveOpenAPI},                           // openapi.go
		{"GET", "/api/docs", "", serveDocs},                                         // openapi.go
		{"GET", "/api/v1/invoices", gateway.ScopeRead, h.listInvoices},              // invoices.go
		{"GET", "/api/v1/invoices/{id}", gateway.ScopeRead, h.getInvoice},           // invoices.go
		{"GET", "/api/v1/invoices/{id}/download", gateway.ScopeRead, h.downloadZIP}, // invoices.go
		{"GET", "/api/v1/invoices/{id}/xml", gateway.ScopeRead, h.downloadXML},      // invoices.go
		{"GET", "/api/v1/invoices/{id}/pdf", gateway.ScopeRead, h.downloadPDF},      // invoices.go
		{"GET", "/api/v1/invoices/export", gateway.ScopeRead, h.exportInvoices},     // export.go
		{"GET", "/api/v1/invoices/bulk.zip", gateway.ScopeRead, h.bulkInvoices},     // bulk.go
		{"POST", "/api/v1/invoices", gateway.ScopeWrite, h.uploadInvoice},           // upload.go
		{"GET", "/api/v1/uploads", gateway.ScopeRead, h.listUploads},                // upload.go
		{"GET", "/api/v1/uploads/{id}", gateway.ScopeRead, h.getUpload},             // upload.go
		{"GET", "/api/v1/sync", gateway.ScopeRead, h.listSyncRuns},                  // sync.go
		{"POST", "/api/v1/sync", gateway.ScopeWrite, h.startSync},                   // sync.go
		{"POST", "/api/v1/validate", gateway.ScopeRead, h.validateDoc},              // validate.go

		// Compliance watch, deadlines and numbering (issue 20).
		{"GET", "/api/v1/compliance/deadlines", gateway.ScopeRead, h.complianceDeadlines}, // compliance.go
		{"GET", "/api/v1/compliance/numbering", gateway.ScopeRead, h.complianceNumbering}, // compliance.go
		{"GET", "/api/v1/compliance/spv", gateway.ScopeRead, h.complianceSPV},             // compliance.go
		// Supplier risk flags (issue 20): risk.go.
		{"POST", "/api/v1/invoices/{id}/risk/checked", gateway.ScopeWrite, h.markRiskChecked},
		// Webhooks (issue 19): webhooks.go
		{"GET", "/api/v1/webhooks", gateway.ScopeRead, h.listWebhooks},
		{"POST", "/api/v1/webhooks", gateway.ScopeWrite, h.createWebhook},
		{"DELETE", "/api/v1/webhooks/{id}", gateway.ScopeWrite, h.deleteWebhook},
		{"POST", "/api/v1/webhooks/{id}/enable", gateway.ScopeWrite, h.setWebhookEnabled(true)},
		{"POST", "/api/v1/webhooks/{id}/disable", gateway.ScopeWrite, h.setWebhookEnabled(false)},
		{"POST", "/api/v1/webhooks/{id}/rotate-secret", gateway.ScopeWrite, h.rotateWebhook},
		{"GET", "/api/v1/webhooks/{id}/deliveries", gateway.ScopeRead, h.webhookDeliveries},
		{"POST", "/api/v1/webhooks/{id}/deliveries/{delivery}/resend", gateway.ScopeWrite, h.resendDelivery},
		{"POST", "/api/v1/webhooks/{id}/test", gateway.ScopeWrite, h.testWebhook},
		// The tamper-evident archive (archive.go).
		{"GET", "/api/v1/archive", gateway.ScopeRead, h.getArchiveChain},
		{"GET", "/api/v1/archive/heads", gateway.ScopeRead, h.downloadChainHeads},
		{"GET", "/api/v1/audit-pack", gateway.ScopeRead, h.downloadAuditPack},
	}
}

// Routes lists the API's routes as "METHOD /pattern", in the order of
// the route table (for the security tests' access matrix).
func Routes() []string {
	var out []string
	for _, rt := range (&handler{}).routes() {
		out = append(out, rt.method+" "+rt.pattern)
	}
	return out
}
