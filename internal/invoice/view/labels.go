package view

// Labels are the words of a rendered document in one language.
type Labels struct {
	Invoice, CreditNote, Corrected, SelfBilled, Accounting string
	Number, Of                                             string
	IssueDate, DueDate, Currency, TaxCurrency, TypeCode    string
	BuyerRef, OrderRef, ContractRef, ProjectRef, Preceding string
	TaxPointDate, Period, Contact, PaymentTerms            string
	Seller, Buyer                                          string
	TradingName, VATID, LegalID                            string
	Street, City, County, Country                          string
	LinesTitle                                             string
	ColNo, ColName, ColUnit, ColQty, ColPrice, ColNet      string
	ColVAT                                                 string
	VATTitle, VATCategory, VATRate, VATTaxable, VATAmount  string
	VATExemption                                           string
	TotalsTitle                                            string
	LineExtension, Allowances, Charges, TaxExclusive       string
	VAT, VATTaxCurrency, TaxInclusive, Prepaid, Rounding   string
	Payable                                                string
	PaymentTitle, AccountName, PaymentID                   string
	NotesTitle, AttachTitle, Bytes                         string
	ANAFTitle, MessageID, UploadID, MessageType            string
	ReceivedAt, RomanianTime                               string
	Page, Disclaimer, NoLines                              string

	Reversal, TaxPointCode, SalesOrderRef, DespatchRef       string
	ReceivingRef, TenderRef, ObjectRef, AccountingCost       string
	LineNote, GrossPrice, PriceDiscount, OfAmount            string
	SellerItemID, BuyerItemID, StandardItemID                string
	Classification, Origin, OrderLineRef                     string
	Allowance, Charge, ChargesTitle                          string
	ColKind, ColReason, ColBase, ColPercent, ColAmount       string
	Account, Bank, Card, CardHolder, Mandate, DebitedAccount string
	TaxRegID, PartyID, LegalForm, Endpoint, Region           string
	Payee, TaxRep, Delivery, DeliveryDate, Location          string

	lang Lang
}

var labelsRO = Labels{
	Invoice: "Factură", CreditNote: "Notă de credit", Corrected: "Factură corectată",
	SelfBilled: "Autofactură", Accounting: "Factură – informații contabile",
	Number: "Nr.", Of: "din",
	IssueDate: "Data emiterii", DueDate: "Data scadenței", Currency: "Moneda", TaxCurrency: "Moneda TVA",
	TypeCode: "Tip document", BuyerRef: "Referința cumpărătorului", OrderRef: "Comanda",
	ContractRef: "Contract", ProjectRef: "Proiect", Preceding: "Factura inițială",
	TaxPointDate: "Data exigibilității TVA", Period: "Perioada facturată", Contact: "Contact",
	PaymentTerms: "Termeni de plată",
	Seller:       "Furnizor", Buyer: "Cumpărător",
	TradingName: "Denumire comercială", VATID: "Cod TVA", LegalID: "Nr. înregistrare",
	Street: "Adresa", City: "Localitatea", County: "Județul", Country: "Țara",
	LinesTitle: "Produse și servicii",
	ColNo:      "Nr.", ColName: "Denumire", ColUnit: "U.M.", ColQty: "Cantitate", ColPrice: "Preț unitar",
	ColNet: "Valoare netă", ColVAT: "TVA",
	VATTitle: "Defalcarea TVA", VATCategory: "Categoria", VATRate: "Cota", VATTaxable: "Baza impozabilă",
	VATAmount: "Valoare TVA", VATExemption: "Motivul scutirii",
	TotalsTitle:   "Totaluri",
	LineExtension: "Total valoare netă linii", Allowances: "Total reduceri", Charges: "Total taxe suplimentare",
	TaxExclusive: "Total fără TVA", VAT: "Total TVA", VATTaxCurrency: "Total TVA în moneda de contabilizare",
	TaxInclusive: "Total cu TVA", Prepaid: "Sumă plătită în avans", Rounding: "Rotunjire", Payable: "Total de plată",
	PaymentTitle: "Plată", AccountName: "Titular cont", PaymentID: "Referința plății",
	NotesTitle: "Note", AttachTitle: "Documente atașate", Bytes: "octeți",
	ANAFTitle: "Date ANAF", MessageID: "ID mesaj", UploadID: "ID încărcare", MessageType: "Tip mesaj",
	ReceivedAt: "Primit la", RomanianTime: "(ora României)",
	Page:       "pagina {current} din {total}",
	Disclaimer: "Reprezentare vizuală generată local din fișierul XML e-Factura; documentul legal este fișierul XML.",
	NoLines:    "Fără linii.",

	Reversal: "Factură storno", TaxPointCode: "Exigibilitatea TVA", SalesOrderRef: "Comanda de vânzare",
	DespatchRef: "Aviz de expediție", ReceivingRef: "Aviz de recepție", TenderRef: "Licitație / lot",
	ObjectRef: "Obiect facturat", AccountingCost: "Cont contabil al cumpărătorului",
	LineNote: "Notă", GrossPrice: "Preț brut", PriceDiscount: "Reducere de preț", OfAmount: "din",
	SellerItemID: "Cod articol vânzător", BuyerItemID: "Cod articol cumpărător", StandardItemID: "Cod standard",
	Classification: "Clasificare", Origin: "Țara de origine", OrderLineRef: "Linia comenzii",
	Allowance: "Reducere", Charge: "Taxă suplimentară", ChargesTitle: "Reduceri și taxe suplimentare",
	ColKind: "Tip", ColReason: "Motiv", ColBase: "Bază", ColPercent: "Procent", ColAmount: "Valoare",
	Account: "Cont (IBAN)", Bank: "Banca (BIC)", Card: "Card", CardHolder: "Titular card", Mandate: "Mandat de debitare",
	DebitedAccount: "Cont debitat",
	TaxRegID:       "Cod de înregistrare fiscală", PartyID: "Identificator", LegalForm: "Informații juridice",
	Endpoint: "Adresă electronică", Region: "Regiunea",
	Payee: "Beneficiarul plății", TaxRep: "Reprezentant fiscal", Delivery: "Livrare", DeliveryDate: "Data livrării",
	Location: "Locul livrării",
	lang:     RO,
}

