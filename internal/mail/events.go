package mail

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/efactura-gateway/efactura/internal/locale"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
)

// eventData is what the mails read of an event's data: the invoice or the
// upload in the API's own JSON shape, or the few facts of a sync or
// connection event. Unknown fields are ignored and missing ones left out,
// so a richer payload never breaks a mail.
type eventData struct {
	ID            json.RawMessage     `json:"id"`
	InvoiceNumber string              `json:"invoice_number"`
	InvoiceDate   string              `json:"invoice_date"` // invoices
	IssueDate     string              `json:"issue_date"`   // uploads
	SupplierName  string              `json:"supplier_name"`
	SupplierCIF   string              `json:"supplier_cif"`
	TotalAmount   decimal.NullDecimal `json:"total_amount"` // a JSON number (invoices) or string (uploads)
	Currency      string              `json:"currency"`
	Errors        []struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"errors"`
	Error               string `json:"error"`                // sync.failed: the last error, as the API says it
	ConsecutiveFailures int    `json:"consecutive_failures"` // sync.failed: the streak's length, this run included
	ExpiresAt           string `json:"expires_at"`           // anaf.connection.expiring (RFC 3339)
	AtRiskMessages      int    `json:"at_risk_messages"`     // spv.messages_at_risk
	Stale               bool   `json:"stale"`                // spv.messages_at_risk: no successful sync for 50 days
}

func parseData(raw []byte) eventData {
	var d eventData
	if len(raw) > 0 && json.Unmarshal(raw, &d) != nil {
		// A shape this version does not know: the mail says what it can.
		d = eventData{}
	}
	return d
}

// id is the data's numeric id (0 when absent).
func (d eventData) id() int64 {
	n, _ := strconv.ParseInt(strings.Trim(string(d.ID), `"`), 10, 64)
	return n
}

// total is the data's amount with its currency in lang ("" when absent).
func (d eventData) total(lang string) string {
	if !d.TotalAmount.Valid {
		return ""
	}
	return locale.Money(lang, d.TotalAmount.Decimal.StringFixed(2), d.Currency)
}

func (d eventData) day() string {
	if d.InvoiceDate != "" {
		return d.InvoiceDate
	}
	return d.IssueDate
}

// link is the page of the event's subject: the invoice, the upload, the
// company or the ANAF connection.
func (s *Service) link(ev notify.Event, d eventData) string {
	switch {
	case strings.HasPrefix(ev.Type, "invoice.") && d.id() > 0:
		return s.baseURL + "/invoices/" + strconv.FormatInt(d.id(), 10)
	case strings.HasPrefix(ev.Type, "upload.") && d.id() > 0:
		return s.baseURL + "/uploads/" + strconv.FormatInt(d.id(), 10)
	case strings.HasPrefix(ev.Type, "anaf.connection."):
		return s.baseURL + "/anaf"
	}
	return s.baseURL + "/companies/" + strconv.FormatInt(ev.CompanyID, 10)
}

// companyTitle is "NAME (CIF n)".
func companyTitle(lang string, c *store.Company) string {
	name := c.Name
	if name == "" {
		name = c.CIF
	}
	return tr(lang, "company", name, c.CIF)
}

// eventFacts are the lines an instant mail and a digest show of an event.
func eventFacts(lang string, ev notify.Event, d eventData) (subjectArg string, facts []string) {
	party := d.SupplierName
	if party == "" {
		party = tr(lang, "unknown.party")
	}
	switch ev.Type {
	case notify.InvoiceReceived:
		facts = append(facts, tr(lang, "supplier", party))
		if d.InvoiceNumber != "" {
			facts = append(facts, tr(lang, "number", d.InvoiceNumber))
		}
		if d.day() != "" {
			facts = append(facts, tr(lang, "date", locale.Day(lang, d.day())))
		}
		if t := d.total(lang); t != "" {
			facts = append(facts, tr(lang, "total", t))
		}
		return party, facts
	case notify.UploadOK, notify.UploadNOK:
		if d.day() != "" {
			facts = append(facts, tr(lang, "date", locale.Day(lang, d.day())))
		}
		if t := d.total(lang); t != "" {
			facts = append(facts, tr(lang, "total", t))
		}
		for i, e := range d.Errors {
			if i == 5 {
				break
			}
			facts = append(facts, tr(lang, "error", strings.TrimSpace(e.ID+" "+e.Message)))
		}
		return d.InvoiceNumber, facts
	case notify.SyncFailed:
		facts = append(facts, tr(lang, "ev.sync.failed.line"))
		if d.Error != "" {
			facts = append(facts, tr(lang, "error", d.Error))
		}
	case notify.ConnectionExpiring:
		if t, err := time.Parse(time.RFC3339, d.ExpiresAt); err == nil {
			facts = append(facts, tr(lang, "ev.anaf.connection.expiring.line", locale.DateTime(lang, t)))
		} else {
			facts = append(facts, tr(lang, "ev.anaf.connection.expiring.line.nodate"))
		}
	case notify.ConnectionNeedsAttention:
		facts = append(facts, tr(lang, "ev.anaf.connection.needs_attention.line"))
	case notify.SPVAtRisk:
		if d.AtRiskMessages > 0 {
			facts = append(facts, tr(lang, "ev.spv.messages_at_risk.line", d.AtRiskMessages))
		}
		if d.Stale {
			facts = append(facts, tr(lang, "ev.spv.messages_at_risk.stale"))
		}
	}
	return "", facts
}

// composeEvent is the instant mail of ev to sub.
func (s *Service) composeEvent(ev notify.Event, c *store.Company, sub store.NotifySubscriber) *store.OutboxMail {
	lang := sub.Lang
	d := parseData(ev.Data)
	arg, facts := eventFacts(lang, ev, d)
	if arg == "" {
		arg = c.Name
		if arg == "" {
			arg = c.CIF
		}
	}
	items := make([]item, 0, len(facts))
	for _, f := range facts {
		items = append(items, item{Text: f})
	}
	v := &view{Lang: lang, Heading: tr(lang, "ev."+ev.Type+".heading"),
		Sections:  []section{{Title: companyTitle(lang, c), Groups: []group{{Items: items}}}},
		Link:      s.link(ev, d),
		LinkLabel: tr(lang, "open"), Footer: tr(lang, "footer"),
		UnsubscribeURL: s.UnsubscribeURL(Unsubscribe{UserID: sub.UserID, CompanyID: c.ID, Scope: ScopeCompany})}
	m := s.compose(v, tr(lang, "ev."+ev.Type+".subject", arg))
	m.DedupeKey = "event:" + ev.ID + ":" + strconv.FormatInt(sub.UserID, 10)
	m.Kind, m.UserID, m.To = KindEvent, sub.UserID, sub.Email
	return m
}
