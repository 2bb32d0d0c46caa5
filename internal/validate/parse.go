package validate

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/efactura-gateway/efactura/internal/validate/xsd"
)

// Parse builds the document model in one pass over the bytes: a small XML
// scanner (elements, attributes, text, CDATA, comments, processing
// instructions, a skipped DOCTYPE) with namespace resolution, entity and
// character references, attribute-value and line-end normalisation, and
// line numbers. It checks well-formedness as far as the model needs.
func Parse(data []byte) (*Document, error) {
	data, decoded, err := toUTF8(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotWellFormed, err.Error())
	}
	return parse(data, string(data), decoded)
}

// parse is Parse of a document in UTF-8 with the document also as a string
// (src == string(data)); decoded: it was decoded from the encoding its XML
// declaration names.
func parse(data []byte, src string, decoded bool) (*Document, error) {
	d, _, err := parseOdd(data, src, decoded, false)
	return d, err
}

// parseOdd is parse that also says whether the document held a name or an
// attribute value the XSD layer's tree path cannot take from the tree as it
// would read it from the bytes (odd): a name that is not an ASCII QName, an
// attribute value with a tab or a line end (normalised to spaces here).
// charsOK: the caller has checked that data is UTF-8 of XML characters
// (xsd.Plain), so the scanner does not check again.
func parseOdd(data []byte, src string, decoded, charsOK bool) (*Document, bool, error) {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) { // a UTF-8 byte order mark is not text
		data, src = data[3:], src[3:]
	}
	if !charsOK && !utf8.Valid(data) {
		return nil, true, fmt.Errorf("%w: not UTF-8", ErrNotWellFormed)
	}
	p := scannerPool.Get().(*scanner)
	// the scratch stacks keep their arrays from the last parse
	*p = scanner{data: data, src: src, line: 1, decoded: decoded, doc: &Node{Kind: KindDocument, x: &nodeCache{doc: &docIndex{}}}, order: 1, names: namesPool.Get().(map[string]string),
		qnames: qnamesPool.Get().(map[string]*qname), gen: nsGens.Add(1), charsOK: charsOK,
		buf: p.buf[:0], kids: p.kids[:0], kidMark: p.kidMark[:0], rawAttrs: p.rawAttrs[:0], ns: p.ns[:0], marks: p.marks[:0], open: p.open[:0]}
	p.cur = p.doc
	p.kidMark = append(p.kidMark, 0)
	err := p.run()
	if len(p.names) <= maxPooledNames {
		namesPool.Put(p.names) // interned strings are immutable copies: safe to share later
	}
	if len(p.qnames) <= maxPooledNames {
		qnamesPool.Put(p.qnames)
	}
	d := &Document{Root: p.doc, Nodes: p.order, slabs: p.slabs, kidChunks: p.kidChunks}
	line, odd := p.line, p.odd
	p.recycle()
	if err != nil {
		d.Root = nil
		d.release()
		return nil, true, fmt.Errorf("%w: line %d: %s", ErrNotWellFormed, line, err.Error())
	}
	d.Root.x.doc.slabs, d.Root.x.doc.slabNodes = d.slabs, d.Nodes-1
	return d, odd, nil
}

// scannerPool recycles scanners for their scratch stacks' arrays.
var scannerPool = sync.Pool{New: func() any { return &scanner{} }}

// recycle clears what the scanner points to (the scratch stacks hold node
// and name pointers; data and src are the caller's) and pools it.
func (p *scanner) recycle() {
	if cap(p.kids) > 1<<16 || cap(p.buf) > 1<<16 {
		return // a huge document's stacks: let them go
	}
	clear(p.kids[:cap(p.kids)])
	clear(p.open[:cap(p.open)])
	clear(p.ns[:cap(p.ns)])
	clear(p.rawAttrs[:cap(p.rawAttrs)])
	*p = scanner{buf: p.buf[:0], kids: p.kids[:0], kidMark: p.kidMark[:0], rawAttrs: p.rawAttrs[:0], ns: p.ns[:0], marks: p.marks[:0], open: p.open[:0]}
	scannerPool.Put(p)
}

