package anafsim

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// loadN loads n distinct invoices seller → buyer and returns them.
func loadN(t *testing.T, s *Server, n int) [][]byte {
	t.Helper()
	docs := make([][]byte, n)
	for i := range docs {
		docs[i] = invoiceDoc(fmt.Sprintf("ALF-%04d", i+1))
		require.NoError(t, s.LoadFile(fmt.Sprintf("f%d.xml", i), docs[i]))
	}
	return docs
}

func TestLoadFileMessages(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	loadN(t, b.sim, 1)
	require.Equal(t, map[string]int{seller: 1, buyer: 1}, b.sim.CIFs())

	now := b.clock.Now()
	s := b.page(t, seller, now.Add(-59*24*time.Hour), now, 1)
	p := b.page(t, buyer, now.Add(-59*24*time.Hour), now, 1)
	require.Len(t, s.Mesaje, 1)
	require.Len(t, p.Mesaje, 1)
	sm, pm := s.Mesaje[0], p.Mesaje[0]
	require.Equal(t, TipTrimisa, sm.Tip)
	require.Equal(t, TipPrimita, pm.Tip)
	require.Equal(t, sm.ID, pm.ID)
	require.Equal(t, sm.IDSolicitare, pm.IDSolicitare)
	require.Regexp(t, `^50\d{8}$`, sm.IDSolicitare)
	require.Regexp(t, `^30\d{8}$`, sm.ID)
	require.Equal(t, fmt.Sprintf("Factura cu id_incarcare=%s emisa de cif_emitent=%s pentru cif_beneficiar=%s", sm.IDSolicitare, seller, buyer), sm.Detalii)
	created, err := time.ParseInLocation("200601021504", sm.DataCreare, bucharest)
	require.NoError(t, err)
	require.False(t, created.After(now))
	require.True(t, created.After(now.Add(-50*24*time.Hour-time.Minute)))
	require.Equal(t, DefaultSerial, s.Serial)
	require.Equal(t, seller, s.CUI)

	// Loading the same bytes again changes nothing.
	loadN(t, b.sim, 1)
	require.Equal(t, map[string]int{seller: 1, buyer: 1}, b.sim.CIFs())
}

func TestLoadDirSkipsBadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.xml"), invoiceDoc("A-1"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.XML"), invoiceDoc("B-1"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.xml"), []byte("<Invoice"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644))
	sim, err := New(Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	n, err := sim.LoadDir(dir)
	require.Equal(t, 2, n)
	require.ErrorContains(t, err, "bad.xml")
	require.Equal(t, 2, sim.CIFs()[seller])
}

func TestLoadRepoTestdata(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "testdata", "invoices")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("testdata/invoices absent")
	}
	sim, err := New(Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	n, _ := sim.LoadDir(dir)
	require.Positive(t, n)
	require.NotEmpty(t, sim.CIFs())
}

func TestPaginatie(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.PageSize = 2 })
	loadN(t, b.sim, 5)
	now := b.clock.Now()
	start, end := now.Add(-60*24*time.Hour+time.Minute), now
	seen := map[string]bool{}
	for p := 1; p <= 3; p++ {
		lr := b.page(t, seller, start, end, p)
		require.Empty(t, lr.Eroare)
		require.Equal(t, 5, lr.Total)
		require.Equal(t, 3, lr.TotalPagini)
		require.Equal(t, 2, lr.PerPagina)
		require.Equal(t, p, lr.Pagina)
		require.Equal(t, len(lr.Mesaje), lr.InPagina)
		require.Equal(t, "Lista Mesaje disponibile din intervalul "+start.In(bucharest).Format("02-01-2006 15:04:05")+" - 15-01-2026 10:00:00", lr.Titlu)
		for _, m := range lr.Mesaje {
			require.False(t, seen[m.ID], "duplicate across pages")
			seen[m.ID] = true
		}
	}
	require.Len(t, seen, 5)
	lr := b.page(t, seller, start, end, 4)
	require.Equal(t, "Pagina solicitata 4 este mai mare decat numarul toatal de pagini 3", lr.Eroare)
	require.Equal(t, "Lista Mesaje", lr.Titlu)

	// filter P on the seller: nothing.
	resp, body := b.api(t, http.MethodGet, fmt.Sprintf("/test/FCTEL/rest/listaMesajePaginatieFactura?startTime=%d&endTime=%d&cif=%s&pagina=1&filtru=P",
		start.UnixMilli(), end.UnixMilli(), seller), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	e, _ := eroareOf(t, body)
	require.Equal(t, "Nu exista mesaje in intervalul selectat", e)
}

func TestPaginatieValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.RightsCIFs = []string{seller, buyer} })
	now := b.clock.Now() // 15-01-2026 10:00:00 Bucharest
	ms := func(tm time.Time) string { return fmt.Sprint(tm.UnixMilli()) }
	old := now.Add(-61 * 24 * time.Hour)
	tests := []struct {
		name, query, want string
	}{
		{"Empty", "startTime=" + ms(now.Add(-time.Hour)) + "&endTime=" + ms(now) + "&cif=" + seller + "&pagina=1", "Nu exista mesaje in intervalul selectat"},
		{"TooOld", "startTime=" + ms(old) + "&endTime=" + ms(now) + "&cif=" + seller + "&pagina=1",
			"startTime = 15-11-2025 10:00:00 nu poate fi mai vechi de 60 de zile fata de momentul requestului"},
		{"Future", "startTime=" + ms(now.Add(-time.Hour)) + "&endTime=" + ms(now.Add(time.Hour)) + "&cif=" + seller + "&pagina=1",
			"endTime = 15-01-2026 11:00:00 nu poate in viitor fata de momentul requestului"},
		{"EndBeforeStart", "startTime=" + ms(now.Add(-time.Hour)) + "&endTime=" + ms(now.Add(-2*time.Hour)) + "&cif=" + seller + "&pagina=1",
			"endTime = 15-01-2026 08:00:00 nu poate fi <= startTime = 15-01-2026 09:00:00"},
		{"StartNotNumber", "startTime=aaa&endTime=" + ms(now) + "&cif=" + seller + "&pagina=1", "startTime = aaa nu este un numar sau nu are o valoare acceptata de sistem"},
		{"EndNotNumber", "startTime=" + ms(now) + "&endTime=x1&cif=" + seller + "&pagina=1", "endTime = x1 nu este un numar sau nu are o valoare acceptata de sistem"},
		{"PaginaNotNumber", "startTime=" + ms(now.Add(-time.Hour)) + "&endTime=" + ms(now) + "&cif=" + seller + "&pagina=aa", "pagina = aa nu este un numar sau nu are o valoare acceptata de sistem"},
		{"CIFNotNumber", "startTime=" + ms(now.Add(-time.Hour)) + "&endTime=" + ms(now) + "&cif=aaa&pagina=1", "CIF introdus= aaa nu este un numar sau nu are o valoare acceptata de sistem"},
		{"NoRights", "startTime=" + ms(now.Add(-time.Hour)) + "&endTime=" + ms(now) + "&cif=" + third + "&pagina=1", "Nu aveti drept in SPV pentru CIF=" + third},
		{"Filtru", "startTime=" + ms(now.Add(-time.Hour)) + "&endTime=" + ms(now) + "&cif=" + seller + "&pagina=1&filtru=X", "Valorile acceptate pentru parametrul filtru sunt E, T, P sau R"},
	}
	for _, tc := range tests {
		resp, body := b.api(t, http.MethodGet, "/prod/FCTEL/rest/listaMesajePaginatieFactura?"+tc.query, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, tc.name)
		e, titlu := eroareOf(t, body)
		require.Equal(t, tc.want, e, tc.name)
		require.Equal(t, "Lista Mesaje", titlu, tc.name)
	}
	resp, body := b.api(t, http.MethodGet, "/prod/FCTEL/rest/listaMesajePaginatieFactura?cif="+seller, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	var d struct {
		Timestamp, Error, Message string
		Status                    int
	}
	require.NoError(t, json.Unmarshal(body, &d))
	require.Equal(t, "Parametrii startTime, endTime, cif si pagina sunt obligatorii", d.Message)
	require.Equal(t, 400, d.Status)
	require.Equal(t, "15-01-2026 10:00:00", d.Timestamp)
}

