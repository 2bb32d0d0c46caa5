package invoice

import (
	"strings"
)

// Parse reads a UBL 2.1 Invoice (root Invoice in
// urn:oasis:names:specification:ubl:schema:xsd:Invoice-2) or CreditNote
// (root CreditNote in ...:CreditNote-2), as CIUS-RO / EN 16931 define them.
//
// Elements are matched by namespace URI, so any prefixes (or none, or
// declarations on inner elements) work. A UTF-8 BOM is skipped, a UTF-16
// BOM and a declared non-UTF-8 encoding (e.g. ISO-8859-2) are converted.
// Refused, with a *ParseError: a DOCTYPE or ENTITY declaration, nesting
// deeper than MaxDepth, more than MaxDocumentSize bytes, invalid UTF-8,
// XML that is not well-formed, and any other root element ("root X is not
// a UBL 2.1 Invoice or CreditNote").
//
// Parse does not validate business rules: a missing term is left empty.
// Amounts are the decimal strings as written (trimmed), dates their
// YYYY-MM-DD part.
func Parse(data []byte) (*Invoice, error) {
	root, err := parseXML(data, decodeOptions{})
	if err != nil {
		return nil, err
	}
	var inv Invoice
	var lineName, qtyName string
	switch {
	case root.space == nsInvoice && root.local == "Invoice":
		inv.DocumentType = DocInvoice
		inv.TypeCode = root.child(nsCBC, "InvoiceTypeCode").value()
		inv.DueDate = datePart(root.child(nsCBC, "DueDate").value())
		lineName, qtyName = "InvoiceLine", "InvoicedQuantity"
	case root.space == nsCreditNote && root.local == "CreditNote":
		inv.DocumentType = DocCreditNote
		inv.TypeCode = root.child(nsCBC, "CreditNoteTypeCode").value()
		for _, pm := range root.all(nsCAC, "PaymentMeans") {
			if d := pm.child(nsCBC, "PaymentDueDate").value(); d != "" {
				inv.DueDate = datePart(d)
				break
			}
		}
		lineName, qtyName = "CreditNoteLine", "CreditedQuantity"
	default:
		return nil, parseErrorf("root %s is not a UBL 2.1 Invoice or CreditNote", root.name())
	}

	inv.Number = root.child(nsCBC, "ID").value()
	inv.IssueDate = datePart(root.child(nsCBC, "IssueDate").value())
	inv.Currency = root.child(nsCBC, "DocumentCurrencyCode").value()
	inv.TaxCurrency = root.child(nsCBC, "TaxCurrencyCode").value()
	inv.BuyerReference = root.child(nsCBC, "BuyerReference").value()
	inv.OrderReference = root.child(nsCAC, "OrderReference").child(nsCBC, "ID").value()
	for _, n := range root.all(nsCBC, "Note") {
		if v := n.value(); v != "" {
			inv.Notes = append(inv.Notes, v)
		}
	}

	inv.Seller = parseParty(root.child(nsCAC, "AccountingSupplierParty").child(nsCAC, "Party"))
	inv.Buyer = parseParty(root.child(nsCAC, "AccountingCustomerParty").child(nsCAC, "Party"))

	lmt := root.child(nsCAC, "LegalMonetaryTotal")
	inv.Totals = Totals{
		LineExtension: lmt.child(nsCBC, "LineExtensionAmount").value(),
		Allowances:    lmt.child(nsCBC, "AllowanceTotalAmount").value(),
		Charges:       lmt.child(nsCBC, "ChargeTotalAmount").value(),
		TaxExclusive:  lmt.child(nsCBC, "TaxExclusiveAmount").value(),
		TaxInclusive:  lmt.child(nsCBC, "TaxInclusiveAmount").value(),
		Prepaid:       lmt.child(nsCBC, "PrepaidAmount").value(),
		Rounding:      lmt.child(nsCBC, "PayableRoundingAmount").value(),
		Payable:       lmt.child(nsCBC, "PayableAmount").value(),
	}

	docTotal, taxCurTotal := pickTaxTotals(root.all(nsCAC, "TaxTotal"), inv.Currency, inv.TaxCurrency)
	if docTotal != nil {
		inv.Totals.VAT = docTotal.child(nsCBC, "TaxAmount").value()
		for _, st := range docTotal.all(nsCAC, "TaxSubtotal") {
			cat := st.child(nsCAC, "TaxCategory")
			inv.VATBreakdown = append(inv.VATBreakdown, VATSubtotal{
				Category:        cat.child(nsCBC, "ID").value(),
				Rate:            cat.child(nsCBC, "Percent").value(),
				TaxableAmount:   st.child(nsCBC, "TaxableAmount").value(),
				TaxAmount:       st.child(nsCBC, "TaxAmount").value(),
				ExemptionReason: cat.child(nsCBC, "TaxExemptionReason").value(),
				ExemptionCode:   cat.child(nsCBC, "TaxExemptionReasonCode").value(),
			})
		}
	}
	if taxCurTotal != nil {
		inv.Totals.VATTaxCurrency = taxCurTotal.child(nsCBC, "TaxAmount").value()
	}

	inv.Lines = []Line{}
	for _, ln := range root.all(nsCAC, lineName) {
		item := ln.child(nsCAC, "Item")
		tc := item.child(nsCAC, "ClassifiedTaxCategory")
		qty := ln.child(nsCBC, qtyName)
		inv.Lines = append(inv.Lines, Line{
			ID:          ln.child(nsCBC, "ID").value(),
			Name:        item.child(nsCBC, "Name").value(),
			Description: item.child(nsCBC, "Description").value(),
			Quantity:    qty.value(),
			UnitCode:    strings.TrimSpace(qty.attr("unitCode")),
			Price:       ln.child(nsCAC, "Price").child(nsCBC, "PriceAmount").value(),
			NetAmount:   ln.child(nsCBC, "LineExtensionAmount").value(),
			VATCategory: tc.child(nsCBC, "ID").value(),
			VATRate:     tc.child(nsCBC, "Percent").value(),
		})
	}

	for _, pm := range root.all(nsCAC, "PaymentMeans") {
		acct := pm.child(nsCAC, "PayeeFinancialAccount")
		inv.PaymentMeans = append(inv.PaymentMeans, PaymentMeans{
			Code:      pm.child(nsCBC, "PaymentMeansCode").value(),
			PaymentID: pm.child(nsCBC, "PaymentID").value(),
			IBAN:      acct.child(nsCBC, "ID").value(),
			BankName:  acct.child(nsCBC, "Name").value(),
			BIC:       acct.child(nsCAC, "FinancialInstitutionBranch").child(nsCBC, "ID").value(),
		})
	}

	for _, ref := range root.all(nsCAC, "AdditionalDocumentReference") {
		att := ref.child(nsCAC, "Attachment")
		if att == nil {
			continue // BT-18 invoiced object identifier etc., not BG-24 content
		}
		a := Attachment{
			ID:          ref.child(nsCBC, "ID").value(),
			Description: ref.child(nsCBC, "DocumentDescription").value(),
			URI:         att.child(nsCAC, "ExternalReference").child(nsCBC, "URI").value(),
		}
		if bin := att.child(nsCBC, "EmbeddedDocumentBinaryObject"); bin != nil {
			a.Embedded = true
			a.FileName = strings.TrimSpace(bin.attr("filename"))
			a.MIMEType = strings.TrimSpace(bin.attr("mimeCode"))
			a.Size = base64DecodedLen(bin.text)
		}
		inv.Attachments = append(inv.Attachments, a)
	}
	return &inv, nil
}

