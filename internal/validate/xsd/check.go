// Package xsd checks a UBL 2.1 Invoice or CreditNote against the OASIS UBL
// 2.1 schemas without a schema engine: a generator (./gen) compiles the
// xsdrt schemas into tables (tables_gen.go) and Check walks the document's
// tokens once against them. It checks element order, unknown elements,
// occurrences, the attributes each leaf allows or requires, and the lexical
// form of the built-in types UBL's data types use (decimal, date, time,
// boolean, base64Binary, language).
//
// Issues carry the pseudo rule ids of the reference tables: XSD for a
// schema violation, XML for a document that is not well-formed (or empty),
// XML-DOCTYPE for a document with a DOCTYPE, which is refused unread.
//
// Fidelity is measured against JAXP (the reference validator's XSD engine):
// TestConformance (the 1,195 documents of expected-rules.tsv),
// TestJAXPMutations (1,475 mutants of the corpus) and TestJAXPCases (208
// edge cases). The signature schemas (UBL sig/sac/sbc, xmldsig, XAdES) are
// compiled too, to automata (their content models nest choices and
// wildcards), so a signature in ext:ExtensionContent is checked as JAXP
// checks it. Known differences: XML 1.1 documents are refused (encoding/xml
// reads 1.0 only); xsi:type is accepted unchecked; xsd:ID values are checked
// as ASCII NCNames with any non-ASCII character accepted.
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

// Pseudo rule ids of the issues.
const (
	IDSchema  = "XSD"
	IDXML     = "XML"
	IDDoctype = "XML-DOCTYPE"
)

// Issue is one finding.
type Issue struct {
	ID       string // IDSchema, IDXML or IDDoctype
	Location string // an XPath to the element, prefixes as written: /Invoice[1]/cac:InvoiceLine[2]/cbc:ID[1]
	Line     int    // 1-based line where JAXP reports it: the start tag, or the end tag for a value or missing content
	Message  string
}

// ErrNotXML is returned (wrapped) with the XML or XML-DOCTYPE issue when the
// document cannot be read as XML at all; the issue is in the slice as well.
var ErrNotXML = errors.New("xsd: not a well-formed XML document")

// maxIssues bounds the report: one broken document should not produce
// thousands of lines.
const maxIssues = 100

const (
	xsiNS = "http://www.w3.org/2001/XMLSchema-instance"
	xmlNS = "http://www.w3.org/XML/1998/namespace"
)

// Element handling modes of a frame.
const (
	modeStrict = iota // typ is the element's type
	modeLax           // inside ext:ExtensionContent: known global elements are checked
	modeSkip          // not checked (its error is already reported)
)

type binding struct{ prefix, uri string }

type childCount struct {
	ns         int
	uri, local string // uri only for another namespace (ns -1)
	n          int
}

type frame struct {
	raw      xml.Name // as written, to match the end tag
	bindings int      // namespace bindings this element declared
	pathLen  int      // length of path before this element
	line     int
	mode     int
	typ      int
	pos, n   int  // sequence position, occurrences of seq[pos] so far
	broken   bool // content model already reported
	textBad  bool // element-only content already reported for text
	// childInLeaf is the first child element of a leaf (simple content)
	childInLeaf string
	children    int // where this element's child counts start in checker.counts
}

type checker struct {
	dec      *xml.Decoder
	issues   []Issue
	bindings []binding
	stack    []frame
	path     []byte
	counts   []childCount   // per open element, its children seen by name (for positions)
	text     []byte         // the value of the open leaf
	attrs    []resolvedAttr // the current start tag's attributes
	sawRoot  bool
	rootDone bool
	doc      []byte // the input, for checkCharRefs
	sawFFFD  bool   // a decoded text or attribute held U+FFFD
	ids      map[string]bool
}

