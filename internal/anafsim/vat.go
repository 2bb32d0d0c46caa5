package anafsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The VAT-payer service, POST /api/PlatitorTvaRest/v9/tva (shared/anaf/
// VAT.md): no authentication, a JSON array of at most 100 {cui, data}; the
// answer {found, notFound} without cod/message (v9), HTTP 404 with the
// same body when no CUI is found, HTTP 400 for a body that is not such an
// array or has more than 100 items. Faults: InjectFault with endpoint
// "tva" (waf_html, http503_html, empty_body, http500, slow).
//
// The taxpayers are the generator's sample companies (invoicegen), with
// made-up register histories chosen so that every flag of the gateway's
// supplier checks shows in the demo (VATCompanies).

const vatMaxItems = 100

// VATCompany is one taxpayer the simulated service knows. Dates are
// YYYY-MM-DD; "" means never.
type VATCompany struct {
	CUI, Name, Address, RegCom, County, CountyAuto, Locality, Street, Number, PostalCode string

	VATFrom, VATUntil  string // VAT registration period (VATFrom "": never registered)
	CashVATFrom        string // VAT on collection from
	InactiveFrom       string // inactive taxpayer from (published a week later)
	SplitVATFrom       string // split VAT from
	EFacturaRegisterOn string // entered Registrul RO e-Factura ("": not in it)
}

// VATCompanies are the simulated register: the invoicegen companies, each
// with one particularity.
var VATCompanies = []VATCompany{
	{CUI: "12345674", Name: "ALFA SOFT SRL", Address: "MUNICIPIUL BUCUREŞTI, SECTOR 2, STR. ŞTEFAN CEL MARE, NR.10",
		RegCom: "J40/1234/2015", County: "MUNICIPIUL BUCUREŞTI", CountyAuto: "B", Locality: "Sector 2 Mun. Bucureşti",
		Street: "Str. Ştefan cel Mare", Number: "10", PostalCode: "20121", VATFrom: "2015-03-01", EFacturaRegisterOn: "2024-01-01"},
	{CUI: "98765438", Name: "BETA TRADING SRL", Address: "JUD. CLUJ, MUN. CLUJ-NAPOCA, BD. 21 DECEMBRIE 1989, NR.77",
		RegCom: "J12/567/2012", County: "CLUJ", CountyAuto: "CJ", Locality: "Mun. Cluj-Napoca",
		Street: "Bd. 21 Decembrie 1989", Number: "77", PostalCode: "400124", VATFrom: "2012-05-01", CashVATFrom: "2025-01-01", EFacturaRegisterOn: "2024-01-01"},
	{CUI: "31415920", Name: "GAMMA CONSTRUCŢII SA", Address: "JUD. IAŞI, MUN. IAŞI, STR. PĂCURARI, NR.5",
		RegCom: "J22/3141/2009", County: "IAŞI", CountyAuto: "IS", Locality: "Mun. Iaşi",
		Street: "Str. Păcurari", Number: "5", PostalCode: "700511", VATFrom: "2009-09-01", VATUntil: "2025-12-15", InactiveFrom: "2025-12-15", EFacturaRegisterOn: "2024-01-01"},
	{CUI: "18547290", Name: "DELTA LOGISTICĂ SRL", Address: "JUD. TIMIŞ, MUN. TIMIŞOARA, CAL. ŞAGULUI, NR.120",
		RegCom: "J35/1854/2018", County: "TIMIŞ", CountyAuto: "TM", Locality: "Mun. Timişoara",
		Street: "Cal. Şagului", Number: "120", PostalCode: "300516", VATFrom: "2018-02-01", SplitVATFrom: "2025-06-01", EFacturaRegisterOn: "2024-01-01"},
	{CUI: "27182818", Name: "EPSILON ÎNVĂŢARE SRL", Address: "JUD. BRAŞOV, MUN. BRAŞOV, STR. MUREŞENILOR, NR.3",
		RegCom: "J08/2718/2020", County: "BRAŞOV", CountyAuto: "BV", Locality: "Mun. Braşov",
		Street: "Str. Mureşenilor", Number: "3", PostalCode: "500030", VATFrom: "2020-04-01"},
	{CUI: "44556670", Name: "ZETA ATELIER ÂNGER SRL", Address: "JUD. CONSTANŢA, MUN. CONSTANŢA, STR. ŞTEFAN CEL MARE, NR.44",
		RegCom: "J13/4455/2021", County: "CONSTANŢA", CountyAuto: "CT", Locality: "Mun. Constanţa",
		Street: "Str. Ştefan cel Mare", Number: "44", PostalCode: "900178", EFacturaRegisterOn: "2024-01-01"},
}

func vatCompany(cui string) (VATCompany, bool) {
	for _, c := range VATCompanies {
		if c.CUI == cui {
			return c, true
		}
	}
	return VATCompany{}, false
}

func onOrAfter(date, from string) bool { return from != "" && date >= from }

func before(date, until string) bool { return until == "" || date < until }

// ---- wire (field order as ANAF writes it)

type vatGeneral struct {
	CUI       int64  `json:"cui"`
	Data      string `json:"data"`
	Denumire  string `json:"denumire"`
	Adresa    string `json:"adresa"`
	NrRegCom  string `json:"nrRegCom"`
	Telefon   string `json:"telefon"`
	Fax       string `json:"fax"`
	CodPostal string `json:"codPostal"`
	Act       string `json:"act"`
	Stare     string `json:"stare_inregistrare"`
	DataInreg string `json:"data_inregistrare"`
	CAEN      string `json:"cod_CAEN"`
	IBAN      string `json:"iban"`
	StatusEF  bool   `json:"statusRO_e_Factura"`
	DataEF    string `json:"data_inreg_Reg_RO_e_Factura"`
	Organ     string `json:"organFiscalCompetent"`
	Proprie   string `json:"forma_de_proprietate"`
	Organiz   string `json:"forma_organizare"`
	Juridica  string `json:"forma_juridica"`
}

type vatPeriod struct {
	Inceput string `json:"data_inceput_ScpTVA"`
	Sfarsit string `json:"data_sfarsit_ScpTVA"`
	AnulImp string `json:"data_anul_imp_ScpTVA"`
	Mesaj   string `json:"mesaj_ScpTVA"`
}

type vatFound struct {
	General vatGeneral `json:"date_generale"`
	Scop    struct {
		ScpTVA   bool        `json:"scpTVA"`
		Perioade []vatPeriod `json:"perioade_TVA"`
	} `json:"inregistrare_scop_Tva"`
	RTVAI struct {
		Inceput     string `json:"dataInceputTvaInc"`
		Sfarsit     string `json:"dataSfarsitTvaInc"`
		Actualizare string `json:"dataActualizareTvaInc"`
		Publicare   string `json:"dataPublicareTvaInc"`
		TipAct      string `json:"tipActTvaInc"`
		Status      bool   `json:"statusTvaIncasare"`
	} `json:"inregistrare_RTVAI"`
	Inactiv struct {
		Inactivare string `json:"dataInactivare"`
		Reactivare string `json:"dataReactivare"`
		Publicare  string `json:"dataPublicare"`
		Radiere    string `json:"dataRadiere"`
		Status     bool   `json:"statusInactivi"`
	} `json:"stare_inactiv"`
	Split struct {
		Inceput string `json:"dataInceputSplitTVA"`
		Anulare string `json:"dataAnulareSplitTVA"`
		Status  bool   `json:"statusSplitTVA"`
	} `json:"inregistrare_SplitTVA"`
	Sediu     map[string]string `json:"adresa_sediu_social"`
	Domiciliu map[string]string `json:"adresa_domiciliu_fiscal"`
}

func addDays(date string, n int) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

func ddmmyyyy(date string) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return ""
	}
	return t.Format("02.01.2006")
}