// parseParty reads a cac:Party (BG-4 / BG-7). p may be nil.
func parseParty(p *node) Party {
	var out Party
	if p == nil {
		return out
	}
	legal := p.child(nsCAC, "PartyLegalEntity")
	out.TradingName = p.child(nsCAC, "PartyName").child(nsCBC, "Name").value()
	out.Name = legal.child(nsCBC, "RegistrationName").value()
	if out.Name == "" {
		out.Name = out.TradingName
	}
	out.LegalID = legal.child(nsCBC, "CompanyID").value()
	for _, ts := range p.all(nsCAC, "PartyTaxScheme") {
		if strings.EqualFold(ts.child(nsCAC, "TaxScheme").child(nsCBC, "ID").value(), "VAT") {
			out.VATID = ts.child(nsCBC, "CompanyID").value()
			break
		}
	}
	if addr := p.child(nsCAC, "PostalAddress"); addr != nil {
		a := Address{
			Street:      addr.child(nsCBC, "StreetName").value(),
			City:        addr.child(nsCBC, "CityName").value(),
			PostalCode:  addr.child(nsCBC, "PostalZone").value(),
			Subdivision: addr.child(nsCBC, "CountrySubentity").value(),
			Country:     addr.child(nsCAC, "Country").child(nsCBC, "IdentificationCode").value(),
		}
		if a != (Address{}) {
			out.Address = &a
		}
	}
	return out
}

// pickTaxTotals returns the TaxTotal in the document currency (BT-110, the
// one carrying the breakdown) and the one in the tax currency (BT-111).
// They may come in any order. When no TaxAmount names the document
// currency, the TaxTotal with subtotals (else the first) is taken.
func pickTaxTotals(tts []*node, cur, taxCur string) (doc, tax *node) {
	currency := func(t *node) string {
		return strings.TrimSpace(t.child(nsCBC, "TaxAmount").attr("currencyID"))
	}
	hasSub := func(t *node) bool { return t.child(nsCAC, "TaxSubtotal") != nil }
	best := func(match func(*node) bool, exclude *node) *node {
		var first *node
		for _, t := range tts {
			if t == exclude || !match(t) {
				continue
			}
			if hasSub(t) {
				return t
			}
			if first == nil {
				first = t
			}
		}
		return first
	}
	doc = best(func(t *node) bool { return cur != "" && currency(t) == cur }, nil)
	if doc == nil {
		doc = best(func(*node) bool { return true }, nil)
	}
	if taxCur != "" {
		tax = best(func(t *node) bool { return currency(t) == taxCur && !hasSub(t) }, doc)
		if tax == nil && taxCur != cur {
			tax = best(func(t *node) bool { return currency(t) == taxCur }, doc)
		}
	}
	return doc, tax
}

// datePart returns the leading YYYY-MM-DD of s, or s trimmed when it does
// not start with one.
func datePart(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		return s[:10]
	}
	return s
}

// base64DecodedLen returns how many bytes the base64 text b decodes to,
// ignoring whitespace; it does not decode.
func base64DecodedLen(b []byte) int {
	n, pad := 0, 0
	for _, c := range b {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case c == '=':
			pad++
			n++
		default:
			n++
		}
	}
	if n == 0 {
		return 0
	}
	size := n / 4 * 3
	switch n % 4 { // unpadded tail
	case 2:
		size++
	case 3:
		size += 2
	}
	return size - pad
}
