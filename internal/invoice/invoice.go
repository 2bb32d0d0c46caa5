// Package invoice parses UBL 2.1 Invoice and CreditNote documents (CIUS-RO)
// into structured data, and reads the ZIP archives ANAF delivers.
//
// Every amount is kept as the decimal string written in the document
// (e.g. "1190.00"); dates are "YYYY-MM-DD". A term the document lacks is
// the empty string (serialised as omitted) or nil.
package invoice

// DocumentType is the UBL root element: "Invoice" or "CreditNote".
type DocumentType string

// Document types.
const (
	DocInvoice    DocumentType = "Invoice"
	DocCreditNote DocumentType = "CreditNote"
)

// Invoice is the parsed form of one UBL Invoice or CreditNote.
// JSON field names are the gateway's public contract (efactura parse --json,
// API data.details).
type Invoice struct {
	DocumentType   DocumentType `json:"document_type"`
	Number         string       `json:"number"`                    // BT-1 cbc:ID
	IssueDate      string       `json:"issue_date"`                // BT-2, YYYY-MM-DD
	DueDate        string       `json:"due_date,omitempty"`        // BT-9 (credit notes: PaymentMeans/PaymentDueDate)
	TypeCode       string       `json:"type_code,omitempty"`       // BT-3 (380, 381, 384, 389, 751 ...)
	Currency       string       `json:"currency,omitempty"`        // BT-5
	TaxCurrency    string       `json:"tax_currency,omitempty"`    // BT-6
	BuyerReference string       `json:"buyer_reference,omitempty"` // BT-10
	OrderReference string       `json:"order_reference,omitempty"` // BT-13
	Notes          []string     `json:"notes,omitempty"`           // BT-22

	Seller Party `json:"seller"` // BG-4
	Buyer  Party `json:"buyer"`  // BG-7

	Totals       Totals         `json:"totals"`                  // BG-22
	VATBreakdown []VATSubtotal  `json:"vat_breakdown,omitempty"` // BG-23
	Lines        []Line         `json:"lines"`                   // BG-25
	PaymentMeans []PaymentMeans `json:"payment_means,omitempty"` // BG-16
	Attachments  []Attachment   `json:"attachments,omitempty"`   // BG-24
}

// Party is a seller (BG-4) or buyer (BG-7).
type Party struct {
	Name        string   `json:"name,omitempty"`         // BT-27 / BT-44 RegistrationName, else trading name
	TradingName string   `json:"trading_name,omitempty"` // BT-28 / BT-45
	VATID       string   `json:"vat_id,omitempty"`       // BT-31 / BT-48, as written (e.g. "RO12345674")
	LegalID     string   `json:"legal_id,omitempty"`     // BT-30 / BT-47, as written
	Address     *Address `json:"address,omitempty"`      // BG-5 / BG-8
}

// Address is a postal address (BG-5, BG-8).
type Address struct {
	Street      string `json:"street,omitempty"`      // BT-35
	City        string `json:"city,omitempty"`        // BT-37
	PostalCode  string `json:"postal_code,omitempty"` // BT-38
	Subdivision string `json:"subdivision,omitempty"` // BT-39 (RO-B, RO-CJ ...)
	Country     string `json:"country,omitempty"`     // BT-40 ISO 3166-1 alpha-2
}

// Totals are the document totals BT-106..BT-115 and the VAT total BT-110,
// as decimal strings exactly as written.
type Totals struct {
	LineExtension  string `json:"line_extension,omitempty"`   // BT-106
	Allowances     string `json:"allowances,omitempty"`       // BT-107
	Charges        string `json:"charges,omitempty"`          // BT-108
	TaxExclusive   string `json:"tax_exclusive,omitempty"`    // BT-109
	VAT            string `json:"vat,omitempty"`              // BT-110, in the document currency
	VATTaxCurrency string `json:"vat_tax_currency,omitempty"` // BT-111, in the tax currency
	TaxInclusive   string `json:"tax_inclusive,omitempty"`    // BT-112
	Prepaid        string `json:"prepaid,omitempty"`          // BT-113
	Rounding       string `json:"rounding,omitempty"`         // BT-114
	Payable        string `json:"payable,omitempty"`          // BT-115
}

// VATSubtotal is one row of the VAT breakdown (BG-23).
type VATSubtotal struct {
	Category        string `json:"category,omitempty"`         // BT-118
	Rate            string `json:"rate,omitempty"`             // BT-119, percent
	TaxableAmount   string `json:"taxable_amount,omitempty"`   // BT-116
	TaxAmount       string `json:"tax_amount,omitempty"`       // BT-117
	ExemptionReason string `json:"exemption_reason,omitempty"` // BT-120
	ExemptionCode   string `json:"exemption_code,omitempty"`   // BT-121
}

// Line is one invoice line (BG-25): InvoiceLine or CreditNoteLine.
type Line struct {
	ID          string `json:"id,omitempty"`           // BT-126
	Name        string `json:"name,omitempty"`         // BT-153
	Description string `json:"description,omitempty"`  // BT-154
	Quantity    string `json:"quantity,omitempty"`     // BT-129
	UnitCode    string `json:"unit_code,omitempty"`    // BT-130 (UN/ECE Rec 20)
	Price       string `json:"price,omitempty"`        // BT-146
	NetAmount   string `json:"net_amount,omitempty"`   // BT-131
	VATCategory string `json:"vat_category,omitempty"` // BT-151
	VATRate     string `json:"vat_rate,omitempty"`     // BT-152
}

// PaymentMeans is BG-16.
type PaymentMeans struct {
	Code      string `json:"code,omitempty"`       // BT-81
	PaymentID string `json:"payment_id,omitempty"` // BT-83
	IBAN      string `json:"iban,omitempty"`       // BT-84
	BankName  string `json:"bank_name,omitempty"`  // BT-85 payment account name
	BIC       string `json:"bic,omitempty"`        // BT-86 payment service provider identifier
}

// Attachment is an additional supporting document (BG-24).
type Attachment struct {
	ID          string `json:"id,omitempty"`          // BT-122
	Description string `json:"description,omitempty"` // BT-123
	URI         string `json:"uri,omitempty"`         // BT-124 external location
	FileName    string `json:"file_name,omitempty"`   // BT-125 filename attribute
	MIMEType    string `json:"mime_type,omitempty"`   // BT-125 mimeCode attribute
	Size        int    `json:"size,omitempty"`        // decoded bytes of the embedded content, 0 when only referenced
	Embedded    bool   `json:"embedded"`              // true when BT-125 carries the content
}
