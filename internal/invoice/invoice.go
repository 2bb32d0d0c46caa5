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
	TaxPointDate   string       `json:"tax_point_date,omitempty"`  // BT-7, YYYY-MM-DD
	AccountingCost string       `json:"accounting_cost,omitempty"` // BT-19
	BuyerReference string       `json:"buyer_reference,omitempty"` // BT-10
	OrderReference string       `json:"order_reference,omitempty"` // BT-13
	Notes          []string     `json:"notes,omitempty"`           // BT-22

	SalesOrderReference      string              `json:"sales_order_reference,omitempty"`      // BT-14 OrderReference/SalesOrderID
	ContractReference        string              `json:"contract_reference,omitempty"`         // BT-12 ContractDocumentReference/ID
	ProjectReference         string              `json:"project_reference,omitempty"`          // BT-11 ProjectReference/ID
	DespatchAdviceReference  string              `json:"despatch_advice_reference,omitempty"`  // BT-16 DespatchDocumentReference/ID
	ReceivingAdviceReference string              `json:"receiving_advice_reference,omitempty"` // BT-15 ReceiptDocumentReference/ID
	TenderReference          string              `json:"tender_reference,omitempty"`           // BT-17 OriginatorDocumentReference/ID
	InvoicedObjectID         string              `json:"invoiced_object_id,omitempty"`         // BT-18 AdditionalDocumentReference with DocumentTypeCode 130
	PrecedingInvoices        []DocumentReference `json:"preceding_invoices,omitempty"`         // BG-3 BillingReference/InvoiceDocumentReference
	Period                   *Period             `json:"invoice_period,omitempty"`             // BG-14 InvoicePeriod
	PaymentTerms             string              `json:"payment_terms,omitempty"`              // BT-20 PaymentTerms/Note (several joined by "\n")

	Seller            Party     `json:"seller"`                       // BG-4
	Buyer             Party     `json:"buyer"`                        // BG-7
	Payee             *Party    `json:"payee,omitempty"`              // BG-10 PayeeParty: name BT-59, id BT-60, legal id BT-61
	TaxRepresentative *Party    `json:"tax_representative,omitempty"` // BG-11 TaxRepresentativeParty: name BT-62, VAT id BT-63, address BG-12
	Delivery          *Delivery `json:"delivery,omitempty"`           // BG-13

	AllowanceCharges []AllowanceCharge `json:"allowance_charges,omitempty"` // BG-20 (allowances) and BG-21 (charges), document level

	Totals       Totals         `json:"totals"`                  // BG-22
	VATBreakdown []VATSubtotal  `json:"vat_breakdown,omitempty"` // BG-23
	Lines        []Line         `json:"lines"`                   // BG-25
	PaymentMeans []PaymentMeans `json:"payment_means,omitempty"` // BG-16
	Attachments  []Attachment   `json:"attachments,omitempty"`   // BG-24
}

// DocumentReference is a preceding invoice (BG-3): its number BT-25 and
// issue date BT-26 (YYYY-MM-DD).
type DocumentReference struct {
	ID        string `json:"id,omitempty"`         // BT-25
	IssueDate string `json:"issue_date,omitempty"` // BT-26
}

// Period is an invoicing period (BG-14, BT-73/BT-74 and BT-8) or an
// invoice line period (BG-26, BT-134/BT-135); dates are YYYY-MM-DD.
type Period struct {
	Start           string `json:"start,omitempty"`            // BT-73 / BT-134
	End             string `json:"end,omitempty"`              // BT-74 / BT-135
	DescriptionCode string `json:"description_code,omitempty"` // BT-8 VAT point date code (3, 35, 432), document level only
}

// Delivery is the delivery information (BG-13).
type Delivery struct {
	PartyName      string   `json:"party_name,omitempty"`      // BT-70 DeliveryParty/PartyName/Name
	LocationID     string   `json:"location_id,omitempty"`     // BT-71 DeliveryLocation/ID
	LocationScheme string   `json:"location_scheme,omitempty"` // BT-71 schemeID
	Date           string   `json:"date,omitempty"`            // BT-72 ActualDeliveryDate, YYYY-MM-DD
	Address        *Address `json:"address,omitempty"`         // BG-15 DeliveryLocation/Address
}

