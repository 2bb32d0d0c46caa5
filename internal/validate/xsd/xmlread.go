// Reading the document as XML: encodings, and the well-formedness checks
// encoding/xml leaves out.

package xsd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// open sets up the decoder: a byte order mark (UTF-8 or UTF-16) is honoured,
// and a declared encoding other than UTF-8 is transcoded, as an XML parser
// must (ISO-8859-2 and windows-1250 occur in Romanian invoices).
func (c *checker) open(doc []byte) error {
	utf16Input := false
	switch {
	case bytes.HasPrefix(doc, []byte{0xEF, 0xBB, 0xBF}):
		doc = doc[3:]
	case bytes.HasPrefix(doc, []byte{0xFF, 0xFE}), bytes.HasPrefix(doc, []byte{0xFE, 0xFF}):
		out, _, err := transform.Bytes(unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder(), doc)
		if err != nil {
			return fmt.Errorf("invalid UTF-16: %w", err)
		}
		doc, utf16Input = out, true
	}
	c.doc = doc
	c.dec = xml.NewDecoder(bytes.NewReader(as10(doc)))
	c.dec.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		label = strings.ToLower(strings.TrimSpace(label))
		if utf16Input && strings.HasPrefix(label, "utf-16") {
			return input, nil // already converted above
		}
		enc, name := charset.Lookup(label)
		switch {
		case enc == nil:
			return nil, fmt.Errorf("unsupported encoding %q", label)
		case name == "utf-8":
			return input, nil
		}
		return transform.NewReader(input, enc.NewDecoder()), nil
	}
	return nil
}

// xmlDecl is the grammar of the XML declaration (encoding/xml reads it
// without checking it).
var xmlDecl = regexp.MustCompile(`^\s*version\s*=\s*("1\.[01]"|'1\.[01]')` +
	`(\s+encoding\s*=\s*("[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?` +
	`(\s+standalone\s*=\s*("yes"|"no"|'yes'|'no'))?\s*$`)

// xml11 is an XML 1.1 declaration's start.
var xml11 = regexp.MustCompile(`^<\?xml\s+version\s*=\s*["']1\.1["']`)

// as10 reads an XML 1.1 document as XML 1.0 (encoding/xml reads 1.0 only),
// as the reference's parser accepts both: their differences (C1 controls,
// NEL line ends) do not occur in invoices.
func as10(doc []byte) []byte {
	m := xml11.Find(doc)
	if m == nil {
		return doc
	}
	out := append([]byte(nil), doc...)
	copy(out[len(m)-4:], "1.0")
	return out
}

// checkProcInst refuses a misplaced or malformed XML declaration and the
// other targets the XML spec reserves.
func checkProcInst(t xml.ProcInst, offset int64) error {
	switch {
	case t.Target == "xml" && offset == 0:
		if !xmlDecl.Match(t.Inst) {
			return errors.New("malformed XML declaration")
		}
	case strings.EqualFold(t.Target, "xml"):
		return errors.New("the XML declaration is not at the start of the document")
	}
	return nil
}

// checkCharRefs refuses character references to surrogates, which
// encoding/xml turns into U+FFFD instead of refusing (it refuses the other
// characters XML does not allow). It runs only when a decoded text or
// attribute holds U+FFFD, so a reference inside a comment or CDATA section
// matters only then.
func checkCharRefs(doc []byte) error {
	for i := 0; ; {
		j := bytes.Index(doc[i:], []byte("&#"))
		if j < 0 {
			return nil
		}
		i += j + 2
		end := bytes.IndexByte(doc[i:], ';')
		if end < 0 {
			return nil // encoding/xml reports it
		}
		ref := string(doc[i : i+end])
		var v uint64
		var err error
		if strings.HasPrefix(ref, "x") {
			v, err = strconv.ParseUint(ref[1:], 16, 32)
		} else {
			v, err = strconv.ParseUint(ref, 10, 32)
		}
		if err == nil && v >= 0xD800 && v <= 0xDFFF {
			return fmt.Errorf("character reference &#%s; is not an XML character", ref)
		}
	}
}

// validName refuses names encoding/xml lets through: a prefix or local part
// starting with a digit, '-' or '.'.
func validName(n xml.Name) bool {
	for _, part := range []string{n.Space, n.Local} {
		if part != "" && (isDigit(part[0]) || part[0] == '-' || part[0] == '.') {
			return false
		}
	}
	return n.Local != ""
}

type doctypeError struct{}

func (doctypeError) Error() string { return "the document has a DOCTYPE, which is refused" }
