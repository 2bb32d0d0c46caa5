package invoice

import "strings"

// unitNames maps a UN/ECE Recommendation 20 (and Rec 21 "X…" package)
// unit code (BT-130, BT-150) to its readable name in Romanian and
// English. It holds the codes Romanian e-Factura invoices use in practice.
var unitNames = map[string][2]string{
	// Counts.
	"H87": {"bucată", "piece"},
	"C62": {"unitate", "unit"},
	"EA":  {"fiecare", "each"},
	"NMP": {"număr de pachete", "number of packs"},
	"NAR": {"număr de articole", "number of articles"},
	"NPR": {"număr de perechi", "number of pairs"},
	"PR":  {"pereche", "pair"},
	"SET": {"set", "set"},
	"KT":  {"trusă", "kit"},
	"DZN": {"duzină", "dozen"},
	"CEN": {"sută", "hundred"},
	"MIL": {"mie", "thousand"},
	"LS":  {"sumă forfetară", "lump sum"},
	"ZZ":  {"definit reciproc", "mutually defined"},
	"E48": {"unitate de serviciu", "service unit"},
	"IE":  {"persoană", "person"},
	"P1":  {"procent", "percent"},
	"A9":  {"tarif", "rate"},
	"ACT": {"activitate", "activity"},
	"TU":  {"tub", "tube"},
	// Packages (Rec 21).
	"XPP": {"pachet", "package"},
	"XPK": {"pachet", "package"},
	"XPA": {"pachet", "packet"},
	"XBX": {"cutie", "box"},
	"XCT": {"carton", "carton"},
	"XBG": {"sac", "bag"},
	"XBO": {"sticlă", "bottle"},
	"XCA": {"cutie metalică", "can"},
	"XPX": {"palet", "pallet"},
	"XRO": {"rolă", "roll"},
	"XTU": {"tub", "tube"},
	"XSA": {"sac", "sack"},
	"XDR": {"butoi", "drum"},
	"XBE": {"balot", "bundle"},
	"XST": {"foaie", "sheet"},
	"XTY": {"tavă", "tray"},
	"XJR": {"borcan", "jar"},
	"XCR": {"ladă", "crate"},
	"XBJ": {"găleată", "bucket"},
	"XCY": {"cilindru", "cylinder"},
	// Mass.
	"KGM": {"kilogram", "kilogram"},
	"GRM": {"gram", "gram"},
	"MGM": {"miligram", "milligram"},
	"TNE": {"tonă", "tonne"},
	"DTN": {"chintal", "decitonne"},
	// Length.
	"MTR": {"metru", "metre"},
	"CMT": {"centimetru", "centimetre"},
	"MMT": {"milimetru", "millimetre"},
	"KMT": {"kilometru", "kilometre"},
	"LM":  {"metru liniar", "linear metre"},
	// Area.
	"MTK": {"metru pătrat", "square metre"},
	"CMK": {"centimetru pătrat", "square centimetre"},
	"HAR": {"hectar", "hectare"},
	"ARE": {"ar", "are"},
	// Volume.
	"LTR": {"litru", "litre"},
	"MLT": {"mililitru", "millilitre"},
	"CLT": {"centilitru", "centilitre"},
	"DLT": {"decilitru", "decilitre"},
	"HLT": {"hectolitru", "hectolitre"},
	"MTQ": {"metru cub", "cubic metre"},
	"DMQ": {"decimetru cub", "cubic decimetre"},
	"CMQ": {"centimetru cub", "cubic centimetre"},
	// Time.
	"SEC": {"secundă", "second"},
	"MIN": {"minut", "minute"},
	"HUR": {"oră", "hour"},
	"DAY": {"zi", "day"},
	"WEE": {"săptămână", "week"},
	"MON": {"lună", "month"},
	"QAN": {"trimestru", "quarter"},
	"ANN": {"an", "year"},
	// Energy and power.
	"KWH": {"kWh", "kilowatt hour"},
	"MWH": {"MWh", "megawatt hour"},
	"GWH": {"GWh", "gigawatt hour"},
	"WHR": {"Wh", "watt hour"},
	"KWT": {"kilowatt", "kilowatt"},
	"MAW": {"megawatt", "megawatt"},
	"KVR": {"kVAr", "kilovar"},
	"K3":  {"kVArh", "kilovolt ampere reactive hour"},
	"GJ":  {"gigajoule", "gigajoule"},
	"MJ":  {"megajoule", "megajoule"},
	"A5":  {"metru cub standard", "standard cubic metre"},
	// Transport and data.
	"KMK": {"kilometru pătrat", "square kilometre"},
	"TKM": {"tonă-kilometru", "tonne kilometre"},
	"E49": {"zi lucrătoare", "working day"},
	"AD":  {"octet", "byte"},
	"E34": {"gigaoctet", "gigabyte"},
	"4L":  {"megaoctet", "megabyte"},
}

// UnitName returns the readable name of a UN/ECE Rec 20 unit code (BT-130)
// in lang ("ro", the default, or "en"), e.g. UnitName("H87", "ro") is
// "bucată" and UnitName("KGM", "en") is "kilogram". The code is matched
// case-insensitively; a code outside the table gives "".
func UnitName(code, lang string) string {
	names, ok := unitNames[strings.ToUpper(strings.TrimSpace(code))]
	if !ok {
		return ""
	}
	if lang == "en" {
		return names[1]
	}
	return names[0]
}

// UnitCodes returns how many unit codes UnitName knows.
func UnitCodes() int { return len(unitNames) }