// release returns the document's node slabs to the pool; the document and
// its nodes must not be used afterwards.
func (d *Document) release() {
	for _, sp := range d.slabs {
		slabPool.Put(sp)
	}
	for _, kp := range d.kidChunks {
		clear(*kp) // node pointers
		kidPool.Put(kp)
	}
	d.kidChunks = nil
	if d.Root != nil && d.Root.x != nil && d.Root.x.doc != nil {
		ix := d.Root.x.doc
		for _, sp := range ix.chunks {
			itemPool.Put(sp)
		}
		for _, sp := range ix.cacheChunks {
			cachePool.Put(sp)
		}
		ix.releaseIndex()
		d.Root.x = nil
	}
	d.slabs = nil
	d.Root = nil
}

type nsBinding struct{ prefix, uri string }

type scanner struct {
	data []byte
	src  string // data as one string: texts and values without references are substrings of it
	buf  []byte // scratch for decoded texts (copied into strings)
	// children of the open nodes, pending until their end tags (closeKids);
	// kidMark: where each open node's start on kids (the document's first)
	kids      []*Node
	kidMark   []int
	kidArena  []*Node
	kidChunks []*[]*Node // kidArena's arrays, from kidPool
	rawAttrs  []rawAttr  // scratch of attrs()
	pos       int
	line      int // line of pos
	lineAt    int // position line was counted up to
	doc       *Node
	cur       *Node
	order     int
	ns        []nsBinding
	marks     []int
	open      []*qname // names of open elements
	sawRoot   bool
	slab      []Node // nodes are carved from chunks
	slabs     []*[]Node
	names     map[string]string // interned indentation
	qnames    map[string]*qname // names as written, checked, with their resolution
	decoded   bool              // decoded to UTF-8 from the declared encoding
	gen       uint64            // namespace generation: changes with the bindings in scope
	odd       bool              // see parseOdd
	charsOK   bool              // see parseOdd
	qcache    [256]*qname       // names of this document already looked up in qnames (name)
}

// qname is a name as written (a QName) with, for the namespace generation
// gen (agen for an attribute), its namespace URI and name id.
type qname struct {
	raw, prefix, local string
	gen, agen          uint64
	uri, auri          string
	id, aid            int32
	plain              bool // xsd.PlainName(raw)
}

// nsGens numbers namespace generations across parses (qname maps are
// recycled), so a cached resolution is used only under the same bindings.
var nsGens atomic.Uint64

var qnamesPool = sync.Pool{New: func() any { return map[string]*qname{} }}

const slabSize = 256

// namesPool recycles the interned-name maps between parses (names and
// indentation repeat from document to document); maps that grew past
// maxPooledNames are dropped.
var namesPool = sync.Pool{New: func() any { return map[string]string{} }}

const maxPooledNames = 4096

// slabPool recycles node slabs between Schematron calls (every node taken
// from a slab is overwritten whole, caches included).
var slabPool = sync.Pool{New: func() any { s := make([]Node, slabSize); return &s }}

