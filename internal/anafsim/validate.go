package anafsim

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/efactura-gateway/efactura/internal/invoice"
)

// Texts of POST /api/validate/signature (API.md §3.9, samples/validate_signature_*.json).
const (
	SignatureOKText  = "Fișierele încărcate au fost validate cu succes, din perspectiva autenticității semnăturii aplicate și a apartenenței acesteia la XML-ul ce reprezintă factura electronică. Documentul factură de tip XML cu semnătura de validare atașată, este considerat document original din perspectiva legislativă și este generat prin intermediul sistemului național RO e-Factura."
	SignatureNOKText = "Fișierele încărcate NU au putut fi validate cu succes, din perspectiva autenticității semnăturii aplicate și a apartenenței acesteia la XML-ul ce reprezintă factura electronică. Documentul factură de tip XML cu semnătura de validare atașată, NU poate fi considerat document original din perspectiva legislativă și NU este generat prin intermediul sistemului național RO e-Factura."
)

const maxValidateBytes = 5 << 20 // validare, transformare: 5 MB

// validareRoots maps the {standard} of validare/transformare to the UBL root it wants.
var validareRoots = map[string]string{"FACT1": "Invoice", "FCN": "CreditNote"}

// validareJSON is a family-C answer (API.md §3.0, §3.7).
type validareJSON struct {
	Stare    string        `json:"stare"`
	Messages []messageText `json:"Messages,omitempty"`
	TraceID  string        `json:"trace_id"`
}

type messageText struct {
	Message string `json:"message"`
}

func writeValidare(w http.ResponseWriter, msgs ...string) {
	v := validareJSON{Stare: "ok", TraceID: uuid()}
	if len(msgs) > 0 {
		v.Stare = "nok"
		for _, m := range msgs {
			v.Messages = append(v.Messages, messageText{m})
		}
	}
	writeJSON(w, http.StatusOK, v)
}

// readValidateBody reads at most 5 MB + 1 byte of the request body; the
// second result is false (and the nok answer written) when the standard is
// not FACT1/FCN or the body is too big.
func readValidateBody(w http.ResponseWriter, r *http.Request) ([]byte, string, bool) {
	std := r.PathValue("std")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxValidateBytes+1))
	switch {
	case validareRoots[std] == "":
		writeValidare(w, "Valorile acceptate pentru parametrul standard sunt FACT1 si FCN")
		return nil, "", false
	case err != nil:
		writeValidare(w, "A aparut o eroare tehnica. Cod: 1001")
		return nil, "", false
	case len(body) > maxValidateBytes:
		writeValidare(w, "Marime fisier transmis mai mare de 5 MB.")
		return nil, "", false
	}
	return body, std, true
}

// validateDoc is the simulator's "validation": well-formed XML with the
// standard's root (SAX-like text otherwise), parsable by invoice.Parse, a
// seller CIF (BR-CO-26), then Options.Reject. nil means valid.
func (s *Server) validateDoc(std string, body []byte) []string {
	if msg := saxError(body, validareRoots[std]); msg != "" {
		return []string{msg}
	}
	d, err := parseDoc(body)
	if err != nil {
		return []string{sax(1, 1, err.Error())}
	}
	if d.SellerCIF == "" {
		return []string{"E: validari globale  SCHEMATRON   eroare: [BR-CO-26]-In order for the buyer to automatically identify a supplier, the Seller identifier (BT-29), the Seller legal registration identifier (BT-30) and/or the Seller VAT identifier (BT-31) shall be present."}
	}
	if s.opts.Reject != nil {
		if msg := s.opts.Reject(body); msg != "" {
			return []string{msg}
		}
	}
	if s.opts.RejectAll != nil {
		if msgs := s.opts.RejectAll(body); len(msgs) > 0 {
			return msgs
		}
	}
	return nil
}

// handleValidare serves POST {base}/validare/{FACT1|FCN} (API.md §3.7): HTTP
// 200 family C, ok or nok with messages and a fresh trace_id. Any
// Content-Type is accepted (ANAF requires text/plain).
func (s *Server) handleValidare(w http.ResponseWriter, r *http.Request) {
	body, std, ok := readValidateBody(w, r)
	if !ok {
		return
	}
	markOK(r) // a verdict on the document was delivered
	writeValidare(w, s.validateDoc(std, body)...)
}