// at is c's register entry at date (YYYY-MM-DD).
func (c VATCompany) at(date string) vatFound {
	n, _ := strconv.ParseInt(c.CUI, 10, 64)
	var f vatFound
	f.General = vatGeneral{CUI: n, Data: date, Denumire: c.Name, Adresa: c.Address, NrRegCom: c.RegCom,
		CodPostal: c.PostalCode, Stare: "INREGISTRAT din data 01.01.2009", DataInreg: "2009-01-01", CAEN: "6201",
		Organ: "Administraţia Judeţeană a Finanţelor Publice", Proprie: "PROPR.PRIVATA-CAPITAL PRIVAT AUTOHTON",
		Organiz: "PERSOANA JURIDICA", Juridica: "SOCIETATE COMERCIALĂ CU RĂSPUNDERE LIMITATĂ"}
	if onOrAfter(date, c.EFacturaRegisterOn) {
		f.General.StatusEF, f.General.DataEF = true, ddmmyyyy(c.EFacturaRegisterOn)
	}
	f.Scop.Perioade = []vatPeriod{}
	if c.VATFrom != "" && c.VATFrom <= date {
		p := vatPeriod{Inceput: c.VATFrom}
		if c.VATUntil != "" && c.VATUntil <= date {
			p.Sfarsit, p.AnulImp = c.VATUntil, addDays(c.VATUntil, 14)
			p.Mesaj = "Anulare din oficiu a inregistrarii in scopuri de TVA (simulator)"
		}
		f.Scop.Perioade = append(f.Scop.Perioade, p)
		f.Scop.ScpTVA = before(date, c.VATUntil)
	}
	if onOrAfter(date, c.CashVATFrom) {
		f.RTVAI.Status, f.RTVAI.Inceput, f.RTVAI.Actualizare, f.RTVAI.Publicare = true, c.CashVATFrom, c.CashVATFrom, c.CashVATFrom
	}
	if onOrAfter(date, c.InactiveFrom) {
		f.Inactiv.Status, f.Inactiv.Inactivare, f.Inactiv.Publicare = true, c.InactiveFrom, addDays(c.InactiveFrom, 7)
	}
	if onOrAfter(date, c.SplitVATFrom) {
		f.Split.Status, f.Split.Inceput = true, c.SplitVATFrom
	}
	addr := func(p string) map[string]string {
		return map[string]string{
			p + "denumire_Strada": c.Street, p + "numar_Strada": c.Number, p + "denumire_Localitate": c.Locality,
			p + "cod_Localitate": "1", p + "denumire_Judet": c.County, p + "cod_Judet": "1", p + "cod_JudetAuto": c.CountyAuto,
			p + "tara": "", p + "detalii_Adresa": "", p + "cod_Postal": c.PostalCode,
		}
	}
	f.Sediu, f.Domiciliu = addr("s"), addr("d")
	return f
}

