// Package codes names the codes an e-Factura invoice (UBL 2.1, EN 16931,
// CIUS-RO) is written with, in Romanian and English, for people: UNTDID
// 1001 document types (BT-3), 4461 payment means (BT-81), 5305 VAT
// categories (BT-118, BT-151), 5189 allowance and 7161 charge reasons
// (BT-98, BT-105, BT-140, BT-145), the CEF VATEX exemption reasons
// (BT-121), UN/ECE Recommendation 20/21 units (BT-130, BT-150), ISO 3166-1
// countries (BT-40, from CLDR via golang.org/x/text) and the ISO 3166-2:RO
// county codes (BT-39).
//
// Every function takes the language "en" for English, anything else for
// Romanian, matches codes case-insensitively and returns "" for a code it
// does not know, so that the caller shows the code as written.
package codes

import (
	"strings"

	"github.com/efactura-gateway/efactura/internal/invoice"
)

// pick is n's name in lang.
func pick(n [2]string, lang string) string {
	if lang == "en" {
		return n[1]
	}
	return n[0]
}

func lookup(m map[string][2]string, code, lang string) string {
	n, ok := m[strings.ToUpper(strings.TrimSpace(code))]
	if !ok {
		return ""
	}
	return pick(n, lang)
}

// DocumentType names an UNTDID 1001 document type code (BT-3).
func DocumentType(code, lang string) string { return lookup(documentTypes, code, lang) }

var documentTypes = map[string][2]string{
	"71":  {"Cerere de plată", "Request for payment"},
	"261": {"Autofactură de credit", "Self billed credit note"},
	"262": {"Notă de credit consolidată", "Consolidated credit note - goods and services"},
	"296": {"Notă de credit pentru ajustarea prețului", "Credit note for price variation"},
	"308": {"Notă de credit Delcredere", "Delcredere credit note"},
	"325": {"Factură proformă", "Proforma invoice"},
	"326": {"Factură parțială", "Partial invoice"},
	"380": {"Factură comercială", "Commercial invoice"},
	"381": {"Notă de credit", "Credit note"},
	"383": {"Notă de debit", "Debit note"},
	"384": {"Factură corectată", "Corrected invoice"},
	"386": {"Factură de avans", "Prepayment invoice"},
	"389": {"Autofactură", "Self-billed invoice"},
	"393": {"Factură cesionată (factoring)", "Factored invoice"},
	"396": {"Notă de credit cesionată (factoring)", "Factored credit note"},
	"532": {"Notă de credit a expeditorului", "Forwarder's credit note"},
	"751": {"Factură – informații în scop contabil", "Invoice information for accounting purposes"},
	"875": {"Factură parțială de construcții", "Partial construction invoice"},
	"876": {"Factură parțială finală de construcții", "Partial final construction invoice"},
	"877": {"Factură finală de construcții", "Final construction invoice"},
}

// PaymentMeans names an UNTDID 4461 payment means code (BT-81).
func PaymentMeans(code, lang string) string { return lookup(paymentMeans, code, lang) }

var paymentMeans = map[string][2]string{
	"1":   {"Instrument nedefinit", "Instrument not defined"},
	"2":   {"Credit ACH", "Automated clearing house credit"},
	"3":   {"Debit ACH", "Automated clearing house debit"},
	"4":   {"Stornare debit la cerere ACH", "ACH demand debit reversal"},
	"5":   {"Stornare credit la cerere ACH", "ACH demand credit reversal"},
	"6":   {"Credit la cerere ACH", "ACH demand credit"},
	"7":   {"Debit la cerere ACH", "ACH demand debit"},
	"10":  {"Numerar", "In cash"},
	"20":  {"Cec", "Cheque"},
	"21":  {"Cec bancar", "Banker's draft"},
	"30":  {"Transfer credit", "Credit transfer"},
	"31":  {"Transfer debit", "Debit transfer"},
	"42":  {"Plată în cont bancar", "Payment to bank account"},
	"48":  {"Card bancar", "Bank card"},
	"49":  {"Debitare directă", "Direct debit"},
	"50":  {"Plată prin giro poștal", "Payment by postgiro"},
	"54":  {"Card de credit", "Credit card"},
	"55":  {"Card de debit", "Debit card"},
	"57":  {"Acord permanent", "Standing agreement"},
	"58":  {"Transfer credit SEPA", "SEPA credit transfer"},
	"59":  {"Debitare directă SEPA", "SEPA direct debit"},
	"68":  {"Serviciu de plată online", "Online payment service"},
	"97":  {"Compensare între parteneri", "Clearing between partners"},
	"ZZZ": {"Definit de comun acord", "Mutually defined"},
}

// VATCategory names an UNTDID 5305 VAT category code (BT-95, BT-102,
// BT-118, BT-151), as EN 16931 uses them.
func VATCategory(code, lang string) string { return lookup(vatCategories, code, lang) }

var vatCategories = map[string][2]string{
	"S":  {"Cota standard", "Standard rate"},
	"Z":  {"Cota zero", "Zero rated goods"},
	"E":  {"Scutit de TVA", "Exempt from VAT"},
	"AE": {"Taxare inversă", "VAT reverse charge"},
	"K":  {"Livrare intracomunitară scutită", "Intra-community supply, VAT exempt"},
	"G":  {"Export în afara UE, scutit", "Free export item, VAT not charged"},
	"O":  {"În afara sferei TVA", "Services outside scope of tax"},
	"L":  {"IGIC (Insulele Canare)", "Canary Islands general indirect tax"},
	"M":  {"IPSI (Ceuta și Melilla)", "Tax for production, services and importation in Ceuta and Melilla"},
	"B":  {"TVA transferat (Italia)", "Transferred (VAT), Italy"},
}