func (p *scanner) node() *Node {
	if len(p.slab) == 0 {
		sp := slabPool.Get().(*[]Node)
		p.slabs = append(p.slabs, sp)
		p.slab = *sp
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	return n
}

func (p *scanner) intern(b []byte) string {
	if s, ok := p.names[string(b)]; ok {
		return s
	}
	s := string(b)
	p.names[s] = s
	return s
}

type scanError string

func (e scanError) Error() string { return string(e) }

// lineOf advances the line count to position i.
func (p *scanner) lineOf(i int) int {
	if i > p.lineAt {
		p.line += bytes.Count(p.data[p.lineAt:i], []byte{'\n'})
		p.lineAt = i
	}
	return p.line
}

func (p *scanner) run() error {
	d := p.data
	for p.pos < len(d) {
		if d[p.pos] != '<' {
			if err := p.charData(); err != nil {
				return err
			}
			continue
		}
		var err error
		next := byte(0)
		if p.pos+1 < len(d) {
			next = d[p.pos+1]
		}
		switch {
		case next == '/':
			err = p.endTag()
		case next != '?' && next != '!':
			err = p.startTag() // the usual tags first, by their second byte
		case bytes.HasPrefix(d[p.pos:], []byte("<?")):
			err = p.skipPI()
		case bytes.HasPrefix(d[p.pos:], []byte("<!--")):
			err = p.skipTo("-->", p.pos+4)
		case bytes.HasPrefix(d[p.pos:], []byte("<![CDATA[")):
			err = p.cdata()
		case bytes.HasPrefix(d[p.pos:], []byte("<!DOCTYPE")):
			err = p.skipDoctype()
		case bytes.HasPrefix(d[p.pos:], []byte("</")):
			err = p.endTag()
		default:
			err = p.startTag()
		}
		if err != nil {
			p.lineOf(p.pos)
			return err
		}
	}
	p.lineOf(p.pos)
	if !p.sawRoot || len(p.open) > 0 {
		return scanError("no complete root element")
	}
	p.closeKids() // the document node's
	return nil
}

// closeKids gives the current node its children, pending on the kids
// stack since its start tag, as an exact slice carved from a shared array.
func (p *scanner) closeKids() {
	start := p.kidMark[len(p.kidMark)-1]
	p.kidMark = p.kidMark[:len(p.kidMark)-1]
	ks := p.kids[start:]
	p.kids = p.kids[:start]
	if len(ks) == 0 {
		return
	}
	p.cur.Children = append(p.ptrs(len(ks)), ks...)
}

// ptrs is an empty node list of capacity k carved from a shared array.
func (p *scanner) ptrs(k int) []*Node {
	if k > kidChunk/4 {
		return make([]*Node, 0, k)
	}
	if k > len(p.kidArena) {
		kp := kidPool.Get().(*[]*Node)
		p.kidChunks = append(p.kidChunks, kp)
		p.kidArena = *kp
	}
	out := p.kidArena[:0:k]
	p.kidArena = p.kidArena[k:]
	return out
}

const kidChunk = 1024

// kidPool recycles the arrays children and attribute lists are carved from
// (cleared when their document is released).
var kidPool = sync.Pool{New: func() any { s := make([]*Node, kidChunk); return &s }}

func (p *scanner) skipTo(end string, from int) error {
	i := bytes.Index(p.data[from:], []byte(end))
	if i < 0 {
		return scanError("unterminated " + end)
	}
	p.pos = from + i + len(end)
	return nil
}

func (p *scanner) skipPI() error {
	start := p.pos
	if err := p.skipTo("?>", p.pos+2); err != nil {
		return err
	}
	pi := string(p.data[start:p.pos])
	if strings.HasPrefix(pi, "<?xml ") || strings.HasPrefix(pi, "<?xml\t") || strings.HasPrefix(pi, "<?xml\n") || strings.HasPrefix(pi, "<?xml\r") {
		if start != 0 {
			return scanError("XML declaration not at the start")
		}
		if i := strings.Index(pi, "encoding"); i >= 0 && !p.decoded {
			enc := strings.ToLower(pi[i:])
			if !strings.Contains(enc, "utf-8") && !strings.Contains(enc, "utf8") {
				return scanError("unsupported encoding (only UTF-8)")
			}
		}
	}
	return nil
}

func (p *scanner) skipDoctype() error {
	if p.sawRoot {
		return scanError("DOCTYPE after the root element")
	}
	depth := 0
	for i := p.pos + 9; i < len(p.data); i++ {
		switch p.data[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '>':
			if depth <= 0 {
				p.pos = i + 1
				return nil
			}
		}
	}
	return scanError("unterminated DOCTYPE")
}

func (p *scanner) cdata() error {
	from := p.pos + 9
	i := bytes.Index(p.data[from:], []byte("]]>"))
	if i < 0 {
		return scanError("unterminated CDATA section")
	}
	if p.cur == p.doc {
		return scanError("CDATA outside the root element")
	}
	p.addText(p.str(from, normalizeNewlines(p.data[from:from+i])), p.lineOf(p.pos))
	p.pos = from + i + 3
	return nil
}

func (p *scanner) charData() error {
	start := p.pos
	i := bytes.IndexByte(p.data[start:], '<')
	end := len(p.data)
	if i >= 0 {
		end = start + i
	}
	raw := p.data[start:end]
	p.pos = end
	if p.cur == p.doc {
		if !blank(raw, true) {
			return scanError("text outside the root element")
		}
		return nil
	}
	if s, ok := crlfIndent(raw); ok {
		// the indentation of a document with CR LF line ends: what
		// decodeText and str would make of it, without the copy and the
		// intern map
		p.addText(s, p.lineOf(start))
		return nil
	}
	if p.charsOK && len(raw) <= 64 {
		// a short text (indentation, most values) with no reference and
		// no carriage return: itself, without decodeText's two searches
		plain := true
		for _, c := range raw {
			if c == '&' || c == '\r' {
				plain = false
				break
			}
		}
		if plain {
			p.addText(p.src[start:end], p.lineOf(start))
			return nil
		}
	}
	txt, err := decodeText(p.buf[:0], raw, false, !p.charsOK)
	if err != nil {
		return err
	}
	if len(txt) > 0 && &txt[0] != &raw[0] {
		p.buf = txt[:0] // reuse the grown scratch buffer
	}
	p.addText(p.str(start, txt), p.lineOf(start))
	return nil
}

// indents[c][k] is "\n" followed by k spaces (c = 0) or k tabs (c = 1).
var indents = func() (t [2][maxIndent + 1]string) {
	for k := range maxIndent + 1 {
		t[0][k] = "\n" + strings.Repeat(" ", k)
		t[1][k] = "\n" + strings.Repeat("\t", k)
	}
	return t
}()

const maxIndent = 64

// crlfIndent: raw is "\r\n" then up to maxIndent spaces, or tabs; s is its
// text after line-end normalisation ("\n" and the same spaces or tabs).
func crlfIndent(raw []byte) (s string, ok bool) {
	if len(raw) < 2 || raw[0] != '\r' || raw[1] != '\n' || len(raw)-2 > maxIndent {
		return "", false
	}
	k := len(raw) - 2
	if k == 0 {
		return indents[0][0], true
	}
	c := 0
	if raw[2] == '\t' {
		c = 1
	}
	for _, b := range raw[2:] {
		if b != " \t"[c] {
			return "", false
		}
	}
	return indents[c][k], true
}

// str is b as a string: a substring of src when b is data[at:at+len(b)]
// (no reference was resolved), else a copy.
func (p *scanner) str(at int, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if at+len(b) <= len(p.data) && &b[0] == &p.data[at] {
		return p.src[at : at+len(b)]
	}
	if len(b) <= 64 && blank(b, false) {
		return p.intern(b) // indentation repeats
	}
	return string(b)
}

func (p *scanner) addText(data string, line int) {
	if len(data) == 0 {
		return
	}
	if k := len(p.kids); k > p.kidMark[len(p.kidMark)-1] && p.kids[k-1].Kind == KindText {
		p.kids[k-1].Data += data
		return
	}
	n := p.node()
	*n = Node{Kind: KindText, Data: data, Parent: p.cur, Order: p.order, Line: line}
	p.kids = append(p.kids, n)
	p.order++
}

// blank: b is only spaces, tabs, line feeds and (cr) carriage returns
// (bytes.Trim with a cutset builds its set on every call).
func blank(b []byte, cr bool) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && (!cr || c != '\r') {
			return false
		}
	}
	return true
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// nameEnd: the bytes that end a name in scanner.name.
var nameEnd = func() (t [256]bool) {
	for _, c := range []byte(" \t\n\r/>=<\"'") {
		t[c] = true
	}
	return t
}()

