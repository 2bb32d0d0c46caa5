package anaf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// ANAF's public VAT-payer service, PlatitorTvaRest v9 (shared/anaf/VAT.md):
// POST a JSON array of at most 100 {cui, data}, no authentication; the
// answer is {found, notFound} (v8 added cod/message, still tolerated).
const (
	// VATPath is the v9 path on the public host (not /PlatitorTvaRest/api/v9/ws/tva).
	VATPath = "/api/PlatitorTvaRest/v9/tva"
	// VATMaxQueries is ANAF's limit of items per request.
	VATMaxQueries = 100
	// VATTimeout bounds one lookup (VAT.md §5: treat a timeout as "retry later").
	VATTimeout = 15 * time.Second
	epVAT      = "tva"
)

// VATLimiter paces the calls of the VAT-payer service (ANAF: at most one
// request per second per client). *rate.Limiter satisfies it.
type VATLimiter interface {
	Wait(ctx context.Context) error
}

// NewVATLimiter returns ANAF's pace: one request a second, no burst. Share
// one per process (a Client is cheap and often rebuilt; its limiter must
// not be).
func NewVATLimiter() *rate.Limiter { return rate.NewLimiter(rate.Every(time.Second), 1) }

// VATQuery asks about one CUI (digits, no "RO") at one date (YYYY-MM-DD,
// Romanian calendar date).
type VATQuery struct {
	CUI  string
	Date string
}

// VATAnswer is the service's answer to one request.
type VATAnswer struct {
	Found    []VATRecord
	NotFound []string // CUIs ANAF does not know (digits)
}

// Lookup returns the record of cui, if found.
func (a *VATAnswer) Lookup(cui string) (VATRecord, bool) {
	for _, r := range a.Found {
		if r.CUI == cui {
			return r, true
		}
	}
	return VATRecord{}, false
}

// VATRecord is one found taxpayer at one date. Dates are YYYY-MM-DD, ""
// when absent (ANAF's dd.MM.yyyy register date converted).
type VATRecord struct {
	CUI  string `json:"cui"`
	Date string `json:"date"` // the date the statuses are for

	Name               string `json:"name"`                 // denumire
	Address            string `json:"address"`              // adresa (fiscal domicile, one line)
	RegCom             string `json:"reg_com"`              // nrRegCom
	Phone              string `json:"phone,omitempty"`      // telefon
	PostalCode         string `json:"postal_code"`          // codPostal (may have lost a leading zero)
	RegistrationState  string `json:"registration_state"`   // stare_inregistrare
	RegistrationDate   string `json:"registration_date"`    // data_inregistrare
	CAEN               string `json:"caen"`                 // cod_CAEN
	IBAN               string `json:"iban,omitempty"`       // iban
	TaxOffice          string `json:"tax_office"`           // organFiscalCompetent
	LegalForm          string `json:"legal_form"`           // forma_juridica
	EFacturaKnown      bool   `json:"efactura_known"`       // the answer carried statusRO_e_Factura
	EFacturaRegister   bool   `json:"efactura_register"`    // statusRO_e_Factura
	EFacturaRegisterOn string `json:"efactura_register_on"` // data_inreg_Reg_RO_e_Factura

	VATRegistered bool        `json:"vat_registered"` // inregistrare_scop_Tva.scpTVA
	VATPeriods    []VATPeriod `json:"vat_periods,omitempty"`

	CashVAT CashVAT  `json:"cash_vat"` // inregistrare_RTVAI
	Status  Inactive `json:"inactive"` // stare_inactiv
	Split   SplitVAT `json:"split_vat"`

	RegisteredOffice VATAddress `json:"registered_office"` // adresa_sediu_social
	FiscalDomicile   VATAddress `json:"fiscal_domicile"`   // adresa_domiciliu_fiscal
}

// VATPeriod is one VAT registration period (perioade_TVA).
type VATPeriod struct {
	Start    string `json:"start"`              // data_inceput_ScpTVA
	End      string `json:"end,omitempty"`      // data_sfarsit_ScpTVA ("" while it runs)
	Operated string `json:"operated,omitempty"` // data_anul_imp_ScpTVA
	Message  string `json:"message,omitempty"`  // mesaj_ScpTVA
}

