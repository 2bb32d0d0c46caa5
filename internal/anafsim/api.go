package anafsim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/tz"
)

var bucharest = tz.Bucharest()

const (
	titluLista     = "Lista Mesaje"
	titluDescarc   = "Descarcare mesaj"
	nsUpload       = "mfp:anaf:dgti:spv:respUploadFisier:v1"
	nsStare        = "mfp:anaf:dgti:efactura:stareMesajFactura:v1"
	maxUploadBytes = 10 << 20
	textLayout     = "02-01-2006 15:04:05" // dates inside ANAF texts
	creareLayout   = "200601021504"        // data_creare, dateResponse
)

// Handler serves every simulator route (see the package comment).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /anaf-oauth2/v1/authorize", s.endpoint("authorize", accessOAuth, s.handleAuthorize))
	mux.HandleFunc("POST /anaf-oauth2/v1/authorize", s.endpoint("authorize", accessOAuth, s.handleAuthorize))
	mux.HandleFunc("POST /anaf-oauth2/v1/token", s.endpoint("token", accessOAuth, s.handleToken))
	mux.HandleFunc("POST /anaf-oauth2/v1/revoke", s.endpoint("revoke", accessOAuth, s.handleRevoke))
	for _, env := range []string{"test", "prod"} {
		base := "/" + env + "/FCTEL/rest/"
		mux.HandleFunc("GET "+base+"listaMesajeFactura", s.endpoint("listaMesajeFactura", accessREST, s.handleLista))
		mux.HandleFunc("GET "+base+"listaMesajePaginatieFactura", s.endpoint("listaMesajePaginatieFactura", accessREST, s.handlePaginatie))
		mux.HandleFunc("GET "+base+"descarcare", s.endpoint("descarcare", accessREST, s.handleDescarcare))
		mux.HandleFunc("GET "+base+"stareMesaj", s.endpoint("stareMesaj", accessREST, s.handleStare))
		mux.HandleFunc("POST "+base+"upload", s.endpoint("upload", accessREST, s.handleUpload(false)))
		mux.HandleFunc("POST "+base+"uploadb2c", s.endpoint("uploadb2c", accessREST, s.handleUpload(true)))
		mux.HandleFunc("POST "+base+"validare/{std}", s.endpoint("validare", accessPublic, s.handleValidare))
		mux.HandleFunc("POST "+base+"validare/{$}", s.endpoint("validare", accessPublic, s.notFound("/FCTEL/rest/validare/")))
		mux.HandleFunc("POST "+base+"transformare/{std}", s.endpoint("transformare", accessPublic, s.handleTransformare))
		mux.HandleFunc("POST "+base+"transformare/{std}/{novld}", s.endpoint("transformare", accessPublic, s.handleTransformare))
		mux.HandleFunc("POST "+base+"transformare/{$}", s.endpoint("transformare", accessPublic, s.notFound("/FCTEL/rest/transformare/")))
	}
	mux.HandleFunc("POST /api/validate/signature", s.endpoint("signature", accessPublic, s.handleSignature))
	mux.HandleFunc("POST /api/PlatitorTvaRest/v9/tva", s.endpoint("tva", accessPublic, s.handleVAT)) // vat.go
	mux.HandleFunc("GET /TestOauth/jaxrs/hello", s.endpoint("hello", accessHello, s.handleHello))
	mux.HandleFunc("POST /__sim/faults", s.handlePostFaults)
	mux.HandleFunc("DELETE /__sim/faults", s.handleDeleteFaults)
	mux.HandleFunc("GET /__sim/stats", s.handleStats)
	mux.HandleFunc("POST /__sim/script", s.handleScript)
	mux.HandleFunc("POST /__sim/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.notFound(r.URL.Path)(w, r) })
	return mux
}

// notFound writes family D's 404 variant (samples/http404_validare_no_standard.json).
func (s *Server) notFound(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, struct {
			Timestamp string `json:"timestamp"`
			Status    int    `json:"status"`
			Error     string `json:"error"`
			Path      string `json:"path"`
		}{s.now().UTC().Format("2006-01-02T15:04:05.000+00:00"), 404, "Not Found", path})
	}
}

