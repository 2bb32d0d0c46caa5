package validate

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// TestDeclaredEncoding: a document in ISO-8859-2 or windows-1250 (declared
// in its XML declaration) or in UTF-16 gets the report of the same document
// in UTF-8: both layers decode it; an unknown encoding is an XML error.
func TestDeclaredEncoding(t *testing.T) {
	docs := map[string][]byte{"inline": []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:ID>Factură ășțîâ ŞŢ</cbc:ID><cbc:Note>Bucureşti</cbc:Note></Invoice>`)}
	for _, name := range []string{"anaf-eInvoice_ex-v101.xml", "romfast-cu_BT_descriere2.xml"} {
		if data, err := os.ReadFile(filepath.Join(sharedDir, "corpus", "ciusro", name)); err == nil {
			docs[name] = data
		}
	}
	encodings := map[string]encoding.Encoding{"ISO-8859-2": charmap.ISO8859_2, "windows-1250": charmap.Windows1250}
	for name, utf8Doc := range docs {
		for label, enc := range encodings {
			// the characters the charset lacks become character references
			encoded, err := encoding.HTMLEscapeUnsupported(enc.NewEncoder()).Bytes(utf8Doc)
			if err != nil {
				t.Fatal(err)
			}
			decoded, err := enc.NewDecoder().Bytes(encoded)
			if err != nil {
				t.Fatal(err)
			}
			encoded = setEncoding(encoded, label)
			want, err1 := Validate(setEncoding(decoded, "UTF-8"), ProfileRO)
			got, err2 := Validate(encoded, ProfileRO)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s in %s: %v %v", name, label, err1, err2)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s in %s: report %+v\nin UTF-8 %+v", name, label, got, want)
			}
		}
		utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(setEncoding(utf8Doc, "UTF-16"))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := Validate(setEncoding(utf8Doc, "UTF-8"), ProfileRO)
		if got, err := Validate(utf16, ProfileRO); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s in UTF-16: report %+v (%v)\nin UTF-8 %+v", name, got, err, want)
		}
	}
	r, err := Validate(setEncoding(docs["inline"], "x-no-such-charset"), ProfileRO)
	if err != nil || r.Valid || len(r.Errors) != 1 || r.Errors[0].ID != "XML" {
		t.Errorf("unknown encoding: %+v %v", r, err)
	}
}

// setEncoding gives doc an XML declaration naming label.
func setEncoding(doc []byte, label string) []byte {
	doc = bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(doc, []byte("<?xml")) {
		doc = doc[bytes.Index(doc, []byte("?>"))+2:]
	}
	return append([]byte(`<?xml version="1.0" encoding="`+label+`"?>`), strings.TrimLeft(string(doc), "\r\n")...)
}
