package codes

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// VATEX names a VAT exemption reason code of the CEF VATEX list (BT-121):
// the named codes (VATEX-EU-AE, -D, -F, -G, -I, -IC, -J, -O, the French
// ones) by their name, the article codes of Directive 2006/112/EC
// (VATEX-EU-79-C, VATEX-EU-132, VATEX-EU-132-1G, VATEX-EU-148-A,
// VATEX-EU-309 …) by the article they cite.
func VATEX(code, lang string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	if n, ok := vatexNamed[c]; ok {
		return pick(n, lang)
	}
	rest, ok := strings.CutPrefix(c, "VATEX-EU-")
	if !ok {
		return ""
	}
	art, point, _ := strings.Cut(rest, "-")
	if art == "" || strings.Trim(art, "0123456789") != "" {
		return ""
	}
	// point: "" | "C" (a point) | "1G" (a paragraph and a point).
	para := strings.TrimRight(point, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	letter := strings.ToLower(point[len(para):])
	if strings.Trim(para, "0123456789") != "" || len(letter) > 1 {
		return ""
	}
	if lang == "en" {
		s := "Exempt based on article " + art
		if para != "" {
			s += ", section " + para
		}
		if letter != "" {
			s += " (" + letter + ")"
		}
		return s + " of Council Directive 2006/112/EC"
	}
	s := "Scutit conform art. " + art
	if para != "" {
		s += " alin. (" + para + ")"
	}
	if letter != "" {
		s += " lit. " + letter + ")"
	}
	return s + " din Directiva 2006/112/CE"
}

var vatexNamed = map[string][2]string{
	"VATEX-EU-AE":        {"Taxare inversă", "Reverse charge"},
	"VATEX-EU-D":         {"Achiziție intracomunitară de mijloace de transport second-hand (regim special)", "Intra-Community acquisition from second hand means of transport"},
	"VATEX-EU-F":         {"Achiziție intracomunitară de bunuri second-hand (regim special)", "Intra-Community acquisition of second hand goods"},
	"VATEX-EU-G":         {"Export în afara UE", "Export outside the EU"},
	"VATEX-EU-I":         {"Achiziție intracomunitară de opere de artă (regim special)", "Intra-Community acquisition of works of art"},
	"VATEX-EU-IC":        {"Livrare intracomunitară", "Intra-Community supply"},
	"VATEX-EU-J":         {"Achiziție intracomunitară de obiecte de colecție și antichități (regim special)", "Intra-Community acquisition of collectors items and antiques"},
	"VATEX-EU-O":         {"În afara sferei TVA", "Not subject to VAT"},
	"VATEX-FR-FRANCHISE": {"Franciză în bază (Franța)", "France domestic VAT franchise in base"},
	"VATEX-FR-CNWVAT":    {"Notă de credit fără TVA (Franța)", "France domestic Credit Notes without VAT, due to supplier forfeit of VAT for discount"},
}

// Country names an ISO 3166-1 alpha-2 country code (BT-40, BT-80,
// BT-159) from CLDR's names (golang.org/x/text/language/display):
// "RO" is "România" (ro) or "Romania" (en). Codes that are not a country
// (ZZ, regions, typos) give "".
func Country(code, lang string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	if len(c) != 2 {
		return ""
	}
	r, err := language.ParseRegion(c)
	if err != nil || !r.IsCountry() {
		return ""
	}
	tag := language.Romanian
	if lang == "en" {
		tag = language.English
	}
	return display.Regions(tag).Name(r)
}