// CashVAT is VAT on collection (TVA la încasare, inregistrare_RTVAI).
type CashVAT struct {
	Applies   bool   `json:"applies"`   // statusTvaIncasare
	Start     string `json:"start"`     // dataInceputTvaInc
	End       string `json:"end"`       // dataSfarsitTvaInc
	Updated   string `json:"updated"`   // dataActualizareTvaInc
	Published string `json:"published"` // dataPublicareTvaInc
	ActType   string `json:"act_type"`  // tipActTvaInc
}

// Inactive is the register of inactive taxpayers (stare_inactiv).
type Inactive struct {
	Inactive    bool   `json:"inactive"`    // statusInactivi
	Since       string `json:"since"`       // dataInactivare
	Reactivated string `json:"reactivated"` // dataReactivare
	Published   string `json:"published"`   // dataPublicare
	StruckOff   string `json:"struck_off"`  // dataRadiere
}

// SplitVAT is the split VAT payment register (inregistrare_SplitTVA).
type SplitVAT struct {
	Applies   bool   `json:"applies"`   // statusSplitTVA
	Start     string `json:"start"`     // dataInceputSplitTVA
	Cancelled string `json:"cancelled"` // dataAnulareSplitTVA
}

// VATAddress is adresa_sediu_social (prefix s) or adresa_domiciliu_fiscal (prefix d).
type VATAddress struct {
	Street       string `json:"street"`
	Number       string `json:"number"`
	Locality     string `json:"locality"`
	LocalityCode string `json:"locality_code"`
	County       string `json:"county"`
	CountyCode   string `json:"county_code"`
	CountyAuto   string `json:"county_auto"` // plate code: IS, B, TM
	Country      string `json:"country"`
	Details      string `json:"details"`
	PostalCode   string `json:"postal_code"`
}

// PeriodAt returns the VAT registration period containing date, if any.
func (r *VATRecord) PeriodAt(date string) (VATPeriod, bool) {
	for _, p := range r.VATPeriods {
		if p.Start != "" && p.Start <= date && (p.End == "" || date < p.End) {
			return p, true
		}
	}
	return VATPeriod{}, false
}

// LookupVAT asks the VAT-payer service about up to 100 (CUI, date) pairs
// in one request, after waiting for Config.VATLimiter (one request a
// second). No authentication. CUIs are digits (a leading "RO" and spaces
// are dropped).
//
// HTTP 404 with a {found, notFound} body is an answer (none found), not an
// error. Errors (*Error, endpoint "tva"): ErrInvalidRequest for no query,
// more than 100, a CUI that is not digits or a date that is not
// YYYY-MM-DD (Local) and for HTTP 400; ErrTransient for the F5 firewall
// page, maintenance HTML, a 404 without the JSON body, 5xx, timeouts, an
// empty body or one with neither found nor notFound, and cod ≠ 200;
// ErrMalformed for JSON that does not parse.
func (c *Client) LookupVAT(ctx context.Context, queries []VATQuery) (*VATAnswer, error) {
	body, err := vatRequestBody(queries)
	if err != nil {
		return nil, err
	}
	var out *VATAnswer
	err = c.attempt(ctx, epVAT, true, nil, func(st *int) error {
		if c.cfg.VATLimiter != nil {
			if err := c.cfg.VATLimiter.Wait(ctx); err != nil {
				return &Error{Kind: KindCanceled, Endpoint: epVAT, Local: true, Err: err}
			}
		}
		vctx, cancel := context.WithTimeout(ctx, VATTimeout)
		defer cancel()
		resp, err := c.do(vctx, request{
			endpoint: epVAT, method: http.MethodPost, url: c.vatURL(), body: body,
			contentType: "application/json", accept: "application/json", status: st,
		})
		if err != nil {
			return err
		}
		out, err = c.decodeVAT(resp)
		return err
	})
	return out, err
}

func (c *Client) vatURL() string {
	if c.cfg.VATURL != "" {
		return c.cfg.VATURL
	}
	return c.cfg.PublicBaseURL + VATPath
}

