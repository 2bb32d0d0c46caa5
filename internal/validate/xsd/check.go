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
// checks it. Known differences: XML 1.1 documents are read as XML 1.0;
// xsi:type is accepted unchecked; xsd:ID values are checked as ASCII NCNames
// with any non-ASCII character accepted; nesting deeper than maxDepth is an
// issue (and ends the check).
package xsd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
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

// maxDepth bounds the nesting Check follows. UBL documents nest about 10
// deep; a deeper document is reported (XSD) and not read further, so that a
// few MB of open tags cannot hold hundreds of MB of state. JAXP has no such
// bound: this is a deliberate difference.
const maxDepth = 256

var errTooDeep = fmt.Errorf("elements nested deeper than %d: not checked further", maxDepth)

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

type childKey struct {
	ns         int
	uri, local string // uri only for another namespace (ns -1)
}

type childCount struct {
	key childKey
	n   int
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
	// childIndex finds a child name in checker.counts once there are more
	// than maxScan distinct ones
	childIndex map[childKey]int
}

type checker struct {
	dec      *xml.Decoder
	issues   []Issue
	bindings []binding
	scope    map[string][]string // prefix -> URIs in scope, once bindings outgrow maxScan
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
	fast     *fastReader // the fast path's reader (else dec)
}

// Check validates doc. Issues are nil for a schema-valid document. A document
// that is not well-formed gives one XML (or XML-DOCTYPE) issue and an error
// wrapping ErrNotXML.
func Check(doc []byte) ([]Issue, error) {
	return CheckSource(doc, string(doc))
}

// CheckSource is Check for a caller that holds the document as a string
// too (src == string(doc)): names and values are taken from src, not from
// another copy of doc.
func CheckSource(doc []byte, src string) ([]Issue, error) {
	if issues, ok := checkFast(doc, src); ok {
		if fastHook != nil {
			fastHook(doc, issues)
		}
		return issues, nil
	}
	return checkStd(doc)
}

// checkStd is Check on encoding/xml's tokens: the reference path, for every
// document the fast reader declines.
func checkStd(doc []byte) ([]Issue, error) {
	c := &checker{}
	err := c.open(doc)
	if err == nil {
		err = c.run()
	}
	if errors.Is(err, errTooDeep) {
		line, _ := c.dec.InputPos()
		c.issues = append(c.issues, Issue{ID: IDSchema, Location: string(c.path), Line: line, Message: err.Error()})
		return c.issues, nil
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

// lookup is the namespace prefix is bound to. A few bindings are searched
// from the innermost; past maxScan an index answers, so that thousands of
// declarations cannot make every element cost thousands of comparisons.
func (c *checker) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return xmlNS, true
	}
	if c.scope != nil {
		if uris := c.scope[prefix]; len(uris) > 0 {
			return uris[len(uris)-1], true
		}
		return "", prefix == ""
	}
	for i := len(c.bindings) - 1; i >= 0; i-- {
		if c.bindings[i].prefix == prefix {
			return c.bindings[i].uri, true
		}
	}
	return "", prefix == ""
}

// maxScan is how many entries a linear search may visit before an index
// replaces it (namespace bindings, a parent's children names, attributes).
const maxScan = 16

// bind declares prefix for the element being opened.
func (c *checker) bind(f *frame, prefix, uri string) {
	c.bindings = append(c.bindings, binding{prefix, uri})
	f.bindings++
	switch {
	case c.scope != nil:
		c.scope[prefix] = append(c.scope[prefix], uri)
	case len(c.bindings) > maxScan:
		c.scope = map[string][]string{}
		for _, b := range c.bindings {
			c.scope[b.prefix] = append(c.scope[b.prefix], b.uri)
		}
	}
}

// unbind drops the bindings of the element being closed.
func (c *checker) unbind(f *frame) {
	if c.scope != nil {
		for _, b := range c.bindings[len(c.bindings)-f.bindings:] {
			uris := c.scope[b.prefix]
			c.scope[b.prefix] = uris[:len(uris)-1]
		}
	}
	c.bindings = c.bindings[:len(c.bindings)-f.bindings]
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
	if len(c.stack) >= maxDepth {
		return errTooDeep
	}
	if !validName(t.Name) {
		return fmt.Errorf("%q is not an XML name", rawName(t.Name))
	}
	line := c.inputLine()
	f := frame{raw: t.Name, pathLen: len(c.path), line: line}
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			if a.Value == "" {
				return fmt.Errorf("prefix %s bound to no namespace", a.Name.Local)
			}
			c.bind(&f, a.Name.Local, a.Value)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			c.bind(&f, "", a.Value)
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

func (c *checker) end(t xml.EndElement) error {
	if len(c.stack) == 0 {
		return fmt.Errorf("unexpected end tag </%s>", rawName(t.Name))
	}
	f := &c.stack[len(c.stack)-1]
	if f.raw != t.Name {
		return fmt.Errorf("element <%s> closed by </%s>", rawName(f.raw), rawName(t.Name))
	}
	if f.mode == modeStrict {
		line := c.inputLine()
		c.finish(f, line)
	}
	c.unbind(f)
	c.path = c.path[:f.pathLen]
	c.counts = c.counts[:f.children]
	c.stack = c.stack[:len(c.stack)-1]
	if len(c.stack) == 0 {
		c.rootDone = true
	}
	return nil
}