// Check validates doc. Issues are nil for a schema-valid document. A document
// that is not well-formed gives one XML (or XML-DOCTYPE) issue and an error
// wrapping ErrNotXML.
func Check(doc []byte) ([]Issue, error) {
	c := &checker{}
	err := c.open(doc)
	if err == nil {
		err = c.run()
	}
	if err != nil {
		id := IDXML
		var dt doctypeError
		if errors.As(err, &dt) {
			id = IDDoctype
		}
		line := 1
		if c.dec != nil {
			line, _ = c.dec.InputPos()
		}
		c.issues = []Issue{{ID: id, Line: line, Message: err.Error()}}
		return c.issues, fmt.Errorf("%w: %w", ErrNotXML, err)
	}
	return c.issues, nil
}

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
	c.dec = xml.NewDecoder(bytes.NewReader(doc))
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
var xmlDecl = regexp.MustCompile(`^\s*version\s*=\s*("1\.0"|'1\.0')` +
	`(\s+encoding\s*=\s*("[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?` +
	`(\s+standalone\s*=\s*("yes"|"no"|'yes'|'no'))?\s*$`)

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

// run reads every token; an error means the document is not well-formed.
func (c *checker) run() error {
	for {
		offset := c.dec.InputOffset()
		tok, err := c.dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if err := checkProcInst(t, offset); err != nil {
				return err
			}
		case xml.StartElement:
			if err := c.start(t); err != nil {
				return err
			}
		case xml.EndElement:
			if err := c.end(t); err != nil {
				return err
			}
		case xml.CharData:
			if err := c.chars(t); err != nil {
				return err
			}
		case xml.Directive:
			if bytes.HasPrefix(t, []byte("DOCTYPE")) {
				return doctypeError{}
			}
			return errors.New("unexpected markup declaration")
		}
	}
	switch {
	case len(c.stack) > 0:
		return fmt.Errorf("unexpected end of document inside <%s>", rawName(c.stack[len(c.stack)-1].raw))
	case !c.sawRoot:
		return errors.New("no root element")
	case c.sawFFFD:
		return checkCharRefs(c.doc)
	}
	return nil
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func (c *checker) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return xmlNS, true
	}
	for i := len(c.bindings) - 1; i >= 0; i-- {
		if c.bindings[i].prefix == prefix {
			return c.bindings[i].uri, true
		}
	}
	return "", prefix == ""
}

// The namespaces Check refers to by name.
var (
	nsInvoice    = nsIndex("urn:oasis:names:specification:ubl:schema:xsd:Invoice-2")
	nsCreditNote = nsIndex("urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2")
	nsExt        = nsIndex("urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2")
)

// nsIndex is the index of uri in namespaces, -1 for another namespace and
// -2 for no namespace.
func nsIndex(uri string) int {
	if uri == "" {
		return -2
	}
	for i := range namespaces {
		if namespaces[i].uri == uri {
			return i
		}
	}
	return -1
}

func (c *checker) issue(line int, format string, args ...any) {
	if len(c.issues) >= maxIssues {
		return
	}
	c.issues = append(c.issues, Issue{ID: IDSchema, Location: string(c.path), Line: line, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) start(t xml.StartElement) error {
	if c.rootDone {
		return errors.New("content after the root element")
	}
	if !validName(t.Name) {
		return fmt.Errorf("%q is not an XML name", rawName(t.Name))
	}
	line, _ := c.dec.InputPos()
	f := frame{raw: t.Name, pathLen: len(c.path), line: line}
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			if a.Value == "" {
				return fmt.Errorf("prefix %s bound to no namespace", a.Name.Local)
			}
			c.bindings = append(c.bindings, binding{a.Name.Local, a.Value})
			f.bindings++
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			c.bindings = append(c.bindings, binding{"", a.Value})
			f.bindings++
		}
	}
	uri, ok := c.lookup(t.Name.Space)
	if !ok {
		return fmt.Errorf("undeclared namespace prefix %q", t.Name.Space)
	}
	name := qname{ns: nsIndex(uri), local: t.Name.Local}
	attrs, err := c.resolveAttrs(t.Attr)
	if err != nil {
		return err
	}
	c.place(&f, name, t.Name)
	f.children = len(c.counts) // after place counted f among its parent's children
	if f.mode == modeStrict {
		c.checkAttrs(&f, attrs)
	}
	c.text = c.text[:0]
	c.stack = append(c.stack, f)
	return nil
}

