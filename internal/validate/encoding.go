package validate

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// declEncoding is the encoding named by an XML declaration.
var declEncoding = regexp.MustCompile(`^<\?xml\s[^?]*?encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']`)

// toUTF8 is doc in UTF-8, as an XML parser must read it (and as the XSD
// layer does): a UTF-16 document (with its byte order mark) and one whose
// XML declaration names another encoding (ISO-8859-2 and windows-1250 occur
// in Romanian invoices) are decoded, with the encoding names the XSD layer
// accepts. decoded says the declaration no longer describes the bytes.
func toUTF8(doc []byte) (out []byte, decoded bool, err error) {
	if bytes.HasPrefix(doc, []byte{0xFF, 0xFE}) || bytes.HasPrefix(doc, []byte{0xFE, 0xFF}) {
		out, _, err := transform.Bytes(unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder(), doc)
		if err != nil {
			return nil, false, fmt.Errorf("invalid UTF-16: %w", err)
		}
		return out, true, nil
	}
	m := declEncoding.FindSubmatch(bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf")))
	if m == nil {
		return doc, false, nil
	}
	label := strings.ToLower(string(m[1]))
	if label == "utf-8" || label == "utf8" {
		return doc, false, nil
	}
	enc, name := charset.Lookup(label)
	switch {
	case enc == nil:
		return nil, false, fmt.Errorf("unsupported encoding %q", m[1])
	case name == "utf-8":
		return doc, false, nil
	}
	out, _, err = transform.Bytes(enc.NewDecoder(), doc)
	if err != nil {
		return nil, false, fmt.Errorf("not %s: %w", m[1], err)
	}
	return out, true, nil
}
