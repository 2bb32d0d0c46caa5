// Package notify is the contract between the places where something
// happens (sync, uploads, connection checks, registrations) and the ways
// people and systems are told: signed webhooks and e-mail (issue 19).
//
// An Event is recorded in the same transaction as the data it announces
// and delivered at least once, after that transaction commits, to every
// Subscriber (the webhook fan-out, the mail notifier). A Subscriber must
// therefore be idempotent on Event.ID.
//
// It is a leaf: it imports only the standard library, so that the store,
// the jobs, the gateway and the mail and webhook packages can all use it.
package notify

import (
	"context"
	"encoding/json"
	"time"
)

// Event types (the `type` of the webhook envelope, PRODUCT.md and issue 19).
const (
	InvoiceReceived          = "invoice.received"                // a received invoice (FACTURA PRIMITA) archived by the sync
	InvoiceSent              = "invoice.sent"                    // a sent invoice (FACTURA TRIMISA) archived by the sync or an upload
	UploadOK                 = "upload.ok"                       // ANAF accepted an upload (stare ok)
	UploadNOK                = "upload.nok"                      // ANAF refused an upload (stare nok), or it was invalid locally
	SyncFailed               = "sync.failed"                     // a company's sync failed N times in a row
	ConnectionExpiring       = "anaf.connection.expiring"        // an ANAF connection expires in 14 or 3 days
	ConnectionNeedsAttention = "anaf.connection.needs_attention" // an ANAF connection needs the user (reconnect, rights)
	SPVAtRisk                = "spv.messages_at_risk"            // messages near ANAF's 60-day limit, or no successful sync for 50 days (once a day)
	Test                     = "test"                            // "send test event"
)

// Types lists every event type a subscriber may choose, in display order.
var Types = []string{InvoiceReceived, InvoiceSent, UploadOK, UploadNOK, SyncFailed, ConnectionExpiring, ConnectionNeedsAttention, SPVAtRisk}

// Event is one thing that happened to one company.
type Event struct {
	ID         string          `json:"id"`          // unique, stable across redeliveries (e.g. "evt_" + random)
	Type       string          `json:"type"`        // one of the constants above
	CreatedAt  time.Time       `json:"created_at"`  // UTC
	CompanyID  int64           `json:"-"`           // the gateway's company id
	CompanyCIF string          `json:"company_cif"` // the company's CIF, digits only
	Data       json.RawMessage `json:"data"`        // the invoice or upload in the API's own JSON shape, plus "url"
}

// Subscriber is told about each event after the transaction that recorded
// it commits, at least once (a returned error makes the caller retry).
type Subscriber interface {
	Notify(ctx context.Context, ev Event) error
}