func vatRequestBody(queries []VATQuery) ([]byte, error) {
	bad := func(format string, a ...any) error {
		return &Error{Kind: KindInvalidRequest, Endpoint: epVAT, Local: true, Err: fmt.Errorf(format, a...)}
	}
	if len(queries) == 0 {
		return nil, bad("no CUI to ask about")
	}
	if len(queries) > VATMaxQueries {
		return nil, bad("%d CUIs in one request, ANAF allows %d", len(queries), VATMaxQueries)
	}
	type item struct {
		CUI  int64  `json:"cui"`
		Data string `json:"data"`
	}
	items := make([]item, 0, len(queries))
	for _, q := range queries {
		digits := strings.ToUpper(strings.Join(strings.Fields(q.CUI), ""))
		digits = strings.TrimPrefix(digits, "RO")
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || n <= 0 || len(digits) > 10 {
			return nil, bad("CUI %q is not 1..10 digits", q.CUI)
		}
		if _, err := time.Parse(time.DateOnly, q.Date); err != nil {
			return nil, bad("date %q is not YYYY-MM-DD", q.Date)
		}
		items = append(items, item{CUI: n, Data: q.Date})
	}
	return json.Marshal(items)
}

func (c *Client) decodeVAT(resp *response) (*VATAnswer, error) {
	if e := c.precheck(epVAT, resp); e != nil {
		if e.Kind == KindQuota && e.Quota == QuotaNoContent {
			e.Kind, e.Quota, e.Err = KindTransient, "", errors.New("HTTP 204 without an answer")
		}
		return nil, e
	}
	a, err := ParseVATResponse(resp.body)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.HTTPStatus = resp.status
			if e.Kind == KindMalformed && resp.status != http.StatusOK {
				// Not our JSON on an error status: judged by the status.
				return nil, statusError(epVAT, resp, jsonMessage(resp.body), err)
			}
			return nil, e
		}
		return nil, err
	}
	if resp.status != http.StatusOK && resp.status != http.StatusNotFound {
		return nil, statusError(epVAT, resp, jsonMessage(resp.body), errors.New("found/notFound with an error status"))
	}
	return a, nil
}

// ---- wire format

type vatWire struct {
	Cod                   *int              `json:"cod"`
	Message               string            `json:"message"`
	Found                 []vatWireFound    `json:"found"`
	NotFound              []json.RawMessage `json:"notFound"`
	NotFound2             []json.RawMessage `json:"notfound"`
	hasFound, hasNotFound bool
}

type vatWireFound struct {
	General struct {
		CUI               json.RawMessage `json:"cui"`
		Data              string          `json:"data"`
		Denumire          string          `json:"denumire"`
		Adresa            string          `json:"adresa"`
		NrRegCom          string          `json:"nrRegCom"`
		Telefon           string          `json:"telefon"`
		CodPostal         string          `json:"codPostal"`
		StareInregistrare string          `json:"stare_inregistrare"`
		DataInregistrare  string          `json:"data_inregistrare"`
		CodCAEN           string          `json:"cod_CAEN"`
		IBAN              string          `json:"iban"`
		StatusROEFactura  *flexBool       `json:"statusRO_e_Factura"`
		DataInregROEF     string          `json:"data_inreg_Reg_RO_e_Factura"`
		OrganFiscal       string          `json:"organFiscalCompetent"`
		FormaJuridica     string          `json:"forma_juridica"`
	} `json:"date_generale"`
	ScopTVA struct {
		ScpTVA   flexBool        `json:"scpTVA"`
		Perioade json.RawMessage `json:"perioade_TVA"`
	} `json:"inregistrare_scop_Tva"`
	RTVAI struct {
		Inceput     string   `json:"dataInceputTvaInc"`
		Sfarsit     string   `json:"dataSfarsitTvaInc"`
		Actualizare string   `json:"dataActualizareTvaInc"`
		Publicare   string   `json:"dataPublicareTvaInc"`
		TipAct      string   `json:"tipActTvaInc"`
		Status      flexBool `json:"statusTvaIncasare"`
	} `json:"inregistrare_RTVAI"`
	Inactiv struct {
		Inactivare string   `json:"dataInactivare"`
		Reactivare string   `json:"dataReactivare"`
		Publicare  string   `json:"dataPublicare"`
		Radiere    string   `json:"dataRadiere"`
		Status     flexBool `json:"statusInactivi"`
	} `json:"stare_inactiv"`
	Split struct {
		Inceput string   `json:"dataInceputSplitTVA"`
		Anulare string   `json:"dataAnulareSplitTVA"`
		Status  flexBool `json:"statusSplitTVA"`
	} `json:"inregistrare_SplitTVA"`
	Sediu     map[string]string `json:"adresa_sediu_social"`
	Domiciliu map[string]string `json:"adresa_domiciliu_fiscal"`
}