// place decides the new element's type from its parent and writes its path.
func (c *checker) place(f *frame, name qname, raw xml.Name) {
	if len(c.stack) == 0 {
		c.sawRoot = true
		c.path = appendName(c.path, raw)
		c.path = append(c.path, "[1]"...)
		typ, ok := globals[name]
		if !ok || name != (qname{nsInvoice, "Invoice"}) && name != (qname{nsCreditNote, "CreditNote"}) {
			c.issue(f.line, "the root element must be Invoice or CreditNote of UBL 2.1, not {%s}%s", c.uriOf(raw), name.local)
			f.mode = modeSkip
			return
		}
		f.typ = typ
		return
	}
	parent := &c.stack[len(c.stack)-1]
	c.path = appendName(c.path, raw)
	c.path = append(c.path, '[')
	c.path = strconv.AppendInt(c.path, int64(c.count(name, raw)), 10)
	c.path = append(c.path, ']')
	switch parent.mode {
	case modeSkip:
		f.mode = modeSkip
	case modeLax:
		if typ, ok := globals[name]; ok {
			f.typ = typ
		} else {
			f.mode = modeLax
		}
	default:
		c.child(parent, f, name)
	}
}

func (c *checker) uriOf(raw xml.Name) string {
	uri, _ := c.lookup(raw.Space)
	return uri
}

// count counts a child of the open element by name and returns its position
// among same-named siblings. The open element's counts are the tail of
// c.counts: its children's own counts are dropped when they end.
func (c *checker) count(name qname, raw xml.Name) int {
	uri := ""
	if name.ns == -1 { // another namespace: tell them apart by URI
		uri = c.uriOf(raw)
	}
	f := &c.stack[len(c.stack)-1]
	for i := f.children; i < len(c.counts); i++ {
		if cc := &c.counts[i]; cc.ns == name.ns && cc.local == name.local && cc.uri == uri {
			cc.n++
			return cc.n
		}
	}
	c.counts = append(c.counts, childCount{name.ns, uri, name.local, 1})
	return 1
}

// appendName appends a location step's name with its prefix as written, as
// the Schematron findings' locations do.
func appendName(b []byte, raw xml.Name) []byte {
	b = append(b, '/')
	if raw.Space != "" {
		b = append(b, raw.Space...)
		b = append(b, ':')
	}
	return append(b, raw.Local...)
}

// child advances the parent's sequence over a new child element.
func (c *checker) child(parent, f *frame, name qname) {
	pt := &types[parent.typ]
	if pt.leaf { // reported at the leaf's end tag, as JAXP does
		if !parent.broken {
			parent.childInLeaf = c.display(name)
		}
		parent.broken = true
		f.mode = modeSkip
		return
	}
	if parent.broken {
		f.mode = modeSkip
		return
	}
	if pt.general {
		c.childGeneral(parent, f, name)
		return
	}
	for i := parent.pos; i < len(pt.seq); i++ {
		p := &pt.seq[i]
		n := parent.n
		if i != parent.pos {
			n = 0
		}
		if p.matches(name) && (p.max < 0 || n < p.max) {
			parent.pos, parent.n = i, n+1
			if p.wildcard {
				f.mode = modeLax
				if typ, ok := globals[name]; ok {
					f.mode, f.typ = modeStrict, typ
				}
				return
			}
			f.typ = p.typ
			return
		}
		if n < p.min {
			break
		}
	}
	c.issue(f.line, "element %s is not expected here; expected %s", c.display(name), expected(pt.seq, parent.pos, parent.n))
	parent.broken = true
	f.mode = modeSkip
}

// childGeneral follows the parent's automaton over a new child element.
func (c *checker) childGeneral(parent, f *frame, name qname) {
	pt := &types[parent.typ]
	var wild *edge
	for i := range pt.states[parent.pos].next {
		e := &pt.states[parent.pos].next[i]
		switch {
		case e.wildcard:
			wild = e
		case e.ns == name.ns && e.local == name.local:
			parent.pos, f.typ = e.to, e.typ
			return
		}
	}
	if wild != nil && (wild.other < 0 || name.ns != wild.other && name.ns != -2) {
		parent.pos = wild.to
		if typ, ok := globals[name]; ok {
			f.typ = typ
			return
		}
		f.mode = modeLax
		if !wild.lax {
			c.issue(f.line, "element %s has no declaration, which the strict wildcard of %s requires", c.display(name), pt.name)
			f.mode = modeSkip
		}
		return
	}
	c.issue(f.line, "element %s is not expected here; expected %s", c.display(name), expectedEdges(pt.states[parent.pos].next))
	parent.broken = true
	f.mode = modeSkip
}