func TestLista(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.ListLimit = 3 })
	loadN(t, b.sim, 2)
	resp, body := b.api(t, http.MethodGet, "/test/FCTEL/rest/listaMesajeFactura?zile=60&cif="+buyer+"&filtru=P", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var lr listResp
	require.NoError(t, json.Unmarshal(body, &lr))
	require.Len(t, lr.Mesaje, 2)
	require.Equal(t, "Lista Mesaje disponibile din ultimele 60 zile", lr.Titlu)
	require.True(t, bytes.HasPrefix(body, []byte(`{"mesaje":[{"data_creare":"`)), string(body))

	loadN(t, b.sim, 4)
	tests := []struct{ query, want string }{
		{"zile=60&cif=" + buyer, "Lista de mesaje este mai mare decat numarul de 3 elemente permise in pagina. Folositi endpoint-ul cu paginatie."},
		{"zile=aaa&cif=" + buyer, "Numarul de zile introdus= aaa nu este un numar intreg"},
		{"zile=61&cif=" + buyer, "Numarul de zile trebuie sa fie intre 1 si 60"},
		{"zile=5&cif=aaa", "CIF introdus= aaa nu este un numar"},
		{"zile=5&cif=" + third, "Nu aveti drept in SPV pentru CIF=" + third},
		{"zile=60&cif=" + buyer + "&filtru=E", "Nu exista mesaje in ultimele 60 zile"},
	}
	for _, tc := range tests {
		_, body := b.api(t, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?"+tc.query, nil)
		e, titlu := eroareOf(t, body)
		require.Equal(t, tc.want, e, tc.query)
		require.Equal(t, "Lista Mesaje", titlu)
	}
	resp, body = b.api(t, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=3", nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, string(body), "Parametrii zile si cif sunt obligatorii")
}

// unzip returns the entries of a ZIP in order.
func unzip(t *testing.T, z []byte) (names []string, files map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	require.NoError(t, err)
	files = map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		names = append(names, f.Name)
		files[f.Name] = data
	}
	return names, files
}

func TestDescarcare(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	docs := loadN(t, b.sim, 1)
	now := b.clock.Now()
	m := b.page(t, buyer, now.Add(-50*24*time.Hour), now, 1).Mesaje[0]

	resp, z := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+m.ID, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/zip", resp.Header.Get("Content-Type"))
	names, files := unzip(t, z)
	idx := m.IDSolicitare
	require.Equal(t, []string{idx + ".xml", "semnatura_" + idx + ".xml"}, names)
	require.Equal(t, docs[0], files[idx+".xml"])
	sig := files["semnatura_"+idx+".xml"]
	sum := sha256.Sum256(docs[0])
	digest := regexp.MustCompile(`<DigestValue>([^<]+)</DigestValue>`).FindSubmatch(sig)
	require.NotNil(t, digest)
	require.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), string(digest[1]))
	require.Contains(t, string(sig), `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`)
	require.NoError(t, b.sim.VerifySignature(idx, docs[0], sig))
	require.Error(t, b.sim.VerifySignature(idx, append([]byte{' '}, docs[0]...), sig))
	cert := regexp.MustCompile(`<X509Certificate>([^<]+)</X509Certificate>`).FindSubmatch(sig)
	require.Equal(t, base64.StdEncoding.EncodeToString(b.sim.Certificate().Raw), string(cert[1]))

	// quota: 10 per id per day, then the limit text; tomorrow again.
	for i := 2; i <= 10; i++ {
		resp, _ := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+m.ID, nil)
		require.Equal(t, "application/zip", resp.Header.Get("Content-Type"))
	}
	_, body := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+m.ID, nil)
	e, titlu := eroareOf(t, body)
	require.Equal(t, "S-au facut deja 10 descarcari de mesaj in cursul zilei", e)
	require.Equal(t, "Descarcare mesaj", titlu)
	b.clock.Advance(24 * time.Hour)
	resp, _ = b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+m.ID, nil)
	require.Equal(t, "application/zip", resp.Header.Get("Content-Type"))

	for _, tc := range []struct{ id, want string }{
		{"123a", "Id descarcare introdus= 123a nu este un numar intreg"},
		{"3099999999", "Pentru id=3099999999 nu exista inregistrata nici o factura"},
	} {
		_, body := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+tc.id, nil)
		e, titlu := eroareOf(t, body)
		require.Equal(t, tc.want, e)
		require.Equal(t, "Descarcare mesaj", titlu)
	}
	resp, body = b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare", nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, string(body), "Parametrul id este obligatoriu")

	st := b.sim.Stats()
	require.Equal(t, 11, st.Downloads[m.ID])
	require.Equal(t, 15, st.Calls["descarcare"])
}

