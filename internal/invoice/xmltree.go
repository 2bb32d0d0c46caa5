package invoice

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Limits applied to every XML document this package reads.
const (
	// MaxDocumentSize is the largest XML document accepted, in bytes (50 MB).
	MaxDocumentSize = 50 << 20
	// MaxUploadSize is ANAF's upload limit for one invoice file, 10 MB
	// (10485760 bytes): the command line refuses larger files before
	// reading them (efactura parse, render).
	MaxUploadSize = 10 << 20
	// MaxDepth is the deepest element nesting accepted. UBL invoices
	// rarely exceed 10 levels.
	MaxDepth = 64
)

// Namespace URIs.
const (
	nsInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	nsCBC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
	nsCAC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	nsXMLDSig    = "http://www.w3.org/2000/09/xmldsig#"
	nsANAFErrors = "mfp:anaf:dgti:efactura:mesajEroriFactuta:v1"
	nsXML        = "http://www.w3.org/XML/1998/namespace"
)

// ParseError reports content this package cannot accept: XML that is not
// well-formed, refused constructs (DOCTYPE, excessive depth or size,
// invalid UTF-8), a root element that is not the expected document, or a
// ZIP archive that is not an ANAF archive. Any other error returned by the
// package (there are few) is an internal or I/O failure.
type ParseError struct {
	Msg string // human-readable reason, e.g. "root Foo is not a UBL 2.1 Invoice or CreditNote"
	Err error  // underlying cause (e.g. *xml.SyntaxError), may be nil
}

// Error returns "invoice: <Msg>[: <cause>]".
func (e *ParseError) Error() string {
	if e.Err != nil {
		return "invoice: " + e.Msg + ": " + e.Err.Error()
	}
	return "invoice: " + e.Msg
}

// Unwrap returns the underlying cause.
func (e *ParseError) Unwrap() error { return e.Err }

func parseErrorf(format string, args ...any) *ParseError {
	return &ParseError{Msg: fmt.Sprintf(format, args...)}
}

// node is one element of a parsed XML document, with namespace URIs
// resolved. Only what the extractors need is kept.
type node struct {
	space, local string
	attrs        []xml.Attr // resolved names; namespace declarations dropped
	kids         []*node
	text         []byte // character data directly inside the element
}

// name returns "{space}local" or "local".
func (n *node) name() string {
	if n.space == "" {
		return n.local
	}
	return "{" + n.space + "}" + n.local
}

// child returns the first child element with the given name, or nil.
func (n *node) child(space, local string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.local == local && k.space == space {
			return k
		}
	}
	return nil
}

// all returns every child element with the given name.
func (n *node) all(space, local string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.local == local && k.space == space {
			out = append(out, k)
		}
	}
	return out
}

// attr returns the value of the un-namespaced attribute local ("" when absent).
func (n *node) attr(local string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// value returns the trimmed character content of n ("" for nil).
func (n *node) value() string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(string(n.text))
}

// decodeOptions tune parseXML.
type decodeOptions struct {
	rootOnly bool // stop at the root start tag (used to sniff a document's type)
}