// handleVAT answers POST /api/PlatitorTvaRest/v9/tva.
func (s *Server) handleVAT(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		s.springError(w, http.StatusBadRequest, "Cerere invalida")
		return
	}
	var items []struct {
		CUI  json.RawMessage `json:"cui"`
		Data string          `json:"data"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(body), &items); err != nil {
		s.springError(w, http.StatusBadRequest, "Corpul cererii trebuie sa fie o lista de obiecte {cui, data}")
		return
	}
	if len(items) > vatMaxItems {
		s.springError(w, http.StatusBadRequest, "Numarul maxim de CUI-uri intr-o cerere este 100")
		return
	}
	today := s.now().In(bucharest).Format(time.DateOnly)
	type answer struct {
		Found    []vatFound `json:"found"`
		NotFound []int64    `json:"notFound"`
	}
	out := answer{Found: []vatFound{}, NotFound: []int64{}}
	for _, it := range items {
		cui := strings.Trim(string(it.CUI), `"`)
		n, err := strconv.ParseInt(cui, 10, 64)
		if err != nil || n <= 0 {
			s.springError(w, http.StatusBadRequest, "CUI invalid: "+cui)
			return
		}
		date := it.Data
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			s.springError(w, http.StatusBadRequest, "Data invalida: "+date)
			return
		}
		if date > today {
			date = today // a future date is answered as of today
		}
		c, ok := vatCompany(strconv.FormatInt(n, 10))
		if !ok {
			out.NotFound = append(out.NotFound, n)
			continue
		}
		out.Found = append(out.Found, c.at(date))
	}
	status := http.StatusOK
	if len(out.Found) == 0 {
		status = http.StatusNotFound
	}
	markOK(r)
	writeJSON(w, status, out)
}
