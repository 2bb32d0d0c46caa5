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
	parseReferences(root, &inv)

	inv.Seller = parseParty(root.child(nsCAC, "AccountingSupplierParty").child(nsCAC, "Party"))
	inv.Buyer = parseParty(root.child(nsCAC, "AccountingCustomerParty").child(nsCAC, "Party"))
	if p := root.child(nsCAC, "PayeeParty"); p != nil {
		payee := parseParty(p)
		inv.Payee = &payee
	}
	if p := root.child(nsCAC, "TaxRepresentativeParty"); p != nil {
		rep := parseParty(p)
		inv.TaxRepresentative = &rep
	}
	inv.Delivery = parseDelivery(root.child(nsCAC, "Delivery"))
	for _, ac := range root.all(nsCAC, "AllowanceCharge") {
		inv.AllowanceCharges = append(inv.AllowanceCharges, parseAllowanceCharge(ac))
	}

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

	inv.Lines = make([]Line, 0, root.count(nsCAC, lineName)) // a Line is large: no regrowth
	for ln := root.first; ln != nil; ln = ln.next {
		if ln.local == lineName && ln.space == nsCAC {
			inv.Lines = append(inv.Lines, parseLine(ln, qtyName))
		}
	}

	for _, pm := range root.all(nsCAC, "PaymentMeans") {
		acct := pm.child(nsCAC, "PayeeFinancialAccount")
		code := pm.child(nsCBC, "PaymentMeansCode")
		card := pm.child(nsCAC, "CardAccount")
		mandate := pm.child(nsCAC, "PaymentMandate")
		inv.PaymentMeans = append(inv.PaymentMeans, PaymentMeans{
			Code:           code.value(),
			Text:           strings.TrimSpace(code.attr("name")),
			PaymentID:      pm.child(nsCBC, "PaymentID").value(),
			IBAN:           acct.child(nsCBC, "ID").value(),
			BankName:       acct.child(nsCBC, "Name").value(),
			BIC:            acct.child(nsCAC, "FinancialInstitutionBranch").child(nsCBC, "ID").value(),
			CardPAN:        card.child(nsCBC, "PrimaryAccountNumberID").value(),
			CardHolder:     card.child(nsCBC, "HolderName").value(),
			MandateID:      mandate.child(nsCBC, "ID").value(),
			DebitedAccount: mandate.child(nsCAC, "PayerFinancialAccount").child(nsCBC, "ID").value(),
		})
	}

	for _, ref := range root.all(nsCAC, "AdditionalDocumentReference") {
		att := ref.child(nsCAC, "Attachment")
		if att == nil && ref.child(nsCBC, "DocumentTypeCode").value() == "130" {
			if inv.InvoicedObjectID == "" {
				inv.InvoicedObjectID = ref.child(nsCBC, "ID").value()
			}
			continue
		}
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

// parseReferences reads the document references: BT-11..BT-18, BG-3,
// BG-14, BT-7, BT-19 and BT-20.
func parseReferences(root *node, inv *Invoice) {
	inv.TaxPointDate = datePart(root.child(nsCBC, "TaxPointDate").value())
	inv.AccountingCost = root.child(nsCBC, "AccountingCost").value()
	inv.SalesOrderReference = root.child(nsCAC, "OrderReference").child(nsCBC, "SalesOrderID").value()
	inv.ContractReference = root.child(nsCAC, "ContractDocumentReference").child(nsCBC, "ID").value()
	inv.ProjectReference = root.child(nsCAC, "ProjectReference").child(nsCBC, "ID").value()
	inv.DespatchAdviceReference = root.child(nsCAC, "DespatchDocumentReference").child(nsCBC, "ID").value()
	inv.ReceivingAdviceReference = root.child(nsCAC, "ReceiptDocumentReference").child(nsCBC, "ID").value()
	inv.TenderReference = root.child(nsCAC, "OriginatorDocumentReference").child(nsCBC, "ID").value()
	for _, br := range root.all(nsCAC, "BillingReference") {
		ref := br.child(nsCAC, "InvoiceDocumentReference")
		if ref == nil {
			continue
		}
		inv.PrecedingInvoices = append(inv.PrecedingInvoices, DocumentReference{
			ID:        ref.child(nsCBC, "ID").value(),
			IssueDate: datePart(ref.child(nsCBC, "IssueDate").value()),
		})
	}
	inv.Period = parsePeriod(root.child(nsCAC, "InvoicePeriod"))
	var terms []string
	for _, pt := range root.all(nsCAC, "PaymentTerms") {
		for _, n := range pt.all(nsCBC, "Note") {
			if v := n.value(); v != "" {
				terms = append(terms, v)
			}
		}
	}
	inv.PaymentTerms = strings.Join(terms, "\n")
}

// parsePeriod reads a cac:InvoicePeriod (BG-14 or BG-26); nil when p is
// nil or empty.
func parsePeriod(p *node) *Period {
	if p == nil {
		return nil
	}
	out := Period{
		Start:           datePart(p.child(nsCBC, "StartDate").value()),
		End:             datePart(p.child(nsCBC, "EndDate").value()),
		DescriptionCode: p.child(nsCBC, "DescriptionCode").value(),
	}
	if out == (Period{}) {
		return nil
	}
	return &out
}

// parseDelivery reads a cac:Delivery (BG-13); nil when d is nil or empty.
func parseDelivery(d *node) *Delivery {
	if d == nil {
		return nil
	}
	loc := d.child(nsCAC, "DeliveryLocation")
	locID := loc.child(nsCBC, "ID")
	out := Delivery{
		PartyName:      d.child(nsCAC, "DeliveryParty").child(nsCAC, "PartyName").child(nsCBC, "Name").value(),
		LocationID:     locID.value(),
		LocationScheme: strings.TrimSpace(locID.attr("schemeID")),
		Date:           datePart(d.child(nsCBC, "ActualDeliveryDate").value()),
		Address:        parseAddress(loc.child(nsCAC, "Address")),
	}
	if out.PartyName == "" && out.LocationID == "" && out.Date == "" && out.Address == nil {
		return nil
	}
	return &out
}

// parseAllowanceCharge reads a cac:AllowanceCharge (BG-20, BG-21, BG-27,
// BG-28).
func parseAllowanceCharge(ac *node) AllowanceCharge {
	tc := ac.child(nsCAC, "TaxCategory")
	return AllowanceCharge{
		Charge:      strings.EqualFold(ac.child(nsCBC, "ChargeIndicator").value(), "true"),
		Amount:      ac.child(nsCBC, "Amount").value(),
		BaseAmount:  ac.child(nsCBC, "BaseAmount").value(),
		Percentage:  ac.child(nsCBC, "MultiplierFactorNumeric").value(),
		Reason:      ac.child(nsCBC, "AllowanceChargeReason").value(),
		ReasonCode:  ac.child(nsCBC, "AllowanceChargeReasonCode").value(),
		VATCategory: tc.child(nsCBC, "ID").value(),
		VATRate:     tc.child(nsCBC, "Percent").value(),
	}
}

// parseLine reads an InvoiceLine or CreditNoteLine (BG-25); qtyName is
// InvoicedQuantity or CreditedQuantity.
func parseLine(ln *node, qtyName string) Line {
	item := ln.child(nsCAC, "Item")
	tc := item.child(nsCAC, "ClassifiedTaxCategory")
	qty := ln.child(nsCBC, qtyName)
	price := ln.child(nsCAC, "Price")
	priceAC := price.child(nsCAC, "AllowanceCharge")
	baseQty := price.child(nsCBC, "BaseQuantity")
	std := item.child(nsCAC, "StandardItemIdentification").child(nsCBC, "ID")
	out := Line{
		ID:                 ln.child(nsCBC, "ID").value(),
		Note:               ln.child(nsCBC, "Note").value(),
		OrderLineReference: ln.child(nsCAC, "OrderLineReference").child(nsCBC, "LineID").value(),
		AccountingCost:     ln.child(nsCBC, "AccountingCost").value(),
		Name:               item.child(nsCBC, "Name").value(),
		Description:        item.child(nsCBC, "Description").value(),
		SellerItemID:       item.child(nsCAC, "SellersItemIdentification").child(nsCBC, "ID").value(),
		BuyerItemID:        item.child(nsCAC, "BuyersItemIdentification").child(nsCBC, "ID").value(),
		StandardItemID:     std.value(),
		StandardItemScheme: strings.TrimSpace(std.attr("schemeID")),
		OriginCountry:      item.child(nsCAC, "OriginCountry").child(nsCBC, "IdentificationCode").value(),
		Quantity:           qty.value(),
		UnitCode:           strings.TrimSpace(qty.attr("unitCode")),
		Price:              price.child(nsCBC, "PriceAmount").value(),
		PriceDiscount:      priceAC.child(nsCBC, "Amount").value(),
		GrossPrice:         priceAC.child(nsCBC, "BaseAmount").value(),
		BaseQuantity:       baseQty.value(),
		BaseQuantityUnit:   strings.TrimSpace(baseQty.attr("unitCode")),
		NetAmount:          ln.child(nsCBC, "LineExtensionAmount").value(),
		VATCategory:        tc.child(nsCBC, "ID").value(),
		VATRate:            tc.child(nsCBC, "Percent").value(),
		Period:             parsePeriod(ln.child(nsCAC, "InvoicePeriod")),
	}
	out.UnitName, out.UnitNameEN = UnitName(out.UnitCode, "ro"), UnitName(out.UnitCode, "en")
	for _, ref := range ln.all(nsCAC, "DocumentReference") {
		if ref.child(nsCBC, "DocumentTypeCode").value() == "130" && out.ObjectID == "" {
			out.ObjectID = ref.child(nsCBC, "ID").value()
		}
	}
	for _, cc := range item.all(nsCAC, "CommodityClassification") {
		code := cc.child(nsCBC, "ItemClassificationCode")
		if v := code.value(); v != "" {
			out.Classifications = append(out.Classifications, Classification{
				Code: v, ListID: strings.TrimSpace(code.attr("listID")), ListVersion: strings.TrimSpace(code.attr("listVersionID")),
			})
		}
	}
	for _, ap := range item.all(nsCAC, "AdditionalItemProperty") {
		a := ItemAttribute{Name: ap.child(nsCBC, "Name").value(), Value: ap.child(nsCBC, "Value").value()}
		if a != (ItemAttribute{}) {
			out.Attributes = append(out.Attributes, a)
		}
	}
	for _, ac := range ln.all(nsCAC, "AllowanceCharge") {
		out.AllowanceCharges = append(out.AllowanceCharges, parseAllowanceCharge(ac))
	}
	return out
}

// parseParty reads a cac:Party (BG-4 / BG-7), cac:PayeeParty (BG-10) or
// cac:TaxRepresentativeParty (BG-11). p may be nil.
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
	legalID := legal.child(nsCBC, "CompanyID")
	out.LegalID = legalID.value()
	out.LegalIDScheme = strings.TrimSpace(legalID.attr("schemeID"))
	out.LegalForm = legal.child(nsCBC, "CompanyLegalForm").value()
	for _, ts := range p.all(nsCAC, "PartyTaxScheme") {
		id := ts.child(nsCBC, "CompanyID").value()
		if strings.EqualFold(ts.child(nsCAC, "TaxScheme").child(nsCBC, "ID").value(), "VAT") {
			if out.VATID == "" {
				out.VATID = id
			}
		} else if out.TaxRegistrationID == "" {
			out.TaxRegistrationID = id
		}
	}
	for _, pi := range p.all(nsCAC, "PartyIdentification") {
		id := pi.child(nsCBC, "ID")
		if v := id.value(); v != "" {
			out.IDs = append(out.IDs, PartyID{ID: v, Scheme: strings.TrimSpace(id.attr("schemeID"))})
		}
	}
	ep := p.child(nsCBC, "EndpointID")
	out.EndpointID = ep.value()
	out.EndpointScheme = strings.TrimSpace(ep.attr("schemeID"))
	out.Address = parseAddress(p.child(nsCAC, "PostalAddress"))
	if c := p.child(nsCAC, "Contact"); c != nil {
		ct := Contact{
			Name:  c.child(nsCBC, "Name").value(),
			Phone: c.child(nsCBC, "Telephone").value(),
			Email: c.child(nsCBC, "ElectronicMail").value(),
		}
		if ct != (Contact{}) {
			out.Contact = &ct
		}
	}
	return out
}

// parseAddress reads a cac:PostalAddress or cac:Address; nil when addr is
// nil or empty.
func parseAddress(addr *node) *Address {
	if addr == nil {
		return nil
	}
	a := Address{
		Street:           addr.child(nsCBC, "StreetName").value(),
		AdditionalStreet: addr.child(nsCBC, "AdditionalStreetName").value(),
		AddressLine:      addr.child(nsCAC, "AddressLine").child(nsCBC, "Line").value(),
		City:             addr.child(nsCBC, "CityName").value(),
		PostalCode:       addr.child(nsCBC, "PostalZone").value(),
		Subdivision:      addr.child(nsCBC, "CountrySubentity").value(),
		Country:          addr.child(nsCAC, "Country").child(nsCBC, "IdentificationCode").value(),
	}
	if a == (Address{}) {
		return nil
	}
	return &a
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
		switch c {
		case ' ', '\t', '\r', '\n':
		case '=':
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