// AllowanceCharge is a document-level allowance (BG-20) or charge (BG-21),
// or a line-level one (BG-27 / BG-28). Amounts and the percentage are the
// decimal strings as written.
type AllowanceCharge struct {
	Charge      bool   `json:"charge"`                 // ChargeIndicator: true for a charge, false for an allowance
	Amount      string `json:"amount,omitempty"`       // BT-92 / BT-99 / BT-136 / BT-141
	BaseAmount  string `json:"base_amount,omitempty"`  // BT-93 / BT-100 / BT-137 / BT-142
	Percentage  string `json:"percentage,omitempty"`   // BT-94 / BT-101 / BT-138 / BT-143 (MultiplierFactorNumeric)
	Reason      string `json:"reason,omitempty"`       // BT-97 / BT-104 / BT-139 / BT-144
	ReasonCode  string `json:"reason_code,omitempty"`  // BT-98 / BT-105 / BT-140 / BT-145 (UNCL5189 / UNCL7161)
	VATCategory string `json:"vat_category,omitempty"` // BT-95 / BT-102, document level only
	VATRate     string `json:"vat_rate,omitempty"`     // BT-96 / BT-103, percent, document level only
}

// Party is a seller (BG-4), buyer (BG-7), payee (BG-10) or tax
// representative (BG-11).
type Party struct {
	Name              string    `json:"name,omitempty"`                // BT-27 / BT-44 RegistrationName, else trading name
	TradingName       string    `json:"trading_name,omitempty"`        // BT-28 / BT-45
	VATID             string    `json:"vat_id,omitempty"`              // BT-31 / BT-48, as written (e.g. "RO12345674")
	LegalID           string    `json:"legal_id,omitempty"`            // BT-30 / BT-47, as written
	LegalIDScheme     string    `json:"legal_id_scheme,omitempty"`     // schemeID of BT-30 / BT-47
	TaxRegistrationID string    `json:"tax_registration_id,omitempty"` // BT-32 PartyTaxScheme whose scheme is not VAT
	LegalForm         string    `json:"legal_form,omitempty"`          // BT-33 CompanyLegalForm (e.g. "Capital social 200 RON")
	IDs               []PartyID `json:"ids,omitempty"`                 // BT-29 / BT-46 / BT-60 PartyIdentification (e.g. trade register number)
	EndpointID        string    `json:"endpoint_id,omitempty"`         // BT-34 / BT-49 electronic address
	EndpointScheme    string    `json:"endpoint_scheme,omitempty"`     // its schemeID (EM = e-mail, 9947 …)
	Address           *Address  `json:"address,omitempty"`             // BG-5 / BG-8 / BG-12
	Contact           *Contact  `json:"contact,omitempty"`             // BG-6 / BG-9
}

// PartyID is a party identifier (BT-29, BT-46, BT-60) with its scheme.
type PartyID struct {
	ID     string `json:"id"`
	Scheme string `json:"scheme,omitempty"` // schemeID, ISO 6523 ICD (e.g. "0088") or empty
}

// Contact is a party's contact (BG-6 seller, BG-9 buyer).
type Contact struct {
	Name  string `json:"name,omitempty"`  // BT-41 / BT-56
	Phone string `json:"phone,omitempty"` // BT-42 / BT-57
	Email string `json:"email,omitempty"` // BT-43 / BT-58
}