// handleTransformare serves POST {base}/transformare/{FACT1|FCN}[/DA]
// (API.md §3.8): a small PDF (application/pdf) summarising the document, or
// family-C nok JSON when it does not validate; /DA skips validation (the PDF
// then shows what could be read). Another last segment than DA is a 404.
func (s *Server) handleTransformare(w http.ResponseWriter, r *http.Request) {
	novld := r.PathValue("novld")
	if novld != "" && novld != "DA" {
		s.notFound(strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/prod"), "/test"))(w, r)
		return
	}
	body, std, ok := readValidateBody(w, r)
	if !ok {
		return
	}
	if novld == "" {
		if msgs := s.validateDoc(std, body); len(msgs) > 0 {
			writeValidare(w, msgs...)
			return
		}
	}
	pdf := invoicePDF(body)
	markOK(r)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", fmt.Sprint(len(pdf)))
	_, _ = w.Write(pdf)
}

var reReferenceURI = regexp.MustCompile(`<(?:\w+:)?Reference[^>]*\sURI="(\d+)\.xml"`)

// handleSignature serves POST /api/validate/signature (API.md §3.9):
// multipart parts `file` (the invoice XML) and `signature` (its
// semnatura_<index>.xml), verified with the simulator's own key. HTTP 200
// {"msg": SignatureOKText or SignatureNOKText}; HTTP 400 {"msg": …} when a
// part is missing.
func (s *Server) handleSignature(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 2*maxUploadBytes)
	read := func(name string) []byte {
		f, _, err := r.FormFile(name)
		if err != nil {
			return nil
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		return b
	}
	file, sig := read("file"), read("signature")
	if len(file) == 0 || len(sig) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"msg": "Trebuie sa incarcati fisierul XML (file) si fisierul de semnatura (signature)."})
		return
	}
	markOK(r)
	m := reReferenceURI.FindSubmatch(sig)
	if m == nil || s.VerifySignature(string(m[1]), file, sig) != nil {
		writeJSON(w, http.StatusOK, map[string]string{"msg": SignatureNOKText})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"msg": SignatureOKText})
}

// invoicePDF renders a one-page PDF 1.4 (Helvetica, WinAnsi-safe ASCII)
// summarising doc: number, date, parties, total; best effort when doc does
// not parse. Hand-written objects with a correct xref table.
func invoicePDF(doc []byte) []byte {
	lines := []string{"RO e-Factura - reprezentare vizuala (simulator ANAF, document fara valoare legala)", ""}
	if inv, err := invoice.Parse(doc); err == nil {
		kind := "Factura"
		if inv.DocumentType == invoice.DocCreditNote {
			kind = "Factura storno (nota de credit)"
		}
		lines = append(lines,
			fmt.Sprintf("%s nr. %s din %s", kind, inv.Number, inv.IssueDate),
			fmt.Sprintf("Furnizor: %s (CIF %s)", inv.Seller.Name, invoice.PartyCIF(inv.Seller)),
			fmt.Sprintf("Client: %s (CIF %s)", inv.Buyer.Name, invoice.PartyCIF(inv.Buyer)),
			fmt.Sprintf("Linii: %d", len(inv.Lines)),
			fmt.Sprintf("Total fara TVA: %s %s", inv.Totals.TaxExclusive, inv.Currency),
			fmt.Sprintf("TVA: %s %s", inv.Totals.VAT, inv.Currency),
			fmt.Sprintf("Total de plata: %s %s", inv.Totals.Payable, inv.Currency))
	} else {
		lines = append(lines, "Documentul XML nu a putut fi citit (transformare fara validare).")
	}
	var content bytes.Buffer
	content.WriteString("BT /F1 11 Tf 14 TL 50 800 Td\n")
	for _, l := range lines {
		content.WriteString("(" + pdfText(l) + ") Tj T*\n")
	}
	content.WriteString("ET\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// pdfText transliterates Romanian diacritics to ASCII, drops other
// non-ASCII runes and escapes PDF string delimiters.
func pdfText(s string) string {
	repl := strings.NewReplacer("ă", "a", "â", "a", "î", "i", "ș", "s", "ş", "s", "ț", "t", "ţ", "t",
		"Ă", "A", "Â", "A", "Î", "I", "Ș", "S", "Ş", "S", "Ț", "T", "Ţ", "T", "–", "-", "\\", "\\\\", "(", "\\(", ")", "\\)")
	s = repl.Replace(s)
	var b strings.Builder
	for _, r := range s {
		if r >= 32 && r < 127 {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}
