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
}

var labelsRO = Labels{
	Invoice: "Factură", CreditNote: "Factură storno / Notă de credit", Corrected: "Factură corectată",
	SelfBilled: "Autofactură", Accounting: "Factură – informații contabile",
	Number: "Nr.", Of: "din",
	IssueDate: "Data emiterii", DueDate: "Data scadenței", Currency: "Moneda", TaxCurrency: "Moneda TVA",
	TypeCode: "Cod tip document", BuyerRef: "Referința cumpărătorului", OrderRef: "Comanda",
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
}

var labelsEN = Labels{
	Invoice: "Invoice", CreditNote: "Credit note", Corrected: "Corrected invoice",
	SelfBilled: "Self-billed invoice", Accounting: "Invoice – accounting information",
	Number: "No.", Of: "of",
	IssueDate: "Issue date", DueDate: "Due date", Currency: "Currency", TaxCurrency: "VAT currency",
	TypeCode: "Type code", BuyerRef: "Buyer reference", OrderRef: "Order",
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
}

// LabelsFor returns the labels of l; anything but EN is Romanian.
func LabelsFor(l Lang) Labels {
	if l == EN {
		return labelsEN
	}
	return labelsRO
}

// unitName gives a readable name for the commonest UN/ECE Rec 20 codes
// (BT-130), followed by the code; unknown codes are shown as written.
func unitName(code string, l Lang) string {
	names, ok := unitNames[code]
	if !ok {
		return code
	}
	if l == EN {
		return names[1]
	}
	return names[0]
}

var unitNames = map[string][2]string{
	"C62": {"buc", "pcs"}, "H87": {"buc", "pcs"}, "EA": {"buc", "each"}, "XPP": {"buc", "pcs"},
	"HUR": {"oră", "hour"}, "DAY": {"zi", "day"}, "MON": {"lună", "month"}, "ANN": {"an", "year"},
	"WEE": {"săpt.", "week"}, "MIN": {"min", "min"},
	"KGM": {"kg", "kg"}, "GRM": {"g", "g"}, "TNE": {"t", "t"},
	"LTR": {"l", "l"}, "MTR": {"m", "m"}, "KMT": {"km", "km"}, "MTK": {"m²", "m²"}, "MTQ": {"m³", "m³"},
	"KWH": {"kWh", "kWh"}, "SET": {"set", "set"}, "PR": {"pereche", "pair"}, "XBX": {"cutie", "box"},
	"XPK": {"pachet", "pack"}, "E48": {"serviciu", "service"}, "LS": {"paușal", "lump sum"},
}

// vatCategoryName names an UNCL5305 VAT category code (BT-118, BT-151).
func vatCategoryName(code string, l Lang) string {
	n, ok := vatCategories[code]
	if !ok {
		return ""
	}
	if l == EN {
		return n[1]
	}
	return n[0]
}

var vatCategories = map[string][2]string{
	"S":  {"cota standard", "standard rate"},
	"Z":  {"cota zero", "zero rated"},
	"E":  {"scutit", "exempt"},
	"AE": {"taxare inversă", "reverse charge"},
	"K":  {"livrare intracomunitară", "intra-community supply"},
	"G":  {"export", "export"},
	"O":  {"neimpozabil", "not subject to VAT"},
	"L":  {"IGIC", "IGIC"},
	"M":  {"IPSI", "IPSI"},
	"B":  {"transfer (Italia)", "transferred (Italy)"},
}

// paymentMeansName names an UNCL4461 payment means code (BT-81).
func paymentMeansName(code string, l Lang) string {
	n, ok := paymentMeans[code]
	if !ok {
		return ""
	}
	if l == EN {
		return n[1]
	}
	return n[0]
}

var paymentMeans = map[string][2]string{
	"1":   {"nedefinit", "not defined"},
	"10":  {"numerar", "cash"},
	"20":  {"cec", "cheque"},
	"30":  {"transfer credit", "credit transfer"},
	"31":  {"transfer debit", "debit transfer"},
	"42":  {"plată în cont bancar", "payment to bank account"},
	"48":  {"card bancar", "bank card"},
	"49":  {"debitare directă", "direct debit"},
	"57":  {"ordin de plată permanent", "standing agreement"},
	"58":  {"transfer credit SEPA", "SEPA credit transfer"},
	"59":  {"debitare directă SEPA", "SEPA direct debit"},
	"68":  {"plată online", "online payment"},
	"97":  {"compensare", "clearing between partners"},
	"ZZZ": {"altă modalitate", "mutually defined"},
}

// countyName names a Romanian county by its ISO 3166-2:RO code (BT-39,
// CIUS-RO BR-RO-110); other subdivisions get "".
func countyName(code string) string { return counties[code] }

var counties = map[string]string{
	"RO-AB": "Alba", "RO-AR": "Arad", "RO-AG": "Argeș", "RO-BC": "Bacău", "RO-BH": "Bihor",
	"RO-BN": "Bistrița-Năsăud", "RO-BT": "Botoșani", "RO-BV": "Brașov", "RO-BR": "Brăila",
	"RO-B": "București", "RO-BZ": "Buzău", "RO-CS": "Caraș-Severin", "RO-CL": "Călărași",
	"RO-CJ": "Cluj", "RO-CT": "Constanța", "RO-CV": "Covasna", "RO-DB": "Dâmbovița", "RO-DJ": "Dolj",
	"RO-GL": "Galați", "RO-GR": "Giurgiu", "RO-GJ": "Gorj", "RO-HR": "Harghita", "RO-HD": "Hunedoara",
	"RO-IL": "Ialomița", "RO-IS": "Iași", "RO-IF": "Ilfov", "RO-MM": "Maramureș", "RO-MH": "Mehedinți",
	"RO-MS": "Mureș", "RO-NT": "Neamț", "RO-OT": "Olt", "RO-PH": "Prahova", "RO-SM": "Satu Mare",
	"RO-SJ": "Sălaj", "RO-SB": "Sibiu", "RO-SV": "Suceava", "RO-TR": "Teleorman", "RO-TM": "Timiș",
	"RO-TL": "Tulcea", "RO-VS": "Vaslui", "RO-VL": "Vâlcea", "RO-VN": "Vrancea",
}