// Address is a postal address (BG-5, BG-8, BG-12, BG-15).
type Address struct {
	Street           string `json:"street,omitempty"`            // BT-35
	AdditionalStreet string `json:"additional_street,omitempty"` // BT-36
	AddressLine      string `json:"address_line,omitempty"`      // BT-162 AddressLine/Line
	City             string `json:"city,omitempty"`              // BT-37
	PostalCode       string `json:"postal_code,omitempty"`       // BT-38
	Subdivision      string `json:"subdivision,omitempty"`       // BT-39 (RO-B, RO-CJ ...)
	Country          string `json:"country,omitempty"`           // BT-40 ISO 3166-1 alpha-2
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
	ID                 string            `json:"id,omitempty"`                   // BT-126
	Note               string            `json:"note,omitempty"`                 // BT-127
	ObjectID           string            `json:"object_id,omitempty"`            // BT-128 DocumentReference with DocumentTypeCode 130
	OrderLineReference string            `json:"order_line_reference,omitempty"` // BT-132 OrderLineReference/LineID
	AccountingCost     string            `json:"accounting_cost,omitempty"`      // BT-133
	Name               string            `json:"name,omitempty"`                 // BT-153
	Description        string            `json:"description,omitempty"`          // BT-154
	SellerItemID       string            `json:"seller_item_id,omitempty"`       // BT-155 SellersItemIdentification/ID
	BuyerItemID        string            `json:"buyer_item_id,omitempty"`        // BT-156 BuyersItemIdentification/ID
	StandardItemID     string            `json:"standard_item_id,omitempty"`     // BT-157 StandardItemIdentification/ID (e.g. a GTIN)
	StandardItemScheme string            `json:"standard_item_scheme,omitempty"` // its schemeID (0160 = GTIN)
	Classifications    []Classification  `json:"classifications,omitempty"`      // BT-158 CommodityClassification
	OriginCountry      string            `json:"origin_country,omitempty"`       // BT-159
	Attributes         []ItemAttribute   `json:"attributes,omitempty"`           // BG-32
	Quantity           string            `json:"quantity,omitempty"`             // BT-129
	UnitCode           string            `json:"unit_code,omitempty"`            // BT-130 (UN/ECE Rec 20)
	UnitName           string            `json:"unit_name,omitempty"`            // UnitName(UnitCode, "ro"); "" for a code outside the table
	UnitNameEN         string            `json:"unit_name_en,omitempty"`         // UnitName(UnitCode, "en")
	Price              string            `json:"price,omitempty"`                // BT-146 net price
	PriceDiscount      string            `json:"price_discount,omitempty"`       // BT-147 Price/AllowanceCharge/Amount
	GrossPrice         string            `json:"gross_price,omitempty"`          // BT-148 Price/AllowanceCharge/BaseAmount
	BaseQuantity       string            `json:"base_quantity,omitempty"`        // BT-149
	BaseQuantityUnit   string            `json:"base_quantity_unit,omitempty"`   // BT-150
	AllowanceCharges   []AllowanceCharge `json:"allowance_charges,omitempty"`    // BG-27 / BG-28
	NetAmount          string            `json:"net_amount,omitempty"`           // BT-131
	VATCategory        string            `json:"vat_category,omitempty"`         // BT-151
	VATRate            string            `json:"vat_rate,omitempty"`             // BT-152
	Period             *Period           `json:"period,omitempty"`               // BG-26
}

// Classification is an item classification code (BT-158) with its list
// (listID: STI = CPV, TSP = CN/HS customs code, …) and list version.
type Classification struct {
	Code        string `json:"code"`
	ListID      string `json:"list_id,omitempty"`
	ListVersion string `json:"list_version,omitempty"`
}

// ItemAttribute is an item attribute (BG-32): name BT-160, value BT-161.
type ItemAttribute struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// PaymentMeans is BG-16.
type PaymentMeans struct {
	Code           string `json:"code,omitempty"`            // BT-81
	Text           string `json:"text,omitempty"`            // BT-82 PaymentMeansCode@name
	PaymentID      string `json:"payment_id,omitempty"`      // BT-83
	IBAN           string `json:"iban,omitempty"`            // BT-84
	BankName       string `json:"bank_name,omitempty"`       // BT-85 payment account name
	BIC            string `json:"bic,omitempty"`             // BT-86 payment service provider identifier
	CardPAN        string `json:"card_pan,omitempty"`        // BT-87 last digits of the card number (BG-18)
	CardHolder     string `json:"card_holder,omitempty"`     // BT-88
	MandateID      string `json:"mandate_id,omitempty"`      // BT-89 direct debit mandate (BG-19)
	DebitedAccount string `json:"debited_account,omitempty"` // BT-91
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
