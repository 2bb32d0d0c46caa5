// The tree path: a caller that has already parsed the document into a tree
// (the rules' model, internal/validate) walks it through a Walker, which
// answers one question only: would Check find no issue at all? It builds no
// location, counts no sibling and writes no message; on anything short of
// "surely clean" it answers false and the caller runs Check, which reports
// exactly as before. So a false answer costs time, never a difference.
//
// Plain tells which documents the tree path may judge: those the fast reader
// reads (UTF-8 of XML characters, XML 1.0), without character references,
// CDATA sections, DOCTYPE, processing instructions other than the XML
// declaration, or comments the fast reader declines. The caller's tree must
// also have been read from ASCII names and attribute values without tabs or
// line ends (its parser normalises those, the XSD layer does not).

package xsd

import (
	"bytes"
	"encoding/binary"
	"unsafe"
)

// Plain reports whether the tree path may judge doc (see above). Besides
// plainChars, it looks only for rare bytes ('&', ']', '?', '!'), each
// with the vectorised byte search.
func Plain(doc []byte) bool {
	if bytes.HasPrefix(doc, []byte{0xEF, 0xBB, 0xBF}) {
		doc = doc[3:]
	}
	if !plainChars(doc) || bytes.Contains(doc, []byte("]]>")) {
		return false
	}
	for i := 0; ; { // no character reference
		j := bytes.IndexByte(doc[i:], '&')
		if j < 0 {
			break
		}
		i += j + 1
		if i < len(doc) && doc[i] == '#' {
			return false
		}
	}
	// the XML declaration, as the fast reader takes it; no other
	// processing instruction
	from := 0
	if bytes.HasPrefix(doc, []byte("<?")) {
		if len(doc) < 6 || string(doc[:5]) != "<?xml" || !isSpace(doc[5]) {
			return false
		}
		rest := doc[6:]
		for len(rest) > 0 && isSpace(rest[0]) {
			rest = rest[1:]
		}
		e := bytes.Index(rest, []byte("?>"))
		if e < 0 || !xmlDeclFast.Match(rest[:e]) {
			return false
		}
		from = len(doc) - len(rest) + e + 2
	}
	for i := from; ; {
		j := bytes.IndexByte(doc[i:], '?')
		if j < 0 {
			break
		}
		i += j
		if i > 0 && doc[i-1] == '<' {
			return false
		}
		i++
	}
	// comments only, each ended at its first "--" (as the fast reader and
	// encoding/xml require): no DOCTYPE, no CDATA section
	for i := 0; ; {
		j := bytes.IndexByte(doc[i:], '!')
		if j < 0 {
			return true
		}
		i += j
		if i == 0 || doc[i-1] != '<' {
			i++
			continue
		}
		i--
		if !bytes.HasPrefix(doc[i:], []byte("<!--")) {
			return false
		}
		e := bytes.Index(doc[i+4:], []byte("--"))
		if e < 0 || i+4+e+2 >= len(doc) || doc[i+4+e+2] != '>' {
			return false
		}
		i += 4 + e + 3
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// PlainName reports whether n is a name the fast reader reads: an ASCII
// QName, [A-Za-z_][A-Za-z0-9._-]* once or twice joined by one ':'.
func PlainName(n string) bool {
	colon := -1
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case i == 0 || i == colon+1:
			if !isNameStart(c) {
				return false
			}
		case c == ':' && colon < 0:
			colon = i
		case !nameChars[c]:
			return false
		}
	}
	return n != "" && colon != len(n)-1
}

// Walker walks one document: Open for each element (with its namespace
// URI and local name), then Attr for each of its attributes (not the
// namespace declarations), AttrsDone, then Text and Open/Close for its
// content in order, and Close. Each returns false when the document is not
// surely clean; the walk may stop there. Reset before each document.
type Walker struct {
	stack []wframe
	ns    [8]nsEntry // namespace URIs already indexed, by their bytes' address
	nns   int
	ids   map[string]bool
	roots int
}

type nsEntry struct {
	p  *byte
	n  int
	ns int
}

type wframe struct {
	mode    uint8
	hasText bool
	typ     int32
	pos, n  int32
	seen    uint64 // the type's attributes present, by index
	text    string // a leaf's value
}

// Reset readies w for another document.
func (w *Walker) Reset() {
	w.stack = w.stack[:0]
	w.nns = 0
	w.ids = nil
	w.roots = 0
}

// nsOf is nsIndex(uri), remembered by the address of uri's bytes: the
// caller's tree shares one string per namespace declaration.
func (w *Walker) nsOf(uri string) int {
	if uri == "" {
		return -2
	}
	p := unsafe.StringData(uri)
	for i := range w.nns {
		if e := &w.ns[i]; e.p == p && e.n == len(uri) {
			return e.ns
		}
	}
	ns := nsIndex(uri)
	if w.nns < len(w.ns) {
		w.ns[w.nns] = nsEntry{p, len(uri), ns}
		w.nns++
	}
	return ns
}