func TestDescarcareNoRights(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.RightsCIFs = []string{third} })
	loadN(t, b.sim, 1)
	var id string
	for k := range b.sim.st.Archives {
		id = k
	}
	_, body := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+id, nil)
	e, _ := eroareOf(t, body)
	require.Equal(t, "Nu aveti dreptul sa descarcati acesta factura", e)
}

var attrRe = regexp.MustCompile(`(\w+)="([^"]*)"`)

// headerAttrs returns the attributes of a family-A answer and its Errors texts.
func headerAttrs(t *testing.T, body []byte) (map[string]string, []string) {
	t.Helper()
	require.True(t, bytes.HasPrefix(body, []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n<header xmlns=")), string(body))
	attrs := map[string]string{}
	var errs []string
	for _, line := range strings.Split(string(body), "\n")[1:] {
		for _, m := range attrRe.FindAllStringSubmatch(line, -1) {
			if m[1] == "errorMessage" {
				errs = append(errs, m[2])
			} else {
				attrs[m[1]] = m[2]
			}
		}
	}
	return attrs, errs
}

func TestUploadStareAndMessages(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	doc := invoiceDoc("UP-1")
	resp, body := b.api(t, http.MethodPost, "/test/FCTEL/rest/upload?standard=UBL&cif="+seller, doc)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/xml", resp.Header.Get("Content-Type"))
	attrs, errs := headerAttrs(t, body)
	require.Empty(t, errs)
	require.Equal(t, "0", attrs["ExecutionStatus"])
	require.Equal(t, "202601151000", attrs["dateResponse"])
	require.Equal(t, "mfp:anaf:dgti:spv:respUploadFisier:v1", attrs["xmlns"])
	idx := attrs["index_incarcare"]
	require.Regexp(t, `^50\d{8}$`, idx)

	_, body = b.api(t, http.MethodGet, "/test/FCTEL/rest/stareMesaj?id_incarcare="+idx, nil)
	attrs, _ = headerAttrs(t, body)
	require.Equal(t, "ok", attrs["stare"])
	dl := attrs["id_descarcare"]
	require.Regexp(t, `^30\d{8}$`, dl)

	now := b.clock.Now()
	for cif, tip := range map[string]string{seller: TipTrimisa, buyer: TipPrimita} {
		lr := b.page(t, cif, now.Add(-time.Hour), now, 1)
		require.Len(t, lr.Mesaje, 1, cif)
		require.Equal(t, tip, lr.Mesaje[0].Tip)
		require.Equal(t, dl, lr.Mesaje[0].ID)
		require.Equal(t, idx, lr.Mesaje[0].IDSolicitare)
		require.Equal(t, "202601151000", lr.Mesaje[0].DataCreare)
	}
	_, z := b.api(t, http.MethodGet, "/test/FCTEL/rest/descarcare?id="+dl, nil)
	_, files := unzip(t, z)
	require.Equal(t, doc, files[idx+".xml"])

	// duplicate: accepted, then nok with ERORI FACTURA for the seller
	b.clock.Advance(time.Minute)
	_, body = b.api(t, http.MethodPost, "/test/FCTEL/rest/upload?standard=UBL&cif="+seller, doc)
	attrs, _ = headerAttrs(t, body)
	idx2 := attrs["index_incarcare"]
	require.NotEqual(t, idx, idx2)
	_, body = b.api(t, http.MethodGet, "/test/FCTEL/rest/stareMesaj?id_incarcare="+idx2, nil)
	attrs, _ = headerAttrs(t, body)
	require.Equal(t, "nok", attrs["stare"])
	_, z = b.api(t, http.MethodGet, "/test/FCTEL/rest/descarcare?id="+attrs["id_descarcare"], nil)
	_, files = unzip(t, z)
	require.Contains(t, string(files[idx2+".xml"]), "Factura a mai fost transmisa anterior cu index="+idx+" si data incarcare=2026-01-15")
	require.Contains(t, string(files[idx2+".xml"]), `xmlns="mfp:anaf:dgti:efactura:mesajEroriFactuta:v1"`)
	lr := b.page(t, seller, now.Add(-time.Hour), b.clock.Now(), 1)
	require.Len(t, lr.Mesaje, 2)
	require.Equal(t, TipErori, lr.Mesaje[0].Tip)
	require.Equal(t, "Erori de validare identificate la factura transmisa cu id_incarcare="+idx2, lr.Mesaje[0].Detalii)
	require.Len(t, b.page(t, buyer, now.Add(-time.Hour), b.clock.Now(), 1).Mesaje, 1)
}

func TestUploadDelayAndB2C(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.ProcessingDelay = 2 * time.Minute })
	_, body := b.api(t, http.MethodPost, "/prod/FCTEL/rest/uploadb2c?standard=UBL&cif="+seller, invoiceDoc("B2C-1"))
	attrs, _ := headerAttrs(t, body)
	idx := attrs["index_incarcare"]
	_, body = b.api(t, http.MethodGet, "/prod/FCTEL/rest/stareMesaj?id_incarcare="+idx, nil)
	attrs, _ = headerAttrs(t, body)
	require.Equal(t, "in prelucrare", attrs["stare"])
	require.Empty(t, b.sim.CIFs())
	b.clock.Advance(2 * time.Minute)
	_, body = b.api(t, http.MethodGet, "/prod/FCTEL/rest/stareMesaj?id_incarcare="+idx, nil)
	attrs, _ = headerAttrs(t, body)
	require.Equal(t, "ok", attrs["stare"])
	require.Equal(t, map[string]int{seller: 1}, b.sim.CIFs(), "B2C: no FACTURA PRIMITA")
}

func TestUploadRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tests := []struct {
		name, query string
		body        []byte
		want        string
	}{
		{"Standard", "standard=XYZ&cif=" + seller, invoiceDoc("R-1"), "Valorile acceptate pentru parametrul standard sunt UBL, CN, CII sau RASP"},
		{"CIFNotNumber", "standard=UBL&cif=123a", invoiceDoc("R-1"), "CIF introdus= 123a nu este un numar"},
		{"NoRights", "standard=UBL&cif=" + third, invoiceDoc("R-1"), "Nu aveti drept in SPV pentru CIF=" + third},
		{"Extern", "standard=UBL&extern=NU&cif=" + seller, invoiceDoc("R-1"), "Daca parametrul extern trebuie completat, valoarea acceptata este DA"},
		{"WrongRoot", "standard=UBL&cif=" + seller, ublDoc("CreditNote", "CN-1", "2026-01-10", "RO"+seller, "RO"+buyer, buyer),
			"Fisierul transmis nu este valid. org.xml.sax.SAXParseException; lineNumber: 2; columnNumber: "},
		{"Malformed", "standard=UBL&cif=" + seller, []byte("<?xml version=\"1.0\"?>\n<Invoice>\n<a></b>"), "Fisierul transmis nu este valid. org.xml.sax.SAXParseException; lineNumber: 3;"},
	}
	for _, tc := range tests {
		_, body := b.api(t, http.MethodPost, "/test/FCTEL/rest/upload?"+tc.query, tc.body)
		attrs, errs := headerAttrs(t, body)
		require.Equal(t, "1", attrs["ExecutionStatus"], tc.name)
		require.Empty(t, attrs["index_incarcare"], tc.name)
		require.Len(t, errs, 1, tc.name)
		require.True(t, strings.HasPrefix(errs[0], tc.want), "%s: %s", tc.name, errs[0])
	}
	_, body := b.api(t, http.MethodPost, "/test/FCTEL/rest/upload?standard=CN&cif="+seller, ublDoc("CreditNote", "CN-1", "2026-01-10", "RO"+seller, "RO"+buyer, buyer))
	attrs, _ := headerAttrs(t, body)
	require.Equal(t, "0", attrs["ExecutionStatus"])

	for _, tc := range []struct {
		query string
		body  []byte
		want  string
	}{
		{"standard=UBL", invoiceDoc("X"), "Parametrii standard si cif sunt obligatorii"},
		{"standard=UBL&cif=" + seller, nil, "Trebuie sa aveti atasat in request un fisier de tip xml"},
	} {
		resp, body := b.api(t, http.MethodPost, "/test/FCTEL/rest/upload?"+tc.query, tc.body)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Contains(t, string(body), tc.want)
	}

	for _, tc := range []struct{ id, want string }{
		{"aaa", "Id_incarcare introdus= aaa nu este un numar intreg"},
		{"5099999999", "Nu exista factura cu id_incarcare= 5099999999"},
	} {
		_, body := b.api(t, http.MethodGet, "/test/FCTEL/rest/stareMesaj?id_incarcare="+tc.id, nil)
		_, errs := headerAttrs(t, body)
		require.Equal(t, []string{tc.want}, errs)
	}
}

