package anafsim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// samplesDir is ../shared/anaf/samples relative to the repository root.
const samplesDir = "../../../shared/anaf/samples"

var (
	reDigits = regexp.MustCompile(`\d+`)
	reCod    = regexp.MustCompile(`Cod: \w+`)
	reUUID   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// norm makes a text comparable modulo ids, CIFs, counts and dates.
func norm(s string) string {
	return reDigits.ReplaceAllString(reCod.ReplaceAllString(s, "Cod: #"), "#")
}

// jsonShape renders a JSON document as ordered keys with normalised values
// (values of ok bodies are dropped: only their keys must match).
func jsonShape(t *testing.T, data []byte, values bool) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var b strings.Builder
	var key string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, string(data))
		switch v := tok.(type) {
		case json.Delim:
			b.WriteString(v.String())
			key = ""
		case string:
			if dec.More() && key == "" && isKeyPos(&b) {
				key = v
				b.WriteString(v + ":")
				continue
			}
			switch {
			case key == "trace_id" && reUUID.MatchString(v):
				b.WriteString("<uuid>,")
			case values:
				b.WriteString(norm(v) + ",")
			default:
				b.WriteString("_,")
			}
			key = ""
		default:
			if values {
				b.WriteString(norm(fmt.Sprint(v)) + ",")
			} else {
				b.WriteString("_,")
			}
			key = ""
		}
	}
	out := b.String()
	if !values { // a list's elements share one shape: compare it once
		for _, e := range reFlatObject.FindAllString(out, -1) {
			for strings.Contains(out, e+e) {
				out = strings.ReplaceAll(out, e+e, e)
			}
		}
	}
	return out
}

var reFlatObject = regexp.MustCompile(`\{[^{}\[\]]*\}`)

// isKeyPos reports whether the next string token is an object key: the
// shape so far ends with "{" or a value followed by "," inside an object.
// Kept simple: ANAF bodies never hold arrays of strings.
func isKeyPos(b *strings.Builder) bool {
	s := b.String()
	return strings.HasSuffix(s, "{") || strings.HasSuffix(s, ",") || strings.HasSuffix(s, "}") || strings.HasSuffix(s, "]")
}

// xmlShape renders an XML document as elements (namespace + local name)
// with sorted attributes and normalised attribute values.
func xmlShape(t *testing.T, data []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var b strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, string(data))
		switch v := tok.(type) {
		case xml.StartElement:
			attrs := []string{}
			for _, a := range v.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				attrs = append(attrs, a.Name.Local+"="+norm(a.Value))
			}
			sort.Strings(attrs)
			fmt.Fprintf(&b, "<{%s}%s %s>", v.Name.Space, v.Name.Local, strings.Join(attrs, " "))
		case xml.EndElement:
			b.WriteString("</" + v.Name.Local + ">")
		}
	}
	return b.String()
}