func (p *scanner) skipSpace() {
	for p.pos < len(p.data) && isSpace(p.data[p.pos]) {
		p.pos++
	}
}

// name reads an XML name (a QName: prefix:local) at pos.
func (p *scanner) name() (*qname, error) {
	start, d := p.pos, p.data
	i := start
	for i < len(d) && !nameEnd[d[i]] {
		i++
	}
	p.pos = i
	var h uint8
	if k := i - start; k > 0 {
		// a name read before in this document: from a small cache by a
		// hash of its length and three of its bytes, else the map
		h = uint8(k*31 + int(d[start+k/2])*7 + int(d[i-1])*3 + int(d[start]))
		if q := p.qcache[h]; q != nil && q.raw == string(d[start:i]) {
			p.odd = p.odd || !q.plain
			return q, nil
		}
	}
	if q, ok := p.qnames[string(p.data[start:p.pos])]; ok {
		p.qcache[h] = q
		p.odd = p.odd || !q.plain
		return q, nil
	}
	n := string(p.data[start:p.pos])
	if n == "" {
		return nil, scanError("name expected")
	}
	r, _ := utf8.DecodeRuneInString(n)
	if r == '-' || r == '.' || r == ':' || (r >= '0' && r <= '9') {
		return nil, scanError("invalid name " + strconv.Quote(n))
	}
	if strings.Count(n, ":") > 1 || strings.HasSuffix(n, ":") {
		return nil, scanError("invalid QName " + strconv.Quote(n))
	}
	q := &qname{raw: n, plain: xsd.PlainName(n)}
	q.prefix, q.local = splitQName(n)
	p.qnames[n] = q
	p.odd = p.odd || !q.plain
	return q, nil
}