func TestFaultsAndStats(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	loadN(t, b.sim, 1)
	var id string
	for k := range b.sim.st.Archives {
		id = k
	}
	post := func(js string) int {
		resp, err := http.Post(b.srv.URL+"/__sim/faults", "application/json", strings.NewReader(js))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, post(`{"endpoint":"descarcare","kind":"http500","count":2}`))
	require.Equal(t, http.StatusOK, post(`{"endpoint":"descarcare","kind":"waf_html","count":1}`))
	require.Equal(t, http.StatusOK, post(`{"endpoint":"descarcare","kind":"malformed_zip","count":1}`))
	require.Equal(t, http.StatusBadRequest, post(`{"endpoint":"descarcare","kind":"nope"}`))
	path := "/prod/FCTEL/rest/descarcare?id=" + id

	for range 2 {
		resp, body := b.api(t, http.MethodGet, path, nil)
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		require.Contains(t, string(body), `"status":500`)
	}
	resp, body := b.api(t, http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), "The requested URL was rejected")
	resp, body = b.api(t, http.MethodGet, path, nil)
	require.Equal(t, "application/zip", resp.Header.Get("Content-Type"))
	_, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	require.Error(t, err, "truncated ZIP")
	resp, _ = b.api(t, http.MethodGet, path, nil)
	require.Equal(t, "application/zip", resp.Header.Get("Content-Type"))

	tests := []struct {
		fault  Fault
		path   string
		status int
		want   string
	}{
		{Fault{Endpoint: "listaMesajeFactura", Kind: FaultExpiredToken}, "/prod/FCTEL/rest/listaMesajeFactura?zile=1&cif=" + seller, 401, `"Unauthorized"`},
		{Fault{Endpoint: "listaMesajeFactura", Kind: FaultQuota}, "/prod/FCTEL/rest/listaMesajeFactura?zile=1&cif=" + seller, 200, "S-au facut deja"},
		{Fault{Endpoint: "descarcare", Kind: FaultQuota}, path, 200, "S-au facut deja 10 descarcari de mesaj in cursul zilei"},
		{Fault{Endpoint: "stareMesaj", Kind: FaultEmptyBody}, "/prod/FCTEL/rest/stareMesaj?id_incarcare=1", 200, ""},
		{Fault{Endpoint: "stareMesaj", Kind: FaultHTTP503HTML}, "/prod/FCTEL/rest/stareMesaj?id_incarcare=1", 503, "Service Unavailable"},
		{Fault{Endpoint: "descarcare", Kind: FaultSlow, DelayMS: 20}, path, 200, "PK"},
	}
	for _, tc := range tests {
		require.NoError(t, b.sim.InjectFault(tc.fault))
		resp, body := b.api(t, http.MethodGet, tc.path, nil)
		require.Equal(t, tc.status, resp.StatusCode, tc.fault.Kind)
		if tc.want == "" {
			require.Empty(t, body)
		} else {
			require.Contains(t, string(body), tc.want, tc.fault.Kind)
		}
	}

	require.NoError(t, b.sim.InjectFault(Fault{Endpoint: "token", Kind: FaultExpiredToken, Count: 5}))
	req, err := http.NewRequest(http.MethodDelete, b.srv.URL+"/__sim/faults", nil)
	require.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	b.login(t) // faults cleared

	resp, err = http.Get(b.srv.URL + "/__sim/stats")
	require.NoError(t, err)
	defer resp.Body.Close()
	var st Stats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	require.Equal(t, 7, st.Calls["descarcare"])
	require.Equal(t, 2, st.Calls["token"])
	require.Equal(t, 2, st.Calls["listaMesajeFactura"])
	require.Equal(t, map[string]int{seller: 1, buyer: 1}, st.Messages)
	require.Equal(t, 3, st.Downloads[id]) // malformed and slow count: the handler ran
}