// Open enters an element, as place and child do.
func (w *Walker) Open(uri, local string) bool {
	if len(w.stack) >= maxDepth {
		return false
	}
	name := qname{ns: w.nsOf(uri), local: local}
	f := wframe{}
	if len(w.stack) == 0 {
		w.roots++
		typ, ok := globals[name]
		if w.roots > 1 || !ok || name != (qname{nsInvoice, "Invoice"}) && name != (qname{nsCreditNote, "CreditNote"}) {
			return false
		}
		f.typ = int32(typ)
	} else {
		parent := &w.stack[len(w.stack)-1]
		switch parent.mode {
		case modeLax:
			if typ, ok := globals[name]; ok {
				f.typ = int32(typ)
			} else {
				f.mode = modeLax
			}
		default:
			if !w.child(parent, &f, name) {
				return false
			}
		}
	}
	w.stack = append(w.stack, f)
	return true
}

// child is checker.child without the issues.
func (w *Walker) child(parent, f *wframe, name qname) bool {
	pt := &types[parent.typ]
	if pt.leaf {
		return false
	}
	if pt.general {
		return w.childGeneral(parent, f, name)
	}
	for i := int(parent.pos); i < len(pt.seq); i++ {
		p := &pt.seq[i]
		n := int(parent.n)
		if i != int(parent.pos) {
			n = 0
		}
		if p.matches(name) && (p.max < 0 || n < p.max) {
			parent.pos, parent.n = int32(i), int32(n+1)
			if p.wildcard {
				f.mode = modeLax
				if typ, ok := globals[name]; ok {
					f.mode, f.typ = modeStrict, int32(typ)
				}
				return true
			}
			f.typ = int32(p.typ)
			return true
		}
		if n < p.min {
			break
		}
	}
	return false
}

// childGeneral is checker.childGeneral without the issues.
func (w *Walker) childGeneral(parent, f *wframe, name qname) bool {
	pt := &types[parent.typ]
	var wild *edge
	for i := range pt.states[parent.pos].next {
		e := &pt.states[parent.pos].next[i]
		switch {
		case e.wildcard:
			wild = e
		case e.ns == name.ns && e.local == name.local:
			parent.pos, f.typ = int32(e.to), int32(e.typ)
			return true
		}
	}
	if wild != nil && (wild.other < 0 || name.ns != wild.other && name.ns != -2) {
		parent.pos = int32(wild.to)
		if typ, ok := globals[name]; ok {
			f.typ = int32(typ)
			return true
		}
		f.mode = modeLax
		return wild.lax
	}
	return false
}

// Attr checks an attribute of the element just opened (resolved name, the
// value as the XSD layer reads it), as checkAttrs does.
func (w *Walker) Attr(uri, local, value string) bool {
	f := &w.stack[len(w.stack)-1]
	if f.mode != modeStrict {
		return true
	}
	t := &types[f.typ]
	if uri != "" {
		if uri == xsiNS {
			return local == "schemaLocation" || local == "noNamespaceSchemaLocation" || local == "type"
		}
		return t.anyAttr
	}
	for i := range t.attrs {
		def := &t.attrs[i]
		if def.name != local {
			continue
		}
		if i < 64 {
			f.seen |= 1 << i
		}
		switch {
		case !validValue(def.value, value), !inEnum(def.enum, def.value, value):
			return false
		case def.value == vID:
			v := trimSpace(value)
			if w.ids == nil {
				w.ids = map[string]bool{}
			}
			if w.ids[v] {
				return false
			}
			w.ids[v] = true
		}
		return true
	}
	return t.anyAttr
}

// AttrsDone ends the attributes of the element just opened: every required
// one must have come.
func (w *Walker) AttrsDone() bool {
	f := &w.stack[len(w.stack)-1]
	if f.mode != modeStrict {
		return true
	}
	req := required[f.typ]
	return f.seen&req == req
}

// Text is a text node of the open element (adjacent texts joined, line ends
// and references resolved), as chars takes it.
func (w *Walker) Text(s string) bool {
	f := &w.stack[len(w.stack)-1]
	if f.mode != modeStrict {
		return true
	}
	t := &types[f.typ]
	if t.leaf {
		if f.hasText {
			return false // the caller joins adjacent texts: not expected
		}
		f.text, f.hasText = s, true
		return true
	}
	return t.mixed || blankString(s)
}

// Close leaves the open element, as finish does.
func (w *Walker) Close() bool {
	f := &w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	if f.mode != modeStrict {
		return true
	}
	t := &types[f.typ]
	switch {
	case t.leaf:
		return (t.value == vString || validValue(t.value, f.text)) && inEnum(t.enum, t.value, f.text)
	case t.general:
		return t.states[f.pos].final
	}
	for i := int(f.pos); i < len(t.seq); i++ {
		n := 0
		if i == int(f.pos) {
			n = int(f.n)
		}
		if n < t.seq[i].min {
			return false
		}
	}
	return true
}

// required is, per type, the attributes it requires, by index (all ones:
// one past index 63, which the Walker cannot track, so never clean).
var required = func() (r [len(types)]uint64) {
	for ti := range types {
		for i, a := range types[ti].attrs {
			switch {
			case a.required && i >= 64:
				r[ti] = ^uint64(0)
			case a.required:
				r[ti] |= 1 << i
			}
		}
	}
	return r
}()

// blankString: s is only XML white space; an indentation's run of spaces
// is compared eight bytes at a time.
func blankString(s string) bool {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	for len(b) >= 8 && binary.LittleEndian.Uint64(b) == 0x2020202020202020 {
		b = b[8:]
	}
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}