var labelsEN = Labels{
	Invoice: "Invoice", CreditNote: "Credit note", Corrected: "Corrected invoice",
	SelfBilled: "Self-billed invoice", Accounting: "Invoice – accounting information",
	Number: "No.", Of: "of",
	IssueDate: "Issue date", DueDate: "Due date", Currency: "Currency", TaxCurrency: "VAT currency",
	TypeCode: "Document type", BuyerRef: "Buyer reference", OrderRef: "Order",
	ContractRef: "Contract", ProjectRef: "Project", Preceding: "Preceding invoice",
	TaxPointDate: "VAT point date", Period: "Invoicing period", Contact: "Contact",
	PaymentTerms: "Payment terms",
	Seller:       "Seller", Buyer: "Buyer",
	TradingName: "Trading name", VATID: "VAT id", LegalID: "Registration no.",
	Street: "Address", City: "City", County: "County", Country: "Country",
	LinesTitle: "Goods and services",
	ColNo:      "No.", ColName: "Description", ColUnit: "Unit", ColQty: "Quantity", ColPrice: "Unit price",
	ColNet: "Net amount", ColVAT: "VAT",
	VATTitle: "VAT breakdown", VATCategory: "Category", VATRate: "Rate", VATTaxable: "Taxable amount",
	VATAmount: "VAT amount", VATExemption: "Exemption reason",
	TotalsTitle:   "Totals",
	LineExtension: "Sum of line net amounts", Allowances: "Allowances", Charges: "Charges",
	TaxExclusive: "Total without VAT", VAT: "Total VAT", VATTaxCurrency: "Total VAT in accounting currency",
	TaxInclusive: "Total with VAT", Prepaid: "Paid amount", Rounding: "Rounding", Payable: "Amount due",
	PaymentTitle: "Payment", AccountName: "Account name", PaymentID: "Payment reference",
	NotesTitle: "Notes", AttachTitle: "Attachments", Bytes: "bytes",
	ANAFTitle: "ANAF", MessageID: "Message id", UploadID: "Upload id", MessageType: "Message type",
	ReceivedAt: "Received at", RomanianTime: "(Romanian time)",
	Page:       "page {current} of {total}",
	Disclaimer: "Visual representation made locally from the e-Factura XML file; the legal document is the XML file.",
	NoLines:    "No lines.",

	Reversal: "Reversal invoice", TaxPointCode: "VAT point", SalesOrderRef: "Sales order",
	DespatchRef: "Despatch advice", ReceivingRef: "Receiving advice", TenderRef: "Tender or lot",
	ObjectRef: "Invoiced object", AccountingCost: "Buyer accounting reference",
	LineNote: "Note", GrossPrice: "Gross price", PriceDiscount: "Price discount", OfAmount: "of",
	SellerItemID: "Seller's item id", BuyerItemID: "Buyer's item id", StandardItemID: "Standard item id",
	Classification: "Classification", Origin: "Country of origin", OrderLineRef: "Order line",
	Allowance: "Allowance", Charge: "Charge", ChargesTitle: "Allowances and charges",
	ColKind: "Type", ColReason: "Reason", ColBase: "Base", ColPercent: "Percent", ColAmount: "Amount",
	Account: "Account (IBAN)", Bank: "Bank (BIC)", Card: "Card", CardHolder: "Card holder", Mandate: "Direct debit mandate",
	DebitedAccount: "Debited account",
	TaxRegID:       "Tax registration id", PartyID: "Identifier", LegalForm: "Legal information",
	Endpoint: "Electronic address", Region: "Region",
	Payee: "Payee", TaxRep: "Tax representative", Delivery: "Delivery", DeliveryDate: "Delivery date",
	Location: "Delivery location",
	lang:     EN,
}

// LabelsFor returns the labels of l; anything but EN is Romanian.
func LabelsFor(l Lang) Labels {
	if l == EN {
		return labelsEN
	}
	return labelsRO
}
