package api

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/store"
)

// invoiceJSON is one invoice in the Flask gateway's shape (PRODUCT.md §4).
// A term the invoice lacks is null.
type invoiceJSON struct {
	ID            int64           `json:"id"`
	ANAFID        string          `json:"anaf_id"`
	InvoiceType   string          `json:"invoice_type"`
	CIFEmitent    *string         `json:"cif_emitent"`
	CIFBeneficiar *string         `json:"cif_beneficiar"`
	IssuerName    *string         `json:"issuer_name"`
	ReceiverName  *string         `json:"receiver_name"`
	SupplierName  *string         `json:"supplier_name"`
	SupplierCIF   *string         `json:"supplier_cif"`
	InvoiceNumber *string         `json:"invoice_number"`
	InvoiceDate   *string         `json:"invoice_date"`
	DueDate       *string         `json:"due_date"`
	Currency      *string         `json:"currency"`
	TotalAmount   json.RawMessage `json:"total_amount"` // BT-112 as a JSON number with the invoice's decimals
	VATAmount     json.RawMessage `json:"vat_amount"`   // BT-110
	SyncedAt      string          `json:"synced_at"`    // RFC 3339 UTC
	DownloadURL   string          `json:"download_url"`
}

// jsonNumber matches what JSON accepts as a number; amounts outside it are null.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// decimalJSON writes an amount as written ("1190.00" → 1190.00), or null.
func decimalJSON(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("null")
	}
	if s[0] == '+' {
		s = s[1:]
	}
	if !jsonNumber.MatchString(s) {
		// "007.50" and ".5" are valid decimals but not JSON numbers: normalise the integer part.
		if m := regexp.MustCompile(`^(-?)0*([0-9]*)(\.[0-9]+)?$`).FindStringSubmatch(s); m != nil && (m[2] != "" || m[3] != "") {
			ip := m[2]
			if ip == "" {
				ip = "0"
			}
			return json.RawMessage(m[1] + ip + m[3])
		}
		return json.RawMessage("null")
	}
	return json.RawMessage(s)
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (h *handler) toJSON(inv *store.Invoice) invoiceJSON {
	return invoiceJSON{
		ID:            inv.ID,
		ANAFID:        inv.ANAFID,
		InvoiceType:   inv.MessageType,
		CIFEmitent:    nullable(inv.CIFEmitent),
		CIFBeneficiar: nullable(inv.CIFBeneficiar),
		IssuerName:    nullable(inv.IssuerName),
		ReceiverName:  nullable(inv.ReceiverName),
		SupplierName:  nullable(inv.IssuerName),
		SupplierCIF:   nullable(inv.SupplierCIF),
		InvoiceNumber: nullable(inv.InvoiceNumber),
		InvoiceDate:   nullable(inv.IssueDate),
		DueDate:       nullable(inv.DueDate),
		Currency:      nullable(inv.Currency),
		TotalAmount:   decimalJSON(inv.TotalAmount),
		VATAmount:     decimalJSON(inv.VATAmount),
		SyncedAt:      inv.SyncedAt.UTC().Format(time.RFC3339),
		DownloadURL:   fmt.Sprintf("%s/api/v1/invoices/%d/download", h.BaseURL, inv.ID),
	}
}

func cifDigits(s string) (string, error) { return cif.Normalize(s) }