// expectedEdges lists the elements an automaton state allows.
func expectedEdges(next []edge) string {
	var names []string
	for _, e := range next {
		if e.wildcard {
			names = append(names, "an element of another namespace")
			continue
		}
		names = append(names, display(e.ns, e.local))
	}
	if len(names) == 0 {
		return "no more elements"
	}
	return "one of " + strings.Join(names, ", ")
}

func (p *particle) matches(name qname) bool {
	if p.wildcard {
		return name.ns != nsExt && name.ns != -2 // ##other: not the extension namespace, not unqualified
	}
	return p.ns == name.ns && p.local == name.local
}

func (c *checker) display(name qname) string {
	if name.ns >= 0 && namespaces[name.ns].prefix != "" {
		return namespaces[name.ns].prefix + ":" + name.local
	}
	return name.local
}

// expected lists the elements that could come at pos (n of them seen).
func expected(seq []particle, pos, n int) string {
	var names []string
	for i := pos; i < len(seq); i++ {
		p := &seq[i]
		seen := 0
		if i == pos {
			seen = n
		}
		if p.max < 0 || seen < p.max {
			if p.wildcard {
				names = append(names, "an element of another namespace")
			} else {
				names = append(names, display(p.ns, p.local))
			}
		}
		if seen < p.min {
			break
		}
	}
	if len(names) == 0 {
		return "no more elements"
	}
	return "one of " + strings.Join(names, ", ")
}

func display(ns int, local string) string {
	if namespaces[ns].prefix == "" {
		return local
	}
	return namespaces[ns].prefix + ":" + local
}

type resolvedAttr struct {
	uri, local, value string
}

func (c *checker) resolveAttrs(attrs []xml.Attr) ([]resolvedAttr, error) {
	out := c.attrs[:0]
	for _, a := range attrs {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		uri := ""
		if a.Name.Space != "" {
			var ok bool
			if uri, ok = c.lookup(a.Name.Space); !ok || uri == "" {
				return nil, fmt.Errorf("undeclared namespace prefix %q", a.Name.Space)
			}
		}
		for _, prev := range out {
			if prev.uri == uri && prev.local == a.Name.Local {
				return nil, fmt.Errorf("attribute %s repeated", a.Name.Local)
			}
		}
		if !c.sawFFFD && strings.Contains(a.Value, "\uFFFD") {
			c.sawFFFD = true
		}
		out = append(out, resolvedAttr{uri, a.Name.Local, a.Value})
	}
	c.attrs = out
	return out, nil
}

// checkAttrs checks the attributes against the element's type: element-only
// types allow none, leaf types their list.
func (c *checker) checkAttrs(f *frame, attrs []resolvedAttr) {
	t := &types[f.typ]
	for _, a := range attrs {
		if a.uri == xsiNS {
			c.checkXSI(f, a)
			continue
		}
		def := t.attr(a)
		switch {
		case def == nil && t.anyAttr:
		case def == nil:
			c.issue(f.line, "attribute %s is not allowed on %s", a.local, t.name)
		case !validValue(def.value, a.value):
			c.issue(f.line, "attribute %s: %q is not a valid %s", a.local, a.value, kindNames[def.value])
		case !inEnum(def.enum, def.value, a.value):
			c.issue(f.line, "attribute %s: %q is not one of %s", a.local, a.value, strings.Join(def.enum, ", "))
		case def.value == vID:
			c.checkID(f, a.value)
		}
	}
	for i := range t.attrs {
		if !t.attrs[i].required {
			continue
		}
		found := false
		for _, a := range attrs {
			if a.uri == "" && a.local == t.attrs[i].name {
				found = true
			}
		}
		if !found {
			c.issue(f.line, "attribute %s is required", t.attrs[i].name)
		}
	}
}

// checkXSI checks an attribute of the XMLSchema-instance namespace: no UBL
// element is nillable; xsi:type is accepted unchecked.
func (c *checker) checkXSI(f *frame, a resolvedAttr) {
	switch a.local {
	case "schemaLocation", "noNamespaceSchemaLocation", "type":
	case "nil":
		c.issue(f.line, "xsi:nil is not allowed: the element is not nillable")
	default:
		c.issue(f.line, "attribute xsi:%s is not allowed", a.local)
	}
}