// TestSamples compares the simulator's answer for each case of
// ../shared/anaf/samples with the sample: same HTTP status, content type
// family, JSON keys (in order) / XML elements, attributes and namespaces,
// and texts modulo digits (ids, CIFs, counts, dates).
func TestSamples(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(filepath.Join(samplesDir, "README.md")); err != nil {
		t.Skipf("ANAF samples not available at %s (the shared folder is absent): %v", samplesDir, err)
	}
	sample := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(samplesDir, name))
		require.NoError(t, err)
		return data
	}
	b := setup(t, func(o *Options) {
		o.ListLimit = 1
		o.Reject = func(doc []byte) string {
			if bytes.Contains(doc, []byte("REJECT")) {
				var e struct {
					Messages []struct{ Message string }
				}
				_ = json.Unmarshal(sample("validare_nok.json"), &e)
				return e.Messages[0].Message
			}
			return ""
		}
	})
	empty := setup(t, func(o *Options) { o.KnownCIFs = nil })
	tight := setup(t, func(o *Options) { o.DownloadsPerDay, o.ListPerDay, o.StatusPerDay, o.RASPPerDay = 1, 1, 1, 1 })
	loadN(t, tight.sim, 1)
	var tightDL string
	for k := range tight.sim.st.Archives {
		tightDL = k
	}
	tightIdx := tight.upload(t, tight.token, "standard=UBL&cif="+seller, invoiceDoc("T-1"))
	delayed := setup(t, func(o *Options) { o.ProcessingDelay = time.Hour })
	loadN(t, b.sim, 2) // seller → buyer, ListLimit 1: the over-500 text
	var dl string
	for k := range b.sim.st.Archives {
		dl = k
	}
	now := b.clock.Now()
	ms := func(t time.Time) string { return fmt.Sprint(t.UnixMilli()) }
	okIdx := b.upload(t, b.token, "standard=UBL&cif="+seller, invoiceDoc("S-OK"))
	nokIdx := b.upload(t, b.token, "standard=UBL&cif="+seller, invoiceDoc("REJECT-1"))
	dupIdx := b.upload(t, b.token, "standard=UBL&cif="+seller, invoiceDoc("S-OK"))
	raspIdx := b.upload(t, b.token, "standard=RASP&cif="+buyer, []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
		`<header xmlns="mfp:anaf:dgti:spv:reqMesaj:v1" index_incarcare="`+okIdx+`" message="Va rugam sa emiteti factura storno, cantitatea livrata a fost 9 bucati."/>`))
	pending := delayed.upload(t, delayed.token, "standard=UBL&cif="+seller, invoiceDoc("P-1"))
	scoped := b.scopedToken(t, buyer)
	expiredDL := func() string { // a message older than 60 days: shift an archive back
		b.sim.mu.Lock()
		defer b.sim.mu.Unlock()
		for id, a := range b.sim.st.Archives {
			if id != dl && a.UploadIndex != okIdx && a.UploadIndex != nokIdx && a.UploadIndex != dupIdx && a.UploadIndex != raspIdx {
				a.Created = a.Created.Add(-90 * 24 * time.Hour)
				return id
			}
		}
		return ""
	}()
	require.NotEmpty(t, expiredDL)
	big := bytes.Repeat([]byte(" "), maxUploadBytes+1)
	bigV := bytes.Repeat([]byte(" "), maxValidateBytes+1)
	lista := "/prod/FCTEL/rest/listaMesajeFactura?"
	pag := "/prod/FCTEL/rest/listaMesajePaginatieFactura?"
	pagQ := func(start, end time.Time, cif, pagina string) string {
		return pag + url.Values{"startTime": {ms(start)}, "endTime": {ms(end)}, "cif": {cif}, "pagina": {pagina}}.Encode()
	}

	type req struct {
		bundle         *testBundle
		token          *string // nil: the bundle's token
		method, path   string
		body           []byte
		hdr            []string
		fault          *Fault
		repeat         int    // send it this many times first (quota cases)
		zipFile        string // compare this file of the ZIP answer instead of the body
		values         bool   // compare JSON values too (error bodies); XML always compares attribute values
		status         int
		contentTypeHas string
	}
	none := ""
	bad := "not-a-token"
	get := func(path string) req {
		return req{method: http.MethodGet, path: path, values: true, status: 200, contentTypeHas: "json"}
	}
	up := func(query string, body []byte) req {
		return req{method: http.MethodPost, path: "/prod/FCTEL/rest/upload?" + query, body: body, status: 200, contentTypeHas: "xml"}
	}
	stareR := func(idx string) req {
		return req{method: http.MethodGet, path: "/prod/FCTEL/rest/stareMesaj?id_incarcare=" + idx, status: 200, contentTypeHas: "xml"}
	}
	with := func(r req, f func(*req)) req { f(&r); return r }
	cases := map[string]req{
		"descarcare_err_daily_limit.json":     with(get("/prod/FCTEL/rest/descarcare?id="+tightDL), func(r *req) { r.repeat, r.bundle = 1, tight }),
		"descarcare_err_expired_60_days.json": get("/prod/FCTEL/rest/descarcare?id=" + expiredDL),
		"descarcare_err_id_not_integer.json":  get("/prod/FCTEL/rest/descarcare?id=123a"),
		"descarcare_err_no_rights.json": with(get("/prod/FCTEL/rest/descarcare?id="+b.sim.st.Uploads[nokIdx].DownloadID), func(r *req) {
			r.token = &scoped
		}),
		"descarcare_err_not_found.json":           get("/prod/FCTEL/rest/descarcare?id=3099999999"),
		"http400_missing_body_upload.json":        with(up("standard=UBL&cif="+seller, nil), func(r *req) { r.status, r.contentTypeHas, r.values = 400, "json", true }),
		"http400_missing_params_upload.json":      with(up("standard=UBL", invoiceDoc("X")), func(r *req) { r.status, r.contentTypeHas, r.values = 400, "json", true }),
		"http400_missing_id_descarcare.json":      with(get("/prod/FCTEL/rest/descarcare"), func(r *req) { r.status = 400 }),
		"http400_missing_id_stare.json":           with(get("/prod/FCTEL/rest/stareMesaj"), func(r *req) { r.status = 400 }),
		"http400_missing_params_lista.json":       with(get(lista+"zile=1"), func(r *req) { r.status = 400 }),
		"http400_missing_params_paginatie.json":   with(get(pag+"cif=1"), func(r *req) { r.status = 400 }),
		"http401_invalid_token.json":              with(get(lista+"zile=1&cif="+seller), func(r *req) { r.status, r.token = 401, &bad }),
		"http404_validare_no_standard.json":       {method: http.MethodPost, path: "/prod/FCTEL/rest/validare/", body: invoiceDoc("X"), status: 404, contentTypeHas: "json", values: true},
		"lista_err_cif_not_number.json":           get(lista + "zile=1&cif=aaa"),
		"lista_err_daily_limit.json":              with(get(lista+"zile=1&cif="+buyer), func(r *req) { r.repeat, r.bundle = 1, tight }),
		"lista_err_filtru.json":                   get(lista + "zile=1&filtru=X&cif=" + seller),
		"lista_err_no_messages.json":              with(get(lista+"zile=7&cif="+seller), func(r *req) { r.bundle = delayed }),
		"lista_err_no_rights_any.json":            with(get(lista+"zile=7&cif="+seller), func(r *req) { r.bundle = empty }),
		"lista_err_no_rights_cif.json":            get(lista + "zile=1&cif=" + third),
		"lista_err_over_500.json":                 get(lista + "zile=60&cif=" + seller),
		"lista_err_zile_not_integer.json":         get(lista + "zile=aaa&cif=" + seller),
		"lista_err_zile_range.json":               get(lista + "zile=61&cif=" + seller),
		"lista_ok.json":                           with(get(lista+"zile=60&filtru=R&cif="+buyer), func(r *req) { r.values = false }),
		"paginatie_err_cif_not_number.json":       get(pagQ(now.Add(-time.Hour), now, "aaa", "1")),
		"paginatie_err_end_not_after_start.json":  get(pagQ(now.Add(-time.Hour), now.Add(-2*time.Hour), seller, "1")),
		"paginatie_err_endtime_future.json":       get(pagQ(now.Add(-time.Hour), now.Add(time.Hour), seller, "1")),
		"paginatie_err_no_messages.json":          get(pagQ(now.Add(-59*24*time.Hour), now.Add(-58*24*time.Hour), seller, "1")),
		"paginatie_err_pagina_not_number.json":    get(pagQ(now.Add(-time.Hour), now, seller, "aa")),
		"paginatie_err_past_last_page.json":       get(pagQ(now.Add(-59*24*time.Hour), now, seller, "9")),
		"paginatie_err_starttime_not_number.json": get(pag + "startTime=aaa&endTime=1&cif=" + seller + "&pagina=1"),
		"paginatie_err_starttime_too_old.json":    get(pagQ(now.Add(-61*24*time.Hour), now, seller, "1")),
		"paginatie_ok_last_page.json":             with(get(pagQ(now.Add(-59*24*time.Hour), now, seller, "1")), func(r *req) { r.values = false }),
		"stare_err_daily_limit.xml":               with(stareR(tightIdx), func(r *req) { r.repeat, r.bundle = 1, tight }),
		"stare_err_no_rights_any.xml":             with(stareR("5012345678"), func(r *req) { r.bundle = empty }),
		"stare_err_no_rights_index.xml":           with(stareR(dupIdx), func(r *req) { r.token = &scoped }),
		"stare_err_not_found.xml":                 stareR("5099999999"),
		"stare_err_not_integer.xml":               stareR("aaa"),
		"stare_in_prelucrare.xml":                 with(stareR(pending), func(r *req) { r.bundle = delayed }),
		"stare_nok.xml":                           stareR(nokIdx),
		"stare_ok.xml":                            stareR(raspIdx),
		"upload_err_autofactura_value.xml":        up("standard=UBL&autofactura=NU&cif="+seller, invoiceDoc("X")),
		"upload_err_cif_not_number.xml":           up("standard=UBL&cif=123a", invoiceDoc("X")),
		"upload_err_extern_value.xml":             up("standard=UBL&extern=NU&cif="+seller, invoiceDoc("X")),
		"upload_err_invalid_xml.xml":              up("standard=UBL&cif="+seller, []byte(strings.Replace(string(invoiceDoc("X")), "Invoice", "Invoice1", 2))),
		"upload_err_no_rights_any.xml":            with(up("standard=UBL&cif="+seller, invoiceDoc("X")), func(r *req) { r.bundle = empty }),
		"upload_err_no_rights_cif.xml":            up("standard=UBL&cif="+third, invoiceDoc("X")),
		"upload_err_rasp_daily_limit.xml": with(up("standard=RASP&cif="+buyer, []byte(`<header xmlns="mfp:anaf:dgti:spv:reqMesaj:v1" index_incarcare="1" message="x"/>`)), func(r *req) {
			r.repeat, r.bundle = 1, tight
		}),
		"upload_err_standard.xml":             up("standard=XYZ&cif="+seller, invoiceDoc("X")),
		"upload_err_technical.xml":            with(up("standard=UBL&cif="+seller, invoiceDoc("X")), func(r *req) { r.fault = &Fault{Endpoint: "upload", Kind: FaultTechError} }),
		"upload_err_too_big.xml":              up("standard=UBL&cif="+seller, big),
		"upload_ok.xml":                       up("standard=UBL&cif="+seller, invoiceDoc("S-OK-2")),
		"validare_err_standard.json":          {method: http.MethodPost, path: "/prod/FCTEL/rest/validare/UBL", body: invoiceDoc("X"), status: 200, contentTypeHas: "json", values: true},
		"validare_err_technical.json":         {method: http.MethodPost, path: "/prod/FCTEL/rest/validare/FACT1", body: invoiceDoc("X"), status: 200, contentTypeHas: "json", values: true, fault: &Fault{Endpoint: "validare", Kind: FaultTechError}},
		"validare_err_too_big.json":           {method: http.MethodPost, path: "/prod/FCTEL/rest/validare/FACT1", body: bigV, status: 200, contentTypeHas: "json", values: true},
		"validare_ok.json":                    {method: http.MethodPost, path: "/prod/FCTEL/rest/validare/FACT1", body: invoiceDoc("X"), status: 200, contentTypeHas: "json", values: true, token: &none},
		"oauth_token_error.json":              {method: http.MethodPost, path: "/anaf-oauth2/v1/token", status: 400, contentTypeHas: "json", values: true},
		"zip_erori_duplicate_5012345691.xml":  {method: http.MethodGet, path: "/prod/FCTEL/rest/descarcare?id=" + b.sim.st.Uploads[dupIdx].DownloadID, zipFile: dupIdx + ".xml", status: 200, contentTypeHas: "zip"},
		"zip_mesaj_cumparator_5012399001.xml": {method: http.MethodGet, path: "/prod/FCTEL/rest/descarcare?id=" + b.sim.st.Uploads[raspIdx].DownloadID, zipFile: raspIdx + ".xml", status: 200, contentTypeHas: "zip"},
	}
	// The token-error sample: a refresh token past its lifetime.
	expiredRefresh := func() string {
		c := setup(t, func(o *Options) { o.RefreshTTL = time.Minute })
		rt := c.login(t).RefreshToken
		c.clock.Advance(2 * time.Minute)
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
		status, body := c.tokenReq(t, form, testClientID, testClientSecret)
		require.Equal(t, 400, status)
		return string(body)
	}()
	validareNOK := func() string {
		_, body := b.do(t, "", http.MethodPost, "/prod/FCTEL/rest/validare/FACT1", invoiceDoc("REJECT-2"))
		return string(body)
	}()

	names, err := filepath.Glob(filepath.Join(samplesDir, "*"))
	require.NoError(t, err)
	covered := 0
	for _, path := range names {
		name := filepath.Base(path)
		if fi, err := os.Stat(path); err != nil || fi.IsDir() {
			continue
		}
		want := sample(name)
		switch name {
		case "oauth_token_error.json":
			require.Equal(t, jsonShape(t, want, true), jsonShape(t, []byte(expiredRefresh), true), name)
			covered++
			continue
		case "validate_signature_ok.json", "validate_signature_nok.json":
			text := map[bool]string{true: SignatureOKText, false: SignatureNOKText}[name == "validate_signature_ok.json"]
			got, err := json.Marshal(map[string]string{"msg": text})
			require.NoError(t, err)
			require.Equal(t, jsonShape(t, want, true), jsonShape(t, got, true), name)
			covered++
			continue
		case "oauth_token_response.json":
			tr := b.login(t)
			got, err := json.Marshal(tr)
			require.NoError(t, err)
			require.Equal(t, jsonShape(t, want, false), jsonShape(t, got, false), name)
			covered++
			continue
		case "validare_nok.json":
			// the simulator gives one message (Options.Reject) where the sample has two
			var w, g validareResp
			require.NoError(t, json.Unmarshal(want, &w))
			require.NoError(t, json.Unmarshal([]byte(validareNOK), &g))
			require.Equal(t, "nok", g.Stare)
			require.Equal(t, w.Messages[0].Message, g.Messages[0].Message)
			require.Equal(t, jsonShape(t, []byte(`{"stare":"nok","Messages":[{"message":"x"}],"trace_id":"`+w.TraceID+`"}`), false), jsonShape(t, []byte(validareNOK), false))
			covered++
			continue
		}
		rc, ok := cases[name]
		if !ok {
			t.Logf("sample %s: not compared (no simulator case)", name)
			continue
		}
		covered++
		bundle := b
		if rc.bundle != nil {
			bundle = rc.bundle
		}
		tok := bundle.token
		if rc.token != nil {
			tok = *rc.token
		}
		if rc.fault != nil {
			require.NoError(t, bundle.sim.InjectFault(*rc.fault))
		}
		for range rc.repeat {
			bundle.do(t, tok, rc.method, rc.path, rc.body, rc.hdr...)
		}
		resp, got := bundle.do(t, tok, rc.method, rc.path, rc.body, rc.hdr...)
		require.Equal(t, rc.status, resp.StatusCode, "%s: %s", name, got)
		require.Contains(t, resp.Header.Get("Content-Type"), rc.contentTypeHas, name)
		if rc.zipFile != "" {
			_, files := unzip(t, got)
			got = files[rc.zipFile]
			require.NotNil(t, got, name)
		}
		if strings.HasSuffix(name, ".xml") {
			require.Equal(t, xmlShape(t, want), xmlShape(t, got), name)
			require.True(t, bytes.HasPrefix(got, []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n")), name)
		} else {
			require.Equal(t, jsonShape(t, want, rc.values), jsonShape(t, got, rc.values), "%s: %s", name, got)
		}
	}
	require.GreaterOrEqual(t, covered, 60)
}