// ---- response helpers ----

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// eroare writes a family-B business error (HTTP 200).
func eroare(w http.ResponseWriter, titlu, format string, args ...any) {
	writeJSON(w, http.StatusOK, struct {
		Eroare string `json:"eroare"`
		Titlu  string `json:"titlu"`
	}{fmt.Sprintf(format, args...), titlu})
}

// springError writes a family-D error (HTTP 400/500).
func (s *Server) springError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Timestamp string `json:"timestamp"`
		Status    int    `json:"status"`
		Error     string `json:"error"`
		Message   string `json:"message"`
	}{s.now().In(bucharest).Format(textLayout), status, http.StatusText(status), msg})
}

func xmlAttr(v string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(v))
	return strings.NewReplacer("&#34;", "&quot;", "&#39;", "'").Replace(b.String())
}

// headerXML writes a family-A answer: attrs as ordered name/value pairs, then
// one <Errors errorMessage> child per error.
func headerXML(w http.ResponseWriter, ns string, attrs []string, errs ...string) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<header xmlns="` + ns + `"`)
	for i := 0; i+1 < len(attrs); i += 2 {
		b.WriteString(" " + attrs[i] + `="` + xmlAttr(attrs[i+1]) + `"`)
	}
	if len(errs) == 0 {
		b.WriteString("/>\n")
	} else {
		b.WriteString(">\n")
		for _, e := range errs {
			b.WriteString(`    <Errors errorMessage="` + xmlAttr(e) + `"/>` + "\n")
		}
		b.WriteString("</header>\n")
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, b.String())
}

func isDigits(v string) bool {
	if v == "" {
		return false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// quotaLocked counts one use of kind/key today (Bucharest) and reports
// whether the count before it had already reached limit.
func (s *Server) quotaLocked(kind, key string, limit int) bool {
	if s.opts.NoQuotas {
		return false
	}
	k := kind + "|" + key + "|" + s.now().In(bucharest).Format("2006-01-02")
	if s.daily[k] >= limit {
		return true
	}
	s.daily[k]++
	return false
}

// ---- lists ----

// messageJSON is one list element, field order as ANAF sends it; all strings.
type messageJSON struct {
	DataCreare   string `json:"data_creare"`
	CIF          string `json:"cif"`
	IDSolicitare string `json:"id_solicitare"`
	Detalii      string `json:"detalii"`
	Tip          string `json:"tip"`
	ID           string `json:"id"`
}

var filtruTip = map[string]func(string) bool{
	"E": func(t string) bool { return t == TipErori },
	"T": func(t string) bool { return t == TipTrimisa },
	"P": func(t string) bool { return t == TipPrimita },
	"R": func(t string) bool { return strings.HasPrefix(t, "MESAJ CUMPARATOR") },
}

// selectLocked returns cif's messages created in [from, to], filtered,
// newest first (ties by id).
func (s *Server) selectLocked(cif string, from, to time.Time, filtru string) []messageJSON {
	var ms []*message
	for _, m := range s.st.Messages {
		if m.listOwner() != cif || m.Created.Before(from) || m.Created.After(to) || !s.listableLocked(m) {
			continue
		}
		if filtru != "" && !filtruTip[filtru](m.Tip) {
			continue
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool {
		if !ms[i].Created.Equal(ms[j].Created) {
			return ms[i].Created.After(ms[j].Created)
		}
		if ms[i].ID != ms[j].ID {
			return ms[i].ID < ms[j].ID
		}
		return ms[i].Tip < ms[j].Tip
	})
	out := make([]messageJSON, len(ms))
	for i, m := range ms {
		out[i] = messageJSON{m.Created.In(bucharest).Format(creareLayout), m.CIF, m.UploadIndex, m.Detalii, m.Tip, m.ID}
	}
	return out
}

// rightsErrorLocked writes the §3.4 rights errors for the call's token; true when it did.
func (s *Server) rightsErrorLocked(w http.ResponseWriter, r *http.Request, titlu, cif string) bool {
	tok := tokenOf(r)
	if !s.anyMayLocked(tok) {
		eroare(w, titlu, "Nu exista niciun CIF pentru care sa aveti drept in SPV")
		return true
	}
	if !s.mayLocked(tok, cif) {
		eroare(w, titlu, "Nu aveti drept in SPV pentru CIF=%s", cif)
		return true
	}
	return false
}

// handleLista serves GET listaMesajeFactura?zile=&cif=[&filtru=] (API.md §3.4).
func (s *Server) handleLista(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	zileS, cif, filtru := q.Get("zile"), q.Get("cif"), q.Get("filtru")
	if zileS == "" || cif == "" {
		s.springError(w, http.StatusBadRequest, "Parametrii zile si cif sunt obligatorii")
		return
	}
	zile, err := strconv.Atoi(zileS)
	if err != nil {
		eroare(w, titluLista, "Numarul de zile introdus= %s nu este un numar intreg", zileS)
		return
	}
	if zile < 1 || zile > 60 {
		eroare(w, titluLista, "Numarul de zile trebuie sa fie intre 1 si 60")
		return
	}
	if !isDigits(cif) {
		eroare(w, titluLista, "CIF introdus= %s nu este un numar", cif)
		return
	}
	if filtru != "" && filtruTip[filtru] == nil {
		eroare(w, titluLista, "Valorile acceptate pentru parametrul filtru sunt E, T, P sau R")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rightsErrorLocked(w, r, titluLista, cif) {
		return
	}
	if s.quotaLocked("lista", cif, s.opts.ListPerDay) {
		eroare(w, titluLista, "S-au facut deja %d interogari de lista mesaje de catre utilizator in cursul zilei", s.opts.ListPerDay)
		return
	}
	now := s.now()
	ms := s.selectLocked(cif, now.Add(-time.Duration(zile)*24*time.Hour), now, filtru)
	switch {
	case len(ms) == 0:
		eroare(w, titluLista, "Nu exista mesaje in ultimele %d zile", zile)
	case len(ms) > s.opts.ListLimit:
		eroare(w, titluLista, "Lista de mesaje este mai mare decat numarul de %d elemente permise in pagina. Folositi endpoint-ul cu paginatie.", s.opts.ListLimit)
	default:
		markOK(r)
		writeJSON(w, http.StatusOK, struct {
			Mesaje []messageJSON `json:"mesaje"`
			Serial string        `json:"serial"`
			CUI    string        `json:"cui"`
			Titlu  string        `json:"titlu"`
		}{ms, s.opts.Serial, cif, fmt.Sprintf("Lista Mesaje disponibile din ultimele %d zile", zile)})
	}
}

// handlePaginatie serves GET listaMesajePaginatieFactura (API.md §3.5).
func (s *Server) handlePaginatie(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	startS, endS, cif, paginaS, filtru := q.Get("startTime"), q.Get("endTime"), q.Get("cif"), q.Get("pagina"), q.Get("filtru")
	if startS == "" || endS == "" || cif == "" || paginaS == "" {
		s.springError(w, http.StatusBadRequest, "Parametrii startTime, endTime, cif si pagina sunt obligatorii")
		return
	}
	const bad = "%s = %s nu este un numar sau nu are o valoare acceptata de sistem"
	startMS, err := strconv.ParseInt(startS, 10, 64)
	if err != nil || startMS < 0 {
		eroare(w, titluLista, bad, "startTime", startS)
		return
	}
	endMS, err := strconv.ParseInt(endS, 10, 64)
	if err != nil || endMS < 0 {
		eroare(w, titluLista, bad, "endTime", endS)
		return
	}
	if !isDigits(cif) {
		eroare(w, titluLista, "CIF introdus= %s nu este un numar sau nu are o valoare acceptata de sistem", cif)
		return
	}
	pagina, err := strconv.Atoi(paginaS)
	if err != nil || pagina < 1 {
		eroare(w, titluLista, bad, "pagina", paginaS)
		return
	}
	if filtru != "" && filtruTip[filtru] == nil {
		eroare(w, titluLista, "Valorile acceptate pentru parametrul filtru sunt E, T, P sau R")
		return
	}
	start, end := time.UnixMilli(startMS), time.UnixMilli(endMS)
	now := s.now()
	fmtT := func(t time.Time) string { return t.In(bucharest).Format(textLayout) }
	switch {
	case start.Before(now.Add(-retention)):
		eroare(w, titluLista, "startTime = %s nu poate fi mai vechi de 60 de zile fata de momentul requestului", fmtT(start))
		return
	case end.After(now):
		eroare(w, titluLista, "endTime = %s nu poate in viitor fata de momentul requestului", fmtT(end))
		return
	case !end.After(start):
		eroare(w, titluLista, "endTime = %s nu poate fi <= startTime = %s", fmtT(end), fmtT(start))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rightsErrorLocked(w, r, titluLista, cif) {
		return
	}
	if s.quotaLocked("paginatie", cif, s.opts.PaginatedPerDay) {
		eroare(w, titluLista, "S-au facut deja %d interogari de lista mesaje de catre utilizator in cursul zilei", s.opts.PaginatedPerDay)
		return
	}
	ms := s.selectLocked(cif, start, end, filtru)
	size := s.opts.PageSize
	pages := int(math.Ceil(float64(len(ms)) / float64(size)))
	switch {
	case len(ms) == 0:
		eroare(w, titluLista, "Nu exista mesaje in intervalul selectat")
		return
	case pagina > pages:
		eroare(w, titluLista, "Pagina solicitata %d este mai mare decat numarul toatal de pagini %d", pagina, pages)
		return
	}
	page := ms[(pagina-1)*size : min(pagina*size, len(ms))]
	markOK(r)
	writeJSON(w, http.StatusOK, struct {
		Mesaje        []messageJSON `json:"mesaje"`
		InPagina      int           `json:"numar_inregistrari_in_pagina"`
		PerPagina     int           `json:"numar_total_inregistrari_per_pagina"`
		Total         int           `json:"numar_total_inregistrari"`
		TotalPagini   int           `json:"numar_total_pagini"`
		PaginaCurenta int           `json:"index_pagina_curenta"`
		Serial        string        `json:"serial"`
		CUI           string        `json:"cui"`
		Titlu         string        `json:"titlu"`
	}{page, len(page), size, len(ms), pages, pagina, s.opts.Serial, cif,
		fmt.Sprintf("Lista Mesaje disponibile din intervalul %s - %s", fmtT(start), fmtT(end))})
}

// ---- download ----

// handleDescarcare serves GET descarcare?id= (API.md §3.6).
func (s *Server) handleDescarcare(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if id == "" {
		s.springError(w, http.StatusBadRequest, "Parametrul id este obligatoriu")
		return
	}
	if !isDigits(id) {
		eroare(w, titluDescarc, "Id descarcare introdus= %s nu este un numar intreg", id)
		return
	}
	s.mu.Lock()
	locked := true
	defer func() {
		if locked {
			s.mu.Unlock()
		}
	}()
	a := s.st.Archives[id]
	if a == nil {
		eroare(w, titluDescarc, "Pentru id=%s nu exista inregistrata nici o factura", id)
		return
	}
	allowed := false
	for _, c := range a.CIFs {
		allowed = allowed || s.mayLocked(tokenOf(r), c)
	}
	if !allowed {
		eroare(w, titluDescarc, "Nu aveti dreptul sa descarcati acesta factura")
		return
	}
	if a.Expired || a.Created.Before(s.now().Add(-retention)) {
		eroare(w, titluDescarc, "%s", expiredText)
		return
	}
	if s.quotaLocked("descarcare", id, s.opts.DownloadsPerDay) {
		eroare(w, titluDescarc, "S-au facut deja %d descarcari de mesaj in cursul zilei", s.opts.DownloadsPerDay)
		return
	}
	// The ZIP (a signature and deflate) is built outside the lock, from a
	// copy of the archive: parallel downloads do not wait for each other.
	arc, doc := *a, s.docs[a.DocHash]
	s.mu.Unlock()
	locked = false
	z, err := s.buildZIP(&arc, doc)
	if err == nil && arc.OtherLayout {
		z, err = s.otherLayoutZIP(&arc, doc)
	}
	if err != nil {
		s.springError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.mu.Lock()
	s.downloads[id]++ // total, reported by /__sim/stats
	s.mu.Unlock()
	markOK(r)
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.zip"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(z)))
	_, _ = w.Write(z)
}

// ---- status ----

// handleStare serves GET stareMesaj?id_incarcare= (API.md §3.3).
func (s *Server) handleStare(w http.ResponseWriter, r *http.Request) {
	idx := r.URL.Query().Get("id_incarcare")
	if idx == "" {
		s.springError(w, http.StatusBadRequest, "Parametrul id_incarcare este obligatoriu")
		return
	}
	if !isDigits(idx) {
		headerXML(w, nsStare, nil, fmt.Sprintf("Id_incarcare introdus= %s nu este un numar intreg", idx))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := tokenOf(r)
	if !s.anyMayLocked(tok) {
		headerXML(w, nsStare, nil, "Nu exista niciun CIF petru care sa aveti drept")
		return
	}
	u := s.st.Uploads[idx]
	if u == nil {
		headerXML(w, nsStare, nil, "Nu exista factura cu id_incarcare= "+idx)
		return
	}
	if !s.mayLocked(tok, u.CIF) && !s.mayLocked(tok, u.Seller) {
		headerXML(w, nsStare, nil, "Nu aveti dreptul de inteorgare pentru id_incarcare= "+idx)
		return
	}
	if s.quotaLocked("stare", idx, s.opts.StatusPerDay) {
		headerXML(w, nsStare, nil, fmt.Sprintf("S-au facut deja %d descarcari de mesaj in cursul zilei", s.opts.StatusPerDay))
		return
	}
	markOK(r)
	if !u.Done {
		headerXML(w, nsStare, []string{"stare", "in prelucrare"})
		return
	}
	headerXML(w, nsStare, []string{"stare", u.Outcome, "id_descarcare", u.DownloadID})
}

// ---- upload ----

// uploadParams are the query parameters of an upload (API.md §3.1).
type uploadParams struct {
	standard, cif            string
	b2c, extern, autofactura bool
	executare                bool
}

// handleUpload serves POST upload / uploadb2c?standard=&cif=[&extern=DA]
// [&autofactura=DA][&executare=DA] (API.md §3.1, §3.2). Synchronous
// refusals are family A with ExecutionStatus="1"; the outcome of an accepted
// document (ok / nok) comes after Options.ProcessingDelay (uploadLocked).
func (s *Server) handleUpload(b2c bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p := uploadParams{standard: q.Get("standard"), cif: q.Get("cif"), b2c: b2c}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxUploadBytes+1))
		if err != nil {
			s.springError(w, http.StatusBadRequest, "Trebuie sa aveti atasat in request un fisier de tip xml")
			return
		}
		if p.standard == "" || p.cif == "" {
			s.springError(w, http.StatusBadRequest, "Parametrii standard si cif sunt obligatorii")
			return
		}
		if len(body) == 0 {
			s.springError(w, http.StatusBadRequest, "Trebuie sa aveti atasat in request un fisier de tip xml")
			return
		}
		now := s.now()
		date := now.In(bucharest).Format(creareLayout)
		refuse := func(msg string) { headerXML(w, nsUpload, []string{"dateResponse", date, "ExecutionStatus", "1"}, msg) }
		var wantRoot string
		switch p.standard {
		case "UBL":
			wantRoot = "Invoice"
		case "CN":
			wantRoot = "CreditNote"
		case "RASP":
			wantRoot = "header"
		case "CII":
			refuse("A aparut o eroare tehnica. Cod: 9999 (simulatorul accepta doar UBL, CN si RASP)")
			return
		default:
			refuse("Valorile acceptate pentru parametrul standard sunt UBL, CN, CII sau RASP")
			return
		}
		for _, name := range []string{"extern", "autofactura", "executare"} {
			v, ok := q[name]
			if !ok {
				continue
			}
			if len(v) != 1 || v[0] != "DA" {
				text := name
				if name == "autofactura" {
					text = "autofacturare" // sic, ANAF's wording
				}
				refuse(fmt.Sprintf("Daca parametrul %s trebuie completat, valoarea acceptata este DA", text))
				return
			}
			switch name {
			case "extern":
				p.extern = true
			case "autofactura":
				p.autofactura = true
			case "executare":
				p.executare = true
			}
		}
		if len(body) > maxUploadBytes {
			refuse("Marime fisier transmis mai mare de 10 MB.")
			return
		}
		if !isDigits(p.cif) {
			refuse(fmt.Sprintf("CIF introdus= %s nu este un numar", p.cif))
			return
		}
		tok := tokenOf(r)
		s.mu.Lock()
		switch {
		case !s.anyMayLocked(tok):
			s.mu.Unlock()
			refuse("Nu exista niciun CIF pentru care sa aveti drept in SPV")
			return
		case !s.mayLocked(tok, p.cif):
			s.mu.Unlock()
			refuse(fmt.Sprintf("Nu aveti drept in SPV pentru CIF=%s", p.cif))
			return
		case p.executare && !contains(s.opts.ExecutareCIFs, p.cif):
			s.mu.Unlock()
			refuse(fmt.Sprintf("CIF introdus= %s nu este inregistrat in Registrul RO e-Factura executari silite", p.cif))
			return
		case p.standard == "RASP" && s.quotaLocked("rasp", p.cif, s.opts.RASPPerDay):
			s.mu.Unlock()
			refuse(fmt.Sprintf("S-au incarcat deja %d de mesaje de tip RASP pentru cui=%s in cursul zile", s.opts.RASPPerDay, p.cif))
			return
		}
		s.mu.Unlock()
		if msg := saxError(body, wantRoot); msg != "" {
			refuse(msg)
			return
		}
		var d *docInfo
		if p.standard == "RASP" {
			d, err = parseRASP(body)
		} else {
			d, err = parseDoc(body)
		}
		if err != nil {
			refuse(sax(1, 1, err.Error()))
			return
		}
		var reject []string
		if s.opts.Reject != nil && p.standard != "RASP" {
			if msg := s.opts.Reject(body); msg != "" {
				reject = append(reject, msg)
			}
		}
		if s.opts.RejectAll != nil && p.standard != "RASP" {
			reject = append(reject, s.opts.RejectAll(body)...)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		idx := s.uploadLocked(body, d, p, reject)
		markOK(r)
		headerXML(w, nsUpload, []string{"dateResponse", date, "ExecutionStatus", "0", "index_incarcare", idx})
	}
}

// uploadLocked records an accepted upload and decides its outcome (API.md
// §3.1, §8 item 6); messages appear when ProcessingDelay has passed
// (processDueLocked). nok reasons, in order: no seller CIF (BR-CO-26); the
// cif parameter is not the seller (or, with autofactura, the buyer); a buyer
// without a Romanian CIF on a B2B upload without extern=DA; Options.Reject;
// a duplicate of an earlier ok upload. RASP: the invoice it names must exist,
// be ok, and have the cif parameter as its buyer or seller.
func (s *Server) uploadLocked(body []byte, d *docInfo, p uploadParams, reject []string) string {
	s.st.UploadSeq++
	now := s.now().UTC()
	idx := hashID("50", s.uploadTaken, []byte("sim-upload"), body, []byte(strconv.Itoa(s.st.UploadSeq)), []byte(now.String()))
	u := &upload{
		Index: idx, CIF: p.cif, Seller: d.SellerCIF, Buyer: d.BuyerCIF, Number: d.Number, IssueDate: d.IssueDate,
		B2C: p.b2c, Extern: p.extern, Autofactura: p.autofactura, RASP: p.standard == "RASP", RefIndex: d.RefIndex,
		DocHash: s.storeDocLocked(body), Received: now, ReadyAt: now.Add(s.opts.ProcessingDelay), Outcome: "ok",
	}
	if d.SellerCIF != "" && !u.RASP {
		s.st.Known[d.SellerCIF] = true
	}
	if u.RASP {
		s.raspOutcomeLocked(u)
	} else {
		s.invoiceOutcomeLocked(u, reject)
	}
	s.st.Uploads[idx] = u
	if !now.Before(u.ReadyAt) {
		s.processUploadLocked(u)
	} else {
		s.pending[idx] = u
	}
	s.persistLocked()
	return idx
}

func (s *Server) invoiceOutcomeLocked(u *upload, reject []string) {
	issuer := u.Seller
	if u.Autofactura {
		issuer = u.Buyer
	}
	switch {
	case u.Seller == "":
		u.Outcome, u.ErrorText = "nok", "E: validari globale  SCHEMATRON   eroare: [BR-CO-26]-In order for the buyer to automatically identify a supplier, the Seller identifier (BT-29), the Seller legal registration identifier (BT-30) and/or the Seller VAT identifier (BT-31) shall be present."
	case issuer != u.CIF:
		role := "vanzatorului (BT-31/BT-32)"
		if u.Autofactura {
			role = "cumparatorului (BT-48/BT-47) la autofactura"
		}
		u.Outcome, u.ErrorText = "nok", fmt.Sprintf("E: CIF-ul %s din factura (%s) nu corespunde cu parametrul cif=%s al incarcarii", role, issuer, u.CIF)
	case u.Buyer == "" && !u.B2C && !u.Extern:
		u.Outcome, u.ErrorText = "nok", "E: Cumparatorul nu are un cod de identificare fiscala romanesc (BT-48/BT-47); pentru cumparatori din afara Romaniei folositi parametrul extern=DA"
	case len(reject) > 0:
		u.Outcome, u.ErrorText = "nok", reject[0]
		if len(reject) > 1 {
			u.ErrorTexts = reject
		}
	default:
		if prev := s.duplicateLocked(u); prev != nil {
			u.Outcome = "nok"
			u.ErrorText = fmt.Sprintf("Factura a mai fost transmisa anterior cu index=%s si data incarcare=%s",
				prev.Index, prev.Received.In(bucharest).Format("2006-01-02"))
		}
	}
}

func (s *Server) raspOutcomeLocked(u *upload) {
	ref := s.st.Uploads[u.RefIndex]
	switch {
	case ref == nil || ref.RASP || ref.Outcome != "ok":
		u.Outcome, u.ErrorText = "nok", fmt.Sprintf("Nu exista factura cu id_incarcare= %s", u.RefIndex)
	case u.CIF != ref.Buyer && u.CIF != ref.Seller:
		u.Outcome, u.ErrorText = "nok", fmt.Sprintf("Nu aveti dreptul sa transmiteti mesaje pentru factura cu id_incarcare= %s", u.RefIndex)
	default:
		u.Seller, u.Buyer = ref.Seller, ref.Buyer
	}
}

// duplicateLocked finds an earlier ok upload (or loaded file) with the same
// seller, number and issue date.
func (s *Server) duplicateLocked(u *upload) *upload {
	var best *upload
	for _, p := range s.st.Uploads {
		if p.RASP || p.Outcome != "ok" || p.Seller != u.Seller || p.Number != u.Number || p.IssueDate != u.IssueDate {
			continue
		}
		if best == nil || p.Received.Before(best.Received) {
			best = p
		}
	}
	return best
}

// ---- TestOauth ----

// handleHello serves GET /TestOauth/jaxrs/hello?name= (plain text, API.md §1).
func (s *Server) handleHello(w http.ResponseWriter, r *http.Request) {
	markOK(r)
	w.Header().Set("Content-Type", "text/plain")
	var b strings.Builder
	fmt.Fprintf(&b, "Hello, %q\nheaders=", r.URL.Query().Get("name"))
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	keys = append(keys, "Host", "issuer", "serial_certificate")
	sort.Strings(keys)
	for _, k := range keys {
		var v []string
		switch k {
		case "Host":
			v = []string{r.Host}
		case "issuer":
			v = []string{"Anaf"}
		case "serial_certificate":
			v = []string{s.opts.Serial}
		default:
			v = r.Header[k]
		}
		fmt.Fprintf(&b, "key=%s\nval=[%s]\n", k, strings.Join(v, ", "))
	}
	_, _ = io.WriteString(w, b.String())
}