func TestUploadLostResponse(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	require.NoError(t, b.sim.InjectFault(Fault{Endpoint: "upload", Kind: FaultLostResponse}))
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/prod/FCTEL/rest/upload?standard=UBL&cif="+seller, bytes.NewReader(invoiceDoc("LOST-1")))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+b.token)
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err)
	require.Equal(t, map[string]int{seller: 1, buyer: 1}, b.sim.CIFs(), "the upload happened")
}

// TestFaultInvalidTokenPersists: the invalid_token fault refuses every
// call of its endpoint, with a fresh token too, until the faults are cleared.
func TestFaultInvalidTokenPersists(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	path := "/prod/FCTEL/rest/listaMesajePaginatieFactura?startTime=1&endTime=2&pagina=1&cif=" + seller
	require.NoError(t, b.sim.InjectFault(Fault{Endpoint: "listaMesajePaginatieFactura", Kind: FaultInvalidToken}))
	for range 3 {
		resp, _ := b.api(t, http.MethodGet, path, nil)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
	}
	fresh := b.login(t) // the token endpoint is not affected
	resp, _ := b.apiWith(t, fresh.AccessToken, http.MethodGet, path, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	b.sim.ClearFaults()
	resp, _ = b.apiWith(t, fresh.AccessToken, http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