// parseXML reads data into a tree, refusing DOCTYPE/ENTITY declarations,
// documents over MaxDocumentSize bytes or MaxDepth levels, invalid UTF-8,
// unbound prefixes and anything not well-formed. Every error is a
// *ParseError.
func parseXML(data []byte, opt decodeOptions) (*node, error) {
	if len(data) > MaxDocumentSize {
		return nil, parseErrorf("document is %d bytes, larger than the %d MB limit", len(data), MaxDocumentSize>>20)
	}
	utf16Input := false
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		out, _, err := transform.Bytes(dec, data)
		if err != nil {
			return nil, &ParseError{Msg: "invalid UTF-16", Err: err}
		}
		data, utf16Input = out, true
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, parseErrorf("empty document")
	}

	transcoded := false
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		label = strings.ToLower(strings.TrimSpace(label))
		if utf16Input && strings.HasPrefix(label, "utf-16") {
			return input, nil // already converted to UTF-8 above
		}
		enc, name := charset.Lookup(label)
		if enc == nil {
			return nil, fmt.Errorf("unsupported encoding %q", label)
		}
		if name == "utf-8" {
			return input, nil
		}
		transcoded = true
		return transform.NewReader(input, enc.NewDecoder()), nil
	}

	type frame struct {
		raw   xml.Name          // name as written, to match the end tag
		n     *node             // the element
		scope map[string]string // prefix -> URI declared on this element ("" = default)
	}
	var (
		stack []frame
		root  *node
	)
	lookup := func(prefix string) (string, bool) {
		if prefix == "xml" {
			return nsXML, true
		}
		for i := len(stack) - 1; i >= 0; i-- {
			if uri, ok := stack[i].scope[prefix]; ok {
				return uri, true
			}
		}
		if prefix == "" {
			return "", true
		}
		return "", false
	}

	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &ParseError{Msg: "XML is not well-formed", Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, parseErrorf("XML is not well-formed: element <%s> after the root element", rawName(t.Name))
			}
			if len(stack) >= MaxDepth {
				return nil, parseErrorf("document nests deeper than %d levels", MaxDepth)
			}
			f := frame{raw: t.Name}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					if f.scope == nil {
						f.scope = map[string]string{}
					}
					f.scope[a.Name.Local] = a.Value
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					if f.scope == nil {
						f.scope = map[string]string{}
					}
					f.scope[""] = a.Value
				}
			}
			stack = append(stack, f)
			top := &stack[len(stack)-1]
			space, ok := lookup(t.Name.Space)
			if !ok {
				return nil, parseErrorf("XML is not well-formed: unbound prefix %q on <%s>", t.Name.Space, rawName(t.Name))
			}
			n := &node{space: space, local: t.Name.Local}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				as := ""
				if a.Name.Space != "" {
					if as, ok = lookup(a.Name.Space); !ok {
						return nil, parseErrorf("XML is not well-formed: unbound prefix %q on attribute %s", a.Name.Space, rawName(a.Name))
					}
				}
				n.attrs = append(n.attrs, xml.Attr{Name: xml.Name{Space: as, Local: a.Name.Local}, Value: a.Value})
			}
			top.n = n
			if len(stack) == 1 {
				root = n
				if opt.rootOnly {
					return root, nil
				}
			} else {
				parent := stack[len(stack)-2].n
				parent.kids = append(parent.kids, n)
			}
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, parseErrorf("XML is not well-formed: unexpected </%s>", rawName(t.Name))
			}
			top := stack[len(stack)-1]
			if top.raw != t.Name {
				return nil, parseErrorf("XML is not well-formed: <%s> closed by </%s>", rawName(top.raw), rawName(t.Name))
			}
			if len(top.n.kids) > 0 {
				top.n.text = nil // container: only whitespace between children matters not
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, parseErrorf("XML is not well-formed: text outside the root element")
				}
				continue
			}
			n := stack[len(stack)-1].n
			n.text = append(n.text, t...)
		case xml.Directive:
			return nil, parseErrorf("DOCTYPE and ENTITY declarations are refused (found <!%s>)", firstWord(t))
		case xml.Comment, xml.ProcInst:
			// ignored
		}
	}
	if len(stack) > 0 {
		return nil, parseErrorf("XML is not well-formed: document ends inside <%s>", rawName(stack[len(stack)-1].raw))
	}
	if root == nil {
		return nil, parseErrorf("XML is not well-formed: no root element")
	}
	if !transcoded && !utf8.Valid(data) {
		return nil, parseErrorf("document is not valid UTF-8")
	}
	return root, nil
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func firstWord(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexAny(s, " \t\r\n["); i >= 0 {
		s = s[:i]
	}
	if len(s) > 20 {
		s = s[:20]
	}
	return s
}
