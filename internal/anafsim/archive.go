package anafsim

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/invoice"
)

// SignatureMethodEd25519 is the XMLDSig SignatureMethod of simulator
// signatures (RFC 9231); ANAF's real ones are RSA.
const SignatureMethodEd25519 = "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed25519"

// selfSignedCert makes the simulator's fake "Ministry of Finance" certificate,
// deterministic for a given key (fixed template, Ed25519 signs deterministically).
func selfSignedCert(key ed25519.PrivateKey) ([]byte, error) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "ANAF simulator - Ministerul Finantelor (FAKE)", Country: []string{"RO"}},
		NotBefore:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("anafsim: signing certificate: %w", err)
	}
	return der, nil
}

// Certificate returns the simulator's signing certificate (self-signed,
// Ed25519), the one embedded in every semnatura_<index>.xml.
func (s *Server) Certificate() *x509.Certificate {
	c, err := x509.ParseCertificate(s.cert)
	if err != nil {
		panic(err) // made by selfSignedCert; cannot fail
	}
	return c
}

// signedInfo is the exact SignedInfo element whose bytes are signed.
func signedInfo(index string, doc []byte) string {
	sum := sha256.Sum256(doc)
	return `<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#">` +
		`<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>` +
		`<SignatureMethod Algorithm="` + SignatureMethodEd25519 + `"/>` +
		`<Reference URI="` + index + `.xml">` +
		`<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>` +
		`<DigestValue>` + base64.StdEncoding.EncodeToString(sum[:]) + `</DigestValue>` +
		`</Reference></SignedInfo>`
}

// signatureXML builds semnatura_<index>.xml: a detached XMLDSig whose
// DigestValue is base64(SHA-256(doc)) and whose SignatureValue is the
// Ed25519 signature of the SignedInfo element bytes as written (with its
// xmlns, i.e. its exclusive canonical form).
func (s *Server) signatureXML(index string, doc []byte) []byte {
	si := signedInfo(index, doc)
	sig := ed25519.Sign(s.key, []byte(si))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`)
	b.WriteString(strings.Replace(si, ` xmlns="http://www.w3.org/2000/09/xmldsig#"`, "", 1))
	b.WriteString(`<SignatureValue>` + base64.StdEncoding.EncodeToString(sig) + `</SignatureValue>`)
	b.WriteString(`<KeyInfo><X509Data><X509Certificate>` + base64.StdEncoding.EncodeToString(s.cert) +
		`</X509Certificate></X509Data></KeyInfo></Signature>` + "\n")
	return []byte(b.String())
}

// VerifySignature checks a semnatura_<index>.xml made by this simulator
// against the document bytes: digest and Ed25519 signature. Errors describe
// the first mismatch.
func (s *Server) VerifySignature(index string, doc, signature []byte) error {
	si := signedInfo(index, doc)
	inner := strings.Replace(si, ` xmlns="http://www.w3.org/2000/09/xmldsig#"`, "", 1)
	if !strings.Contains(string(signature), inner) {
		return fmt.Errorf("anafsim: signature: SignedInfo/digest does not match the document")
	}
	start := strings.Index(string(signature), "<SignatureValue>")
	end := strings.Index(string(signature), "</SignatureValue>")
	if start < 0 || end < start {
		return fmt.Errorf("anafsim: signature: no SignatureValue")
	}
	sig, err := base64.StdEncoding.DecodeString(string(signature[start+len("<SignatureValue>") : end]))
	if err != nil {
		return fmt.Errorf("anafsim: signature: %w", err)
	}
	if !ed25519.Verify(s.key.Public().(ed25519.PublicKey), []byte(si), sig) {
		return fmt.Errorf("anafsim: signature: SignatureValue does not verify")
	}
	return nil
}

// zipLocked builds the deterministic ZIP of archive a.
func (s *Server) zipLocked(a *archive) ([]byte, error) {
	return s.buildZIP(a, s.docs[a.DocHash])
}

// buildZIP builds the deterministic ZIP of archive a with its document
// doc; it reads no mutable state of s (descarcare builds outside s.mu).
func (s *Server) buildZIP(a *archive, doc []byte) ([]byte, error) {
	z, err := invoice.BuildArchive(a.UploadIndex, doc, s.signatureXML(a.UploadIndex, doc))
	if err != nil {
		return nil, fmt.Errorf("anafsim: archive %s: %w", a.DownloadID, err)
	}
	return z, nil
}

// errorsXML is file 1 of an ERORI FACTURA ZIP (API.md §5; namespace typo is ANAF's).
// Several errors are several Error elements, in order.
func errorsXML(index, cif string, texts ...string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<header xmlns="mfp:anaf:dgti:efactura:mesajEroriFactuta:v1" Index_incarcare="` + index +
		`" Cif_emitent="` + cif + `">` + "\n")
	for _, t := range texts {
		b.WriteString(`    <Error errorMessage="` + xmlAttr(t) + `"/>` + "\n")
	}
	b.WriteString("</header>\n")
	return []byte(b.String())
}