type vatWirePeriod struct {
	Start    string `json:"data_inceput_ScpTVA"`
	End      string `json:"data_sfarsit_ScpTVA"`
	Operated string `json:"data_anul_imp_ScpTVA"`
	Message  string `json:"mesaj_ScpTVA"`
}

// flexBool reads true/false, "true"/"false", "DA"/"NU" and 1/0; null is false.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	s := strings.ToLower(strings.Trim(strings.TrimSpace(string(data)), `"`))
	switch s {
	case "true", "1", "da":
		*b = true
	case "false", "0", "nu", "", "null":
		*b = false
	default:
		return fmt.Errorf("not a boolean: %.40s", data)
	}
	return nil
}

// ParseVATResponse reads a PlatitorTvaRest body (v9, or v8 with
// cod/message): found entries keyed by their own cui, notFound as numbers,
// numeric strings or {"cui": N} objects (key notFound or notfound),
// perioade_TVA as an array or one object, dd.MM.yyyy dates converted.
// Errors are *Error: KindMalformed for a body that is not such JSON,
// KindTransient for one with neither found nor notFound (ANAF's "200
// without a result") or with cod ≠ 200.
func ParseVATResponse(body []byte) (*VATAnswer, error) {
	var w vatWire
	if err := decodeJSON(body, &w); err != nil {
		return nil, &Error{Kind: KindMalformed, Endpoint: epVAT, Err: fmt.Errorf("VAT answer: %w", err)}
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\xef\xbb\xbf")), &keys)
	_, w.hasFound = keys["found"]
	_, nf1 := keys["notFound"]
	_, nf2 := keys["notfound"]
	w.hasNotFound = nf1 || nf2
	if w.Cod != nil && *w.Cod != http.StatusOK {
		return nil, &Error{Kind: KindTransient, Endpoint: epVAT, Text: w.Message, Err: fmt.Errorf("cod %d", *w.Cod)}
	}
	if !w.hasFound && !w.hasNotFound {
		return nil, &Error{Kind: KindTransient, Endpoint: epVAT, Text: w.Message, Err: errors.New("an answer with neither found nor notFound")}
	}
	a := &VATAnswer{Found: []VATRecord{}, NotFound: []string{}}
	for _, f := range w.Found {
		r, err := f.record()
		if err != nil {
			return nil, &Error{Kind: KindMalformed, Endpoint: epVAT, Err: err}
		}
		a.Found = append(a.Found, r)
	}
	for _, raw := range append(w.NotFound, w.NotFound2...) {
		cui, err := cuiOf(raw)
		if err != nil {
			return nil, &Error{Kind: KindMalformed, Endpoint: epVAT, Err: fmt.Errorf("notFound: %w", err)}
		}
		a.NotFound = append(a.NotFound, cui)
	}
	return a, nil
}

// cuiOf reads a CUI written as a number, a numeric string, or an object with cui.
func cuiOf(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var o struct {
			CUI json.RawMessage `json:"cui"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return "", err
		}
		if o.CUI == nil || bytes.HasPrefix(bytes.TrimSpace(o.CUI), []byte("{")) {
			return "", errors.New("an object without a cui")
		}
		return cuiOf(o.CUI)
	}
	s := strings.Trim(string(raw), `"`)
	s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "RO")
	if s == "" || len(s) > 12 || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		return "", fmt.Errorf("CUI %.20q is not digits", raw)
	}
	if s = strings.TrimLeft(s, "0"); s == "" { // 0 is no taxpayer's CUI
		return "", fmt.Errorf("CUI %.20q is zero", raw)
	}
	return s, nil
}

