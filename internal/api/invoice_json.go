package api

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
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
	// ParseStatus is how the archive read the message: ok, unreadable
	// (ParseError says why; the ZIP is kept byte for byte) or anaf_errors
	// (ANAF's error list, ERORI FACTURA).
	ParseStatus string  `json:"parse_status"`
	ParseError  *string `json:"parse_error"`
	// DuplicateOf is the id of the first invoice of the same identity
	// (seller CIF, BT-1, BT-2) and total that ANAF listed under another
	// message id; null otherwise. ConflictOf: the same identity with
	// another total; null otherwise.
	DuplicateOf *int64 `json:"duplicate_of"`
	ConflictOf  *int64 `json:"conflict_of"`
}

func nullableID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// jsonNull is the JSON null an amount that is not a decimal becomes.
var jsonNull = json.RawMessage("null")

// decimalJSON writes an amount (an xs:decimal string: an optional sign,
// digits, an optional fraction; no exponent, no grouping) as a JSON number
// with the decimals it was written with: "1190.00" → 1190.00, "-5.10" →
// -5.10. What xs:decimal allows and JSON does not is normalised without
// changing the value or its decimals ("+3" → 3, "007.50" → 7.50, ".5" →
// 0.5, "5." → 5). Anything else ("", "abc", "1e3", "1,5") is null: the
// API never invents a number. (A scanner rather than a regular
// expression: it runs twice per listed invoice; FuzzDecimalJSON checks it
// against the expression.)
func decimalJSON(s string) json.RawMessage {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	ip, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		ip, frac = s[:i], s[i+1:]
	}
	if ip == "" && frac == "" || !allDigits(ip) || !allDigits(frac) {
		return jsonNull
	}
	ip = strings.TrimLeft(ip, "0")
	out := make([]byte, 0, len(ip)+len(frac)+3)
	if neg {
		out = append(out, '-')
	}
	if ip == "" {
		out = append(out, '0')
	}
	out = append(out, ip...)
	if frac != "" {
		out = append(out, '.')
		out = append(out, frac...)
	}
	return out
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (h *handler) toJSON(inv *gateway.Invoice) invoiceJSON {
	return invoiceJSON{
		ID:            inv.ID,
		ANAFID:        inv.ANAFID,
		InvoiceType:   inv.MessageType,
		CIFEmitent:    nullable(inv.CIFEmitent),
		CIFBeneficiar: nullable(invoice.MaskCNP(inv.CIFBeneficiar)), // a person's CNP is never listed
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
		DownloadURL:   h.BaseURL + "/api/v1/invoices/" + strconv.FormatInt(inv.ID, 10) + "/download",
		ParseStatus:   inv.ParseStatus(),
		ParseError:    nullable(inv.ParseError),
		DuplicateOf:   nullableID(inv.DuplicateOf),
		ConflictOf:    nullableID(inv.ConflictOf),
	}
}

func cifDigits(s string) (string, error) { return cif.Normalize(s) }