func splitQName(n string) (prefix, local string) {
	if i := strings.IndexByte(n, ':'); i >= 0 {
		return n[:i], n[i+1:]
	}
	return "", n
}

func (p *scanner) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return "http://www.w3.org/XML/1998/namespace", true
	}
	for i := len(p.ns) - 1; i >= 0; i-- {
		if p.ns[i].prefix == prefix {
			return p.ns[i].uri, true
		}
	}
	return "", prefix == ""
}

type rawAttr struct {
	name  *qname
	value string
}

func (p *scanner) attrs() ([]rawAttr, bool, error) {
	out := p.rawAttrs[:0] // scratch: the caller is done with it before the next tag
	defer func() { p.rawAttrs = out[:0] }()
	for {
		hadSpace := p.pos < len(p.data) && isSpace(p.data[p.pos])
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, false, scanError("unterminated start tag")
		}
		switch {
		case p.data[p.pos] == '>':
			p.pos++
			return out, false, nil
		case bytes.HasPrefix(p.data[p.pos:], []byte("/>")):
			p.pos += 2
			return out, true, nil
		}
		if !hadSpace {
			return nil, false, scanError("space expected between attributes")
		}
		n, err := p.name()
		if err != nil {
			return nil, false, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '=' {
			return nil, false, scanError("= expected after attribute " + n.raw)
		}
		p.pos++
		p.skipSpace()
		if p.pos >= len(p.data) || (p.data[p.pos] != '"' && p.data[p.pos] != '\'') {
			return nil, false, scanError("quoted value expected for attribute " + n.raw)
		}
		q := p.data[p.pos]
		end := bytes.IndexByte(p.data[p.pos+1:], q)
		if end < 0 {
			return nil, false, scanError("unterminated attribute value")
		}
		raw := p.data[p.pos+1 : p.pos+1+end]
		if bytes.IndexByte(raw, '<') >= 0 {
			return nil, false, scanError("< in attribute value")
		}
		v, err := decodeText(p.buf[:0], raw, true, !p.charsOK)
		if err != nil {
			return nil, false, err
		}
		if len(v) > 0 && &v[0] != &raw[0] && bytes.ContainsAny(raw, "\t\n\r") {
			p.odd = true // normalised: the XSD layer reads the raw value
		}
		for _, a := range out {
			if a.name == n {
				return nil, false, scanError("duplicate attribute " + n.raw)
			}
		}
		out = append(out, rawAttr{n, p.str(p.pos+1, v)})
		p.pos += end + 2
	}
}

func (p *scanner) startTag() error {
	if p.cur == p.doc && p.sawRoot {
		return scanError("more than one root element")
	}
	line := p.lineOf(p.pos)
	p.pos++
	q, err := p.name()
	if err != nil {
		return err
	}
	attrs, empty, err := p.attrs()
	if err != nil {
		return err
	}
	p.marks = append(p.marks, len(p.ns))
	for _, a := range attrs {
		switch {
		case a.name.prefix == "xmlns":
			if a.value == "" {
				return scanError("empty namespace for prefix " + a.name.local)
			}
			p.ns = append(p.ns, nsBinding{a.name.local, a.value})
		case a.name.raw == "xmlns":
			p.ns = append(p.ns, nsBinding{"", a.value})
		}
	}
	if len(p.ns) > p.marks[len(p.marks)-1] {
		p.gen = nsGens.Add(1) // new bindings: resolve names afresh
	}
	if q.gen != p.gen {
		uri, ok := p.lookup(q.prefix)
		if !ok {
			return scanError("unbound prefix " + strconv.Quote(q.prefix))
		}
		q.uri, q.id, q.gen = uri, nameIDs[[2]string{uri, q.local}], p.gen
	}
	el := p.node()
	*el = Node{Kind: KindElement, ID: q.id, Space: q.uri, Local: q.local, Prefix: q.prefix, Parent: p.cur, Order: p.order, Line: line}
	p.order++
	if err := p.addAttrs(el, attrs, line); err != nil {
		return err
	}
	p.kids = append(p.kids, el)
	p.sawRoot = true
	if empty {
		p.popBindings()
		return nil
	}
	p.open = append(p.open, q)
	p.kidMark = append(p.kidMark, len(p.kids))
	p.cur = el
	return nil
}

