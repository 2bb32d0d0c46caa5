package invoice

import (
	"encoding/json"
	"strings"
)

// DocumentTypeANAFErrors is Summary.DocumentType of ANAF's error list
// (the ZIP of an "ERORI FACTURA" message).
const DocumentTypeANAFErrors = "ANAFErrors"

// Summary is what the archive records of a ZIP downloaded from ANAF:
// the kind of document it holds, its searchable terms and its parsed
// form as JSON. A ZIP or document that cannot be read gives a Summary
// with ParseError saying why (and whatever was known before the failure).
type Summary struct {
	DocumentType  string // Invoice, CreditNote or DocumentTypeANAFErrors; "" when unknown
	InvoiceNumber string // BT-1
	IssueDate     string // BT-2
	DueDate       string // BT-9
	Currency      string // BT-5
	IssuerName    string // BT-27
	ReceiverName  string // BT-44
	SupplierCIF   string // seller's CIF digits, else its VAT or legal id as written
	// CIFEmitent is the uploader's CIF: the error list's Cif_emitent, or
	// the supplier's CIF. Callers prefer the one ANAF listed.
	CIFEmitent string
	// CIFBeneficiar is the buyer's CIF, else its VAT or legal id as
	// written ("" for an error list). Callers prefer the one ANAF listed.
	CIFBeneficiar string
	TotalAmount   string // BT-112, as written
	VATAmount     string // BT-110, as written
	ParsedJSON    []byte // the parsed document as JSON; nil when it could not be read
	ParseError    string // why reading failed; "" when it did not
}

// Summarize reads an ANAF ZIP (ReadArchive) and classifies its document:
// an ANAF error list when errorList is true (ANAF listed the message as
// "ERORI FACTURA") or when the document's head names the error list's
// namespace, else an invoice or credit note (Parse). It never fails:
// failures are in ParseError.
func Summarize(zipBytes []byte, errorList bool) Summary {
	arch, err := ReadArchive(zipBytes)
	return SummarizeArchive(arch, err, errorList)
}

// SummarizeArchive is Summarize of an archive already read: arch and err
// are what ReadArchive returned (the sync reads each ZIP once).
func SummarizeArchive(arch *Archive, err error, errorList bool) Summary {
	if err != nil {
		return Summary{ParseError: "the ZIP from ANAF could not be read: " + err.Error()}
	}
	if errorList || isANAFErrors(arch.Document) {
		return summarizeANAFErrors(arch.Document)
	}
	doc, err := Parse(arch.Document)
	if err != nil {
		return Summary{ParseError: err.Error()}
	}
	s := Summary{
		DocumentType:  string(doc.DocumentType),
		InvoiceNumber: doc.Number,
		IssueDate:     doc.IssueDate,
		DueDate:       doc.DueDate,
		Currency:      doc.Currency,
		IssuerName:    doc.Seller.Name,
		ReceiverName:  doc.Buyer.Name,
		SupplierCIF:   firstNonEmpty(PartyCIF(doc.Seller), doc.Seller.VATID, doc.Seller.LegalID),
		CIFBeneficiar: firstNonEmpty(PartyCIF(doc.Buyer), doc.Buyer.VATID, doc.Buyer.LegalID),
		TotalAmount:   doc.Totals.TaxInclusive,
		VATAmount:     doc.Totals.VAT,
	}
	s.CIFEmitent = s.SupplierCIF
	s.ParsedJSON, _ = json.Marshal(doc)
	return s
}

func summarizeANAFErrors(document []byte) Summary {
	s := Summary{DocumentType: DocumentTypeANAFErrors}
	ae, err := ParseANAFErrors(document)
	if err != nil {
		s.ParseError = "ANAF's error list could not be read: " + err.Error()
		return s
	}
	s.CIFEmitent = ae.CIFEmitent
	s.ParsedJSON, _ = json.Marshal(struct {
		DocumentType string   `json:"document_type"`
		UploadID     string   `json:"upload_id,omitempty"`
		CIFEmitent   string   `json:"cif_emitent,omitempty"`
		Errors       []string `json:"errors"`
	}{DocumentTypeANAFErrors, ae.UploadID, ae.CIFEmitent, ae.Messages})
	return s
}

// isANAFErrors reports whether a document's first 512 bytes name ANAF's
// error list (mesajEroriFactuta), whatever the message type says.
func isANAFErrors(document []byte) bool {
	head := document
	if len(head) > 512 {
		head = head[:512]
	}
	return strings.Contains(string(head), "mesajEroriFactuta")
}

// firstNonEmpty returns the first of s that is not blank, trimmed.
func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