// AllowanceReason names an UNTDID 5189 allowance reason code (BT-98,
// BT-140).
func AllowanceReason(code, lang string) string { return lookup(allowanceReasons, code, lang) }

var allowanceReasons = map[string][2]string{
	"41":  {"Bonus pentru lucrări înainte de termen", "Bonus for works ahead of schedule"},
	"42":  {"Alt bonus", "Other bonus"},
	"60":  {"Reducere a producătorului pentru consumator", "Manufacturer's consumer discount"},
	"62":  {"Datorită statutului militar", "Due to military status"},
	"63":  {"Datorită unui accident de muncă", "Due to work accident"},
	"64":  {"Acord special", "Special agreement"},
	"65":  {"Reducere pentru eroare de producție", "Production error discount"},
	"66":  {"Reducere pentru punct de vânzare nou", "New outlet discount"},
	"67":  {"Reducere pentru mostre", "Sample discount"},
	"68":  {"Reducere de sfârșit de gamă", "End-of-range discount"},
	"70":  {"Reducere Incoterm", "Incoterm discount"},
	"71":  {"Reducere pentru pragul punctului de vânzare", "Point of sales threshold allowance"},
	"88":  {"Suprataxă/deducere pentru material", "Material surcharge/deduction"},
	"95":  {"Reducere", "Discount"},
	"100": {"Rabat special", "Special rebate"},
	"102": {"Fix pe termen lung", "Fixed long term"},
	"103": {"Temporar", "Temporary"},
	"104": {"Standard", "Standard"},
	"105": {"Cifră de afaceri anuală", "Yearly turnover"},
	"ZZZ": {"Definit de comun acord", "Mutually defined"},
}

// ChargeReason names an UNTDID 7161 charge reason code (BT-105, BT-145).
func ChargeReason(code, lang string) string { return lookup(chargeReasons, code, lang) }

var chargeReasons = map[string][2]string{
	"AA":  {"Publicitate", "Advertising"},
	"AAA": {"Telecomunicații", "Telecommunication"},
	"ABK": {"Diverse", "Miscellaneous"},
	"ABL": {"Ambalare suplimentară", "Additional packaging"},
	"ADR": {"Alte servicii", "Other services"},
	"ADZ": {"Transport", "Transportation"},
	"AJ":  {"Ajustări", "Adjustments"},
	"AU":  {"Colectare de la domiciliu", "Collect"},
	"CG":  {"Curățenie", "Cleaning"},
	"DL":  {"Livrare", "Delivery"},
	"FC":  {"Transport (navlu)", "Freight service"},
	"FI":  {"Finanțare", "Financing"},
	"IN":  {"Asigurare", "Insurance"},
	"LA":  {"Etichetare", "Labelling"},
	"PC":  {"Ambalare", "Packing"},
	"RAD": {"Descărcare", "Unloading"},
	"SH":  {"Manipulare specială", "Special handling"},
	"TV":  {"Transport", "Transportation"},
	"WH":  {"Depozitare", "Warehousing"},
	"ZZZ": {"Definit de comun acord", "Mutually defined"},
}

// Unit names a UN/ECE Recommendation 20 or 21 unit code (BT-130, BT-150):
// the usual short form for the commonest ones ("buc", "kg", "oră"), else
// the name the parser knows (invoice.UnitName).
func Unit(code, lang string) string {
	if n, ok := shortUnits[strings.ToUpper(strings.TrimSpace(code))]; ok {
		return pick(n, lang)
	}
	return invoice.UnitName(code, lang)
}

var shortUnits = map[string][2]string{
	"C62": {"buc", "pcs"}, "H87": {"buc", "pcs"}, "EA": {"buc", "each"}, "XPP": {"buc", "pcs"},
	"HUR": {"oră", "hour"}, "DAY": {"zi", "day"}, "MON": {"lună", "month"}, "ANN": {"an", "year"},
	"WEE": {"săpt.", "week"}, "MIN": {"min", "min"},
	"KGM": {"kg", "kg"}, "GRM": {"g", "g"}, "TNE": {"t", "t"},
	"LTR": {"l", "l"}, "MTR": {"m", "m"}, "KMT": {"km", "km"}, "MTK": {"m²", "m²"}, "MTQ": {"m³", "m³"},
	"KWH": {"kWh", "kWh"}, "SET": {"set", "set"}, "PR": {"pereche", "pair"}, "XBX": {"cutie", "box"},
	"XPK": {"pachet", "pack"}, "XPA": {"pachet", "packet"}, "E48": {"serviciu", "service"}, "LS": {"paușal", "lump sum"},
}

// County names a Romanian county by its ISO 3166-2:RO code (BT-39, as
// CIUS-RO BR-RO-110 asks: "RO-CJ" is "Cluj", "RO-B" "București"); the
// name is the same in both languages.
func County(code string) string { return counties[strings.ToUpper(strings.TrimSpace(code))] }

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

// TaxPointDate names an UNTDID 2005 VAT point date code (BT-8).
func TaxPointDate(code, lang string) string { return lookup(taxPointDates, code, lang) }

var taxPointDates = map[string][2]string{
	"3":   {"Data emiterii facturii", "Invoice document issue date"},
	"35":  {"Data livrării efective", "Actual delivery date"},
	"432": {"Data plății", "Paid to date"},
}