func (p *scanner) addAttrs(el *Node, attrs []rawAttr, line int) error {
	k := 0
	for _, a := range attrs {
		if a.name.raw != "xmlns" && a.name.prefix != "xmlns" {
			k++
		}
	}
	if k > 0 {
		el.Attrs = p.ptrs(k)
	}
	for _, a := range attrs {
		q := a.name
		if q.raw == "xmlns" || q.prefix == "xmlns" {
			continue
		}
		if q.agen != p.gen {
			u := ""
			if q.prefix != "" { // an attribute without a prefix is in no namespace
				var ok bool
				if u, ok = p.lookup(q.prefix); !ok {
					return scanError("unbound prefix " + strconv.Quote(q.prefix))
				}
			}
			q.auri, q.aid, q.agen = u, nameIDs[[2]string{u, q.local}], p.gen
		}
		at := p.node()
		*at = Node{Kind: KindAttr, ID: q.aid, Space: q.auri, Local: q.local, Prefix: q.prefix, Data: a.value, Parent: el, Order: p.order, Line: line}
		for _, b := range el.Attrs {
			if b.Space == at.Space && b.Local == at.Local {
				return scanError("duplicate attribute " + q.raw)
			}
		}
		p.order++
		el.Attrs = append(el.Attrs, at)
	}
	return nil
}

func (p *scanner) endTag() error {
	p.pos += 2
	var q *qname
	if k := len(p.open); k > 0 {
		// usually the open element's name: compared in place, without
		// the name map (which would give the same *qname)
		raw := p.open[k-1].raw
		if end := p.pos + len(raw); end < len(p.data) && nameEnd[p.data[end]] && string(p.data[p.pos:end]) == raw {
			q, p.pos = p.open[k-1], end
		}
	}
	if q == nil {
		var err error
		if q, err = p.name(); err != nil {
			return err
		}
	}
	p.skipSpace()
	if p.pos >= len(p.data) || p.data[p.pos] != '>' {
		return scanError("> expected in end tag")
	}
	p.pos++
	if len(p.open) == 0 || p.open[len(p.open)-1] != q {
		return scanError("unexpected end tag </" + q.raw + ">")
	}
	p.open = p.open[:len(p.open)-1]
	p.popBindings()
	p.closeKids()
	p.cur = p.cur.Parent
	return nil
}

// popBindings drops the bindings of the element being closed.
func (p *scanner) popBindings() {
	m := p.marks[len(p.marks)-1]
	p.marks = p.marks[:len(p.marks)-1]
	if len(p.ns) > m {
		p.ns = p.ns[:m]
		p.gen = nsGens.Add(1)
	}
}

func normalizeNewlines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
}

// decodeText resolves entity and character references; line ends become
// \n, and in attribute values (attr) every white-space character a space.
// check: refuse control characters (the caller has not checked them).
func decodeText(out, raw []byte, attr, check bool) ([]byte, error) {
	if check {
		if err := checkChars(raw); err != nil {
			return nil, err
		}
	}
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 && (!attr || !bytes.ContainsAny(raw, "\t\n")) {
		return raw, nil
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\r' {
			if i+1 < len(raw) && raw[i+1] == '\n' {
				continue
			}
			c = '\n'
		}
		if c != '&' {
			if attr && (c == '\t' || c == '\n') {
				c = ' '
			}
			out = append(out, c)
			continue
		}
		j := bytes.IndexByte(raw[i:], ';')
		if j < 0 {
			return nil, scanError("unterminated reference")
		}
		ref := string(raw[i+1 : i+j])
		i += j
		switch ref {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "apos":
			out = append(out, '\'')
		case "quot":
			out = append(out, '"')
		default:
			r, err := charRef(ref)
			if err != nil {
				return nil, err
			}
			out = utf8.AppendRune(out, r)
		}
	}
	return out, nil
}

func charRef(ref string) (rune, error) {
	var n uint64
	var err error
	switch {
	case strings.HasPrefix(ref, "#x"):
		n, err = strconv.ParseUint(ref[2:], 16, 32)
	case strings.HasPrefix(ref, "#"):
		n, err = strconv.ParseUint(ref[1:], 10, 32)
	default:
		return 0, scanError("undefined entity &" + ref + ";")
	}
	r := rune(n)
	if err != nil || !validChar(r) {
		return 0, scanError("invalid character reference &" + ref + ";")
	}
	return r, nil
}

func validChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func checkChars(b []byte) error {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return scanError("invalid character")
		}
	}
	return nil
}
