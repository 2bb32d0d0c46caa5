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
// resolved. Only what the extractors need is kept, compactly: parsing
// memory is bounded to a few times the document (BenchmarkParseMemory).
// Nodes are allocated in blocks; children are a linked list; text is,
// when no entity or carriage return needed decoding, a sub-slice of the
// document (never appended to in place).
type node struct {
	space, local string
	attrs        []xml.Attr // resolved names; namespace declarations dropped
	first, next  *node      // first child; next sibling
	text         []byte     // character data directly inside a leaf element (nil for a container)
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
	for k := n.first; k != nil; k = k.next {
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
	for k := n.first; k != nil; k = k.next {
		if k.local == local && k.space == space {
			out = append(out, k)
		}
	}
	return out
}

// count returns how many child elements have the given name.
func (n *node) count(space, local string) int {
	c := 0
	for k := n.first; n != nil && k != nil; k = k.next {
		if k.local == local && k.space == space {
			c++
		}
	}
	return c
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
	return string(bytes.TrimSpace(n.text))
}

// decodeOptions tune parseXML.
type decodeOptions struct {
	rootOnly bool // stop at the root start tag (used to sniff a document's type)
}

// parseXML reads data into a tree, refusing DOCTYPE/ENTITY declarations,
// documents over MaxDocumentSize bytes or MaxDepth levels, invalid UTF-8,
// unbound prefixes and anything not well-formed. Every error is a
// *ParseError.
//
// A UTF-8 document within a conservative subset of XML (ASCII names, the
// five predefined entities, comments, an XML declaration naming UTF-8 or
// no encoding) is read by scanFast, which allocates little; anything else
// (another encoding, CDATA, character references, processing
// instructions, a construct to refuse or an error) is read by
// encoding/xml (parseStd), which also words every error. Both build the
// same tree (FuzzParseXMLPaths).
func parseXML(data []byte, opt decodeOptions) (*node, error) {
	if len(data) > MaxDocumentSize {
		return nil, parseErrorf("document is %d bytes, larger than the %d MB limit", len(data), MaxDocumentSize>>20)
	}
	if root, ok := scanFast(data, opt); ok {
		return root, nil
	}
	return parseStd(data, opt)
}

// builder assembles the tree for both readers: nodes in blocks, names
// and short attribute values interned, namespace scopes on a stack.
type builder struct {
	stack  []frame
	root   *node
	block  []node
	bsize  int
	intern map[string]string
}

type frame struct {
	rawSpace, rawLocal string            // name as written, to match the end tag
	n                  *node             // the element
	last               *node             // its last child so far
	scope              map[string]string // prefix -> URI declared on this element ("" = default)
}

func newBuilder(docSize int) *builder {
	// About one element per 48 bytes of document: the first block holds
	// them all for most documents, without over-allocating small ones.
	return &builder{bsize: min(max(docSize/48, 16), 4096), intern: map[string]string{}}
}

// str returns b as a string, shared with earlier equal ones when short
// (names, currency and unit codes …).
func (bl *builder) str(b []byte) string {
	if len(b) > 32 {
		return string(b)
	}
	if s, ok := bl.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	bl.intern[s] = s
	return s
}

func (bl *builder) newNode() *node {
	if len(bl.block) == cap(bl.block) {
		bl.block = make([]node, 0, bl.bsize)
	}
	bl.block = bl.block[:len(bl.block)+1]
	return &bl.block[len(bl.block)-1]
}

// lookup resolves a prefix in the open elements' scopes.
func (bl *builder) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return nsXML, true
	}
	for i := len(bl.stack) - 1; i >= 0; i-- {
		if uri, ok := bl.stack[i].scope[prefix]; ok {
			return uri, true
		}
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

// start opens an element whose attributes (raw names) are attrs; the
// returned error is nil, or why it is refused (errTooDeep, an unbound
// prefix).
func (bl *builder) start(rawSpace, rawLocal string, attrs []xml.Attr) error {
	if bl.root != nil && len(bl.stack) == 0 {
		return parseErrorf("XML is not well-formed: element <%s> after the root element", rawName(xml.Name{Space: rawSpace, Local: rawLocal}))
	}
	if len(bl.stack) >= MaxDepth {
		return parseErrorf("document nests deeper than %d levels", MaxDepth)
	}
	f := frame{rawSpace: rawSpace, rawLocal: rawLocal}
	nattrs := 0
	for _, a := range attrs {
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
		default:
			nattrs++
		}
	}
	bl.stack = append(bl.stack, f)
	top := &bl.stack[len(bl.stack)-1]
	space, ok := bl.lookup(rawSpace)
	if !ok {
		return parseErrorf("XML is not well-formed: unbound prefix %q on <%s>", rawSpace, rawName(xml.Name{Space: rawSpace, Local: rawLocal}))
	}
	n := bl.newNode()
	n.space, n.local = space, rawLocal
	if nattrs > 0 {
		n.attrs = make([]xml.Attr, 0, nattrs)
	}
	for _, a := range attrs {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		as := ""
		if a.Name.Space != "" {
			if as, ok = bl.lookup(a.Name.Space); !ok {
				return parseErrorf("XML is not well-formed: unbound prefix %q on attribute %s", a.Name.Space, rawName(a.Name))
			}
		}
		n.attrs = append(n.attrs, xml.Attr{Name: xml.Name{Space: as, Local: a.Name.Local}, Value: a.Value})
	}
	top.n = n
	if len(bl.stack) == 1 {
		bl.root = n
		return nil
	}
	parent := &bl.stack[len(bl.stack)-2]
	if parent.last == nil {
		parent.n.first = n
	} else {
		parent.last.next = n
	}
	parent.last = n
	return nil
}