// checkID records an xsd:ID value: each must be unique in the document.
func (c *checker) checkID(f *frame, v string) {
	v = strings.Trim(v, " \t\r\n")
	if c.ids == nil {
		c.ids = map[string]bool{}
	}
	if c.ids[v] {
		c.issue(f.line, "ID %q is not unique in the document", v)
	}
	c.ids[v] = true
}

// inEnum reports whether v is one of enum (any value when enum is empty);
// values other than strings compare after whitespace collapse.
func inEnum(enum []string, kind valueKind, v string) bool {
	if len(enum) == 0 {
		return true
	}
	if kind != vString {
		v = strings.Trim(v, " \t\r\n")
	}
	for _, e := range enum {
		if e == v {
			return true
		}
	}
	return false
}

func (t *typeDef) attr(a resolvedAttr) *attrDef {
	if a.uri != "" {
		return nil
	}
	for i := range t.attrs {
		if t.attrs[i].name == a.local {
			return &t.attrs[i]
		}
	}
	return nil
}

func (c *checker) chars(t xml.CharData) error {
	if !c.sawFFFD && bytes.Contains(t, []byte("\uFFFD")) {
		c.sawFFFD = true
	}
	if len(c.stack) == 0 {
		if len(bytes.Trim(t, " \t\r\n")) > 0 {
			return errors.New("text outside the root element")
		}
		return nil
	}
	f := &c.stack[len(c.stack)-1]
	if f.mode != modeStrict {
		return nil
	}
	if types[f.typ].leaf {
		if lt := &types[f.typ]; lt.value != vString || len(lt.enum) > 0 {
			c.text = append(c.text, t...)
		}
		return nil
	}
	if !f.textBad && !types[f.typ].mixed && len(bytes.Trim(t, " \t\r\n")) > 0 {
		f.textBad = true
		c.issue(f.line, "text is not allowed in %s (element-only content)", types[f.typ].name)
	}
	return nil
}

func (c *checker) end(t xml.EndElement) error {
	if len(c.stack) == 0 {
		return fmt.Errorf("unexpected end tag </%s>", rawName(t.Name))
	}
	f := &c.stack[len(c.stack)-1]
	if f.raw != t.Name {
		return fmt.Errorf("element <%s> closed by </%s>", rawName(f.raw), rawName(t.Name))
	}
	if f.mode == modeStrict {
		line, _ := c.dec.InputPos()
		c.finish(f, line)
	}
	c.bindings = c.bindings[:len(c.bindings)-f.bindings]
	c.path = c.path[:f.pathLen]
	c.counts = c.counts[:f.children]
	c.stack = c.stack[:len(c.stack)-1]
	if len(c.stack) == 0 {
		c.rootDone = true
	}
	return nil
}

// finish checks what can only be checked at the end tag: the value of a
// leaf, the required elements left in a sequence. Its issues are on the end
// tag's line, as JAXP reports them.
func (c *checker) finish(f *frame, line int) {
	t := &types[f.typ]
	if t.leaf {
		switch {
		case f.childInLeaf != "":
			c.issue(line, "element %s is not allowed: %s has simple content (%s)", f.childInLeaf, t.name, kindNames[t.value])
		case t.value != vString && !validValue(t.value, string(c.text)):
			c.issue(line, "%q is not a valid %s", c.text, kindNames[t.value])
		case !inEnum(t.enum, t.value, string(c.text)):
			c.issue(line, "%q is not one of %s", c.text, strings.Join(t.enum, ", "))
		}
		return
	}
	if f.broken {
		return
	}
	if t.general {
		if !t.states[f.pos].final {
			c.issue(line, "content is incomplete: %s expected", expectedEdges(t.states[f.pos].next))
		}
		return
	}
	for i := f.pos; i < len(t.seq); i++ {
		n := 0
		if i == f.pos {
			n = f.n
		}
		if n < t.seq[i].min {
			c.issue(line, "content is incomplete: %s expected", expected(t.seq, f.pos, f.n))
			return
		}
	}
}