// vatDate returns a YYYY-MM-DD date from YYYY-MM-DD or dd.MM.yyyy; ""
// for an empty or unreadable one.
func vatDate(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Format(time.DateOnly)
	}
	if t, err := time.Parse("02.01.2006", s); err == nil {
		return t.Format(time.DateOnly)
	}
	return ""
}

func (f *vatWireFound) record() (VATRecord, error) {
	g := f.General
	cui, err := cuiOf(g.CUI)
	if err != nil {
		return VATRecord{}, fmt.Errorf("found: date_generale.cui: %w", err)
	}
	r := VATRecord{
		CUI: cui, Date: vatDate(g.Data), Name: g.Denumire, Address: g.Adresa, RegCom: g.NrRegCom, Phone: g.Telefon,
		PostalCode: g.CodPostal, RegistrationState: g.StareInregistrare, RegistrationDate: vatDate(g.DataInregistrare),
		CAEN: g.CodCAEN, IBAN: g.IBAN, TaxOffice: g.OrganFiscal, LegalForm: g.FormaJuridica,
		EFacturaRegisterOn: vatDate(g.DataInregROEF),
		VATRegistered:      bool(f.ScopTVA.ScpTVA),
		CashVAT: CashVAT{Applies: bool(f.RTVAI.Status), Start: vatDate(f.RTVAI.Inceput), End: vatDate(f.RTVAI.Sfarsit),
			Updated: vatDate(f.RTVAI.Actualizare), Published: vatDate(f.RTVAI.Publicare), ActType: f.RTVAI.TipAct},
		Status: Inactive{Inactive: bool(f.Inactiv.Status), Since: vatDate(f.Inactiv.Inactivare), Reactivated: vatDate(f.Inactiv.Reactivare),
			Published: vatDate(f.Inactiv.Publicare), StruckOff: vatDate(f.Inactiv.Radiere)},
		Split:            SplitVAT{Applies: bool(f.Split.Status), Start: vatDate(f.Split.Inceput), Cancelled: vatDate(f.Split.Anulare)},
		RegisteredOffice: vatAddress(f.Sediu, "s"),
		FiscalDomicile:   vatAddress(f.Domiciliu, "d"),
	}
	if g.StatusROEFactura != nil {
		r.EFacturaKnown, r.EFacturaRegister = true, bool(*g.StatusROEFactura)
	}
	periods, err := vatPeriods(f.ScopTVA.Perioade)
	if err != nil {
		return VATRecord{}, fmt.Errorf("found %s: perioade_TVA: %w", cui, err)
	}
	r.VATPeriods = periods
	return r, nil
}

// vatPeriods reads perioade_TVA as an array or a single object (null/absent: none).
func vatPeriods(raw json.RawMessage) ([]VATPeriod, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []vatWirePeriod
	if raw[0] == '{' {
		var one vatWirePeriod
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, err
		}
		list = []vatWirePeriod{one}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	out := make([]VATPeriod, 0, len(list))
	for _, p := range list {
		if p == (vatWirePeriod{}) {
			continue
		}
		out = append(out, VATPeriod{Start: vatDate(p.Start), End: vatDate(p.End), Operated: vatDate(p.Operated), Message: p.Message})
	}
	return out, nil
}

func vatAddress(m map[string]string, p string) VATAddress {
	return VATAddress{
		Street: m[p+"denumire_Strada"], Number: m[p+"numar_Strada"], Locality: m[p+"denumire_Localitate"],
		LocalityCode: m[p+"cod_Localitate"], County: m[p+"denumire_Judet"], CountyCode: m[p+"cod_Judet"],
		CountyAuto: m[p+"cod_JudetAuto"], Country: m[p+"tara"], Details: m[p+"detalii_Adresa"], PostalCode: m[p+"cod_Postal"],
	}
}