// end closes the innermost element, which must be named rawSpace:rawLocal.
func (bl *builder) end(rawSpace, rawLocal string) error {
	if len(bl.stack) == 0 {
		return parseErrorf("XML is not well-formed: unexpected </%s>", rawName(xml.Name{Space: rawSpace, Local: rawLocal}))
	}
	top := bl.stack[len(bl.stack)-1]
	if top.rawSpace != rawSpace || top.rawLocal != rawLocal {
		return parseErrorf("XML is not well-formed: <%s> closed by </%s>", rawName(xml.Name{Space: top.rawSpace, Local: top.rawLocal}),
			rawName(xml.Name{Space: rawSpace, Local: rawLocal}))
	}
	if top.n.first != nil {
		top.n.text = nil // container: only whitespace between children matters not
	}
	bl.stack = bl.stack[:len(bl.stack)-1]
	return nil
}

// chars adds character data t (owned by the caller if owned, else to be
// copied before it is kept) to the innermost element. Leading
// whitespace-only runs are dropped: every reader of text trims it.
func (bl *builder) chars(t []byte, owned bool) error {
	if len(bl.stack) == 0 {
		if len(bytes.TrimSpace(t)) > 0 {
			return parseErrorf("XML is not well-formed: text outside the root element")
		}
		return nil
	}
	n := bl.stack[len(bl.stack)-1].n
	switch {
	case len(n.text) == 0 && len(bytes.TrimSpace(t)) == 0:
	case len(n.text) == 0 && owned:
		n.text = t[:len(t):len(t)] // a later run is appended to a copy
	default:
		n.text = append(n.text[:len(n.text):len(n.text)], t...)
	}
	return nil
}

// parseStd reads data with encoding/xml (the general reader).
func parseStd(data []byte, opt decodeOptions) (*node, error) {
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

	bl := newBuilder(len(data))
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
			if err := bl.start(t.Name.Space, t.Name.Local, t.Attr); err != nil {
				return nil, err
			}
			if len(bl.stack) == 1 && opt.rootOnly {
				return bl.root, nil
			}
		case xml.EndElement:
			if err := bl.end(t.Name.Space, t.Name.Local); err != nil {
				return nil, err
			}
		case xml.CharData:
			if err := bl.chars(t, false); err != nil {
				return nil, err
			}
		case xml.Directive:
			return nil, parseErrorf("DOCTYPE and ENTITY declarations are refused (found <!%s>)", firstWord(t))
		case xml.Comment, xml.ProcInst:
			// ignored
		}
	}
	if len(bl.stack) > 0 {
		top := bl.stack[len(bl.stack)-1]
		return nil, parseErrorf("XML is not well-formed: document ends inside <%s>", rawName(xml.Name{Space: top.rawSpace, Local: top.rawLocal}))
	}
	if bl.root == nil {
		return nil, parseErrorf("XML is not well-formed: no root element")
	}
	if !transcoded && !utf8.Valid(data) {
		return nil, parseErrorf("document is not valid UTF-8")
	}
	return bl.root, nil
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
