package validate

import (
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Item kinds of the XPath runtime.
const (
	iNode uint8 = iota
	iUntyped
	iString
	iDecimal // xs:decimal and xs:integer
	iDouble
	iBool
	iDate
)

// Item is one XPath item: a node or an atomic value.
type Item struct {
	K uint8
	// sc is, for an xs:decimal held in I (the fast path), its scale plus
	// one: the value is I / 10^(sc-1); 0: the value is D
	sc uint8
	B  bool
	ID int32 // name id of a node item in a node's cached children or attributes (window)
	N  *Node
	S  string
	D  decimal.Decimal
	F  float64 // xs:double; for xs:date, days since 1970-01-01
	I  int64
}

// Seq is an XPath sequence.
type Seq []Item

var (
	seqTrue  = Seq{{K: iBool, B: true}}
	seqFalse = Seq{{K: iBool, B: false}}
)

// nodeSeq is the one-node sequence (n); it does not allocate.
func nodeSeq(n *Node) Seq {
	x := n.ext()
	if x.self[0].N == nil {
		x.self[0] = Item{K: iNode, N: n}
	}
	return x.self[:]
}
func strSeq(s string) Seq          { return Seq{{K: iString, S: s}} }
func decSeq(d decimal.Decimal) Seq { return Seq{{K: iDecimal, D: d}} }
func boolSeq(b bool) Seq {
	if b {
		return seqTrue
	}
	return seqFalse
}

// smallInts are the integers 0…maxSmallInt as items: counts and string
// lengths are answered from it without allocating (decimals are immutable
// and no caller modifies a Seq it did not build).
var smallInts = func() []Item {
	out := make([]Item, maxSmallInt+1)
	for i := range out {
		out[i] = Item{K: iDecimal, sc: 1, I: int64(i)}
	}
	return out
}()

const maxSmallInt = 1024

// intSeq is the integer k as a decimal.
func intSeq(k int) Seq {
	if k >= 0 && k <= maxSmallInt {
		return smallInts[k : k+1 : k+1]
	}
	return decSeq(decimal.NewFromInt(int64(k)))
}

func intLit(s string) Seq {
	d, ok := parseDecimal(s)
	if !ok {
		panic("validate: bad integer literal " + s)
	}
	return Seq{d}
}

func dblLit(f float64) Seq { return Seq{{K: iDouble, F: f}} }

// ebv is the effective boolean value.
func ebv(s Seq) bool {
	if len(s) == 0 {
		return false
	}
	it := s[0]
	switch it.K {
	case iNode:
		return true
	case iBool:
		return it.B
	case iString, iUntyped:
		return it.S != ""
	case iDecimal:
		if it.sc != 0 {
			return it.I != 0
		}
		return !it.D.IsZero()
	case iDouble:
		return it.F != 0 && !math.IsNaN(it.F)
	}
	return true
}

func itemString(it Item) string {
	switch it.K {
	case iNode:
		return it.N.StringValue()
	case iUntyped, iString:
		return it.S
	case iDecimal:
		return it.dec().String()
	case iDouble:
		return formatDouble(it.F)
	case iBool:
		if it.B {
			return "true"
		}
		return "false"
	case iDate:
		return dateOf(it.F).Format("2006-01-02")
	}
	return ""
}

func formatDouble(f float64) string {
	if math.IsNaN(f) {
		return "NaN"
	}
	if math.IsInf(f, 1) {
		return "INF"
	}
	if math.IsInf(f, -1) {
		return "-INF"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// str is fn:string of an optional item (first item taken).
func str(s Seq) string {
	if len(s) == 0 {
		return ""
	}
	return itemString(s[0])
}

func xmlSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// trimXMLSpace is strings.TrimFunc(s, xmlSpace) byte by byte (the four are
// ASCII, never part of a longer UTF-8 sequence).
func trimXMLSpace(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t' || s[j-1] == '\n' || s[j-1] == '\r') {
		j--
	}
	return s[i:j]
}

func parseDouble(s string) (float64, bool) {
	s = trimXMLSpace(s)
	switch s {
	case "INF", "+INF":
		return math.Inf(1), true
	case "-INF":
		return math.Inf(-1), true
	case "NaN":
		return math.NaN(), true
	}
	if s == "" || strings.ContainsAny(s, "xXpP_") || strings.HasPrefix(s, "0x") {
		return 0, false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789.-+eE", r) {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// parseDecimal is the xs:decimal of s: in an int64 when it has at most
// maxFastDigits digits, else a big decimal.
func parseDecimal(s string) (Item, bool) {
	s = trimXMLSpace(s)
	if it, ok := parseFastDecimal(s); ok {
		return it, true
	}
	d, ok := parseBigDecimal(s)
	return Item{K: iDecimal, D: d}, ok
}

func parseBigDecimal(s string) (decimal.Decimal, bool) {
	if s == "" {
		return decimal.Decimal{}, false
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
		case (r == '-' || r == '+') && i == 0:
		default:
			return decimal.Decimal{}, false
		}
	}
	if digits == 0 || strings.Count(s, ".") > 1 {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(strings.TrimPrefix(s, "+"))
	if err != nil {
		return decimal.Decimal{}, false
	}
	return d, true
}

func toDouble(it Item) (float64, bool) {
	switch it.K {
	case iDouble:
		return it.F, true
	case iDecimal:
		return decFloat(it), true
	case iUntyped, iString:
		return parseDouble(it.S)
	case iNode:
		return parseDouble(it.N.StringValue())
	case iBool:
		if it.B {
			return 1, true
		}
		return 0, true
	}
	return math.NaN(), false
}

func isNumeric(k uint8) bool { return k == iDecimal || k == iDouble }

// Comparison operators.
const (
	opEq = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

func cmpResult(c int, op int) bool {
	switch op {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	}
	return c >= 0
}

func cmpFloat(a, b float64, op int) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return op == opNe
	}
	c := 0
	if a < b {
		c = -1
	} else if a > b {
		c = 1
	}
	return cmpResult(c, op)
}

// compareAtoms compares two atomic values; general says whether untyped
// operands follow the general-comparison casting rules.
func compareAtoms(a, b Item, op int, general bool) bool {
	if a.K == iUntyped && general {
		a = castUntypedFor(a, b.K)
	}
	if b.K == iUntyped && general {
		b = castUntypedFor(b, a.K)
	}
	if a.K == iUntyped {
		a.K = iString
	}
	if b.K == iUntyped {
		b.K = iString
	}
	switch {
	case a.K == 255 || b.K == 255:
		return false // failed cast: a dynamic error in XPath
	case isNumeric(a.K) && isNumeric(b.K):
		if a.K == iDecimal && b.K == iDecimal {
			return cmpResult(decCmp(a, b), op)
		}
		fa, _ := toDouble(a)
		fb, _ := toDouble(b)
		return cmpFloat(fa, fb, op)
	case a.K == iString && b.K == iString:
		return cmpResult(strings.Compare(a.S, b.S), op)
	case a.K == iBool && b.K == iBool:
		ai, bi := 0, 0
		if a.B {
			ai = 1
		}
		if b.B {
			bi = 1
		}
		return cmpResult(ai-bi, op)
	case a.K == iDate && b.K == iDate:
		return cmpFloat(a.F, b.F, op)
	}
	return false // incomparable types: a type error in XPath
}

func castUntypedFor(u Item, other uint8) Item {
	switch other {
	case iDecimal, iDouble:
		f, ok := parseDouble(u.S)
		if !ok {
			return Item{K: 255}
		}
		return Item{K: iDouble, F: f}
	case iBool:
		switch trimXMLSpace(u.S) {
		case "true", "1":
			return Item{K: iBool, B: true}
		case "false", "0":
			return Item{K: iBool, B: false}
		}
		return Item{K: 255}
	case iDate:
		t, ok := parseDate(u.S)
		if !ok {
			return Item{K: 255}
		}
		return Item{K: iDate, F: days(t)}
	}
	return Item{K: iString, S: u.S}
}

// gcmp is an XPath 2.0 general comparison (=, !=, <, ...).
func gcmp(a, b Seq, op int) bool {
	for _, x := range a {
		x = atom(x)
		for _, y := range b {
			if compareAtoms(x, atom(y), op, true) {
				return true
			}
		}
	}
	return false
}

// vcmp is a value comparison (eq, ne, ...): empty when an operand is empty.
func vcmp(a, b Seq, op int) Seq {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	return boolSeq(compareAtoms(atom(a[0]), atom(b[0]), op, false))
}

// Arithmetic operators.
const (
	opAdd = iota
	opSub
	opMul
	opDiv
)

func numItem(it Item) (Item, bool) {
	switch it.K {
	case iDecimal, iDouble:
		return it, true
	case iUntyped, iNode:
		f, ok := toDouble(it)
		return Item{K: iDouble, F: f}, ok
	}
	return Item{}, false
}

// arith is +, -, *, div on optional numeric operands.
func arith(a, b Seq, op int) Seq {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	return Seq{arithItem(a[0], b[0], op)}
}

// arithItem is arith on two items.
func arithItem(a, b Item, op int) Item {
	nan := Item{K: iDouble, F: math.NaN()}
	x, ok1 := numItem(a)
	y, ok2 := numItem(b)
	if !ok1 || !ok2 {
		return nan
	}
	if x.K == iDecimal && y.K == iDecimal {
		if r, ok := decArith(x, y, op); ok {
			return r
		}
		xd, yd := x.dec(), y.dec()
		switch op {
		case opAdd:
			return Item{K: iDecimal, D: xd.Add(yd)}
		case opSub:
			return Item{K: iDecimal, D: xd.Sub(yd)}
		case opMul:
			return Item{K: iDecimal, D: xd.Mul(yd)}
		}
		if yd.IsZero() {
			return nan
		}
		return Item{K: iDecimal, D: xd.DivRound(yd, 20)}
	}
	fx, _ := toDouble(x)
	fy, _ := toDouble(y)
	switch op {
	case opAdd:
		return Item{K: iDouble, F: fx + fy}
	case opSub:
		return Item{K: iDouble, F: fx - fy}
	case opMul:
		return Item{K: iDouble, F: fx * fy}
	}
	return Item{K: iDouble, F: fx / fy}
}

func neg(a Seq) Seq {
	if len(a) == 0 {
		return nil
	}
	x, ok := numItem(a[0])
	if !ok {
		return dblLit(math.NaN())
	}
	if x.K == iDecimal {
		if x.sc != 0 {
			return Seq{{K: iDecimal, sc: x.sc, I: -x.I}}
		}
		return decSeq(x.D.Neg())
	}
	return dblLit(-x.F)
}

// --- node navigation -------------------------------------------------

func sortDedup(s Seq) Seq {
	if len(s) < 2 {
		return s
	}
	sorted := true
	for i := 1; i < len(s); i++ {
		if s[i].N.Order <= s[i-1].N.Order {
			sorted = false
			break
		}
	}
	if sorted {
		return s
	}
	sort.SliceStable(s, func(i, j int) bool { return s[i].N.Order < s[j].N.Order })
	out := s[:1]
	for i := 1; i < len(s); i++ {
		if s[i].N != out[len(out)-1].N {
			out = append(out, s[i])
		}
	}
	return out
}

// step applies f to every node of s (the context of a path step) and
// returns the result in document order (nodes) or concatenated (atomics).
func step(s Seq, f func(n *Node) Seq) Seq {
	if len(s) == 1 && s[0].K == iNode {
		return f(s[0].N)
	}
	var out Seq
	nodes := true
	for _, it := range s {
		if it.K != iNode {
			continue
		}
		r := f(it.N)
		for _, x := range r {
			if x.K != iNode {
				nodes = false
			}
		}
		out = append(out, r...)
	}
	if nodes {
		return sortDedup(out)
	}
	return out
}

// filter keeps the node items of s for which pred is true; it allocates
// only when some but not all items are kept.
func filter(s Seq, pred func(n *Node) bool) Seq {
	for i, it := range s {
		if it.K == iNode && pred(it.N) {
			continue
		}
		out := make(Seq, i, len(s))
		copy(out, s[:i])
		for _, it := range s[i+1:] {
			if it.K == iNode && pred(it.N) {
				out = append(out, it)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return s
}

// Name is a name test of the compiled rules. Names without wildcards get a
// small integer id at init (nameOf, from the generated code); the parser
// gives every element and attribute with such a name that id, so a name
// test is an integer compare.
type Name struct {
	ID           int32
	Space, Local string

	indexElem, indexAttr bool  // `//name`, `//@name` from the document node are indexed
	slotElem, slotAttr   int32 // their slots in docIndex.seqs (from 1)
}

// indexSlots is the number of indexed names (elements and attributes).
var indexSlots int32

var (
	nameIDs   = map[[2]string]int32{}
	nameByID  = []*Name{nil}
	nameMutex sync.Mutex
)

// nameOf registers a name test (called by package-level initialisers of
// the generated code).
func nameOf(space, local string) *Name {
	nameMutex.Lock()
	defer nameMutex.Unlock()
	nm := &Name{Space: space, Local: local}
	if space == "*" || local == "*" {
		return nm
	}
	if id, ok := nameIDs[[2]string{space, local}]; ok {
		return nameByID[id]
	}
	nm.ID = int32(len(nameByID))
	nameIDs[[2]string{space, local}] = nm.ID
	nameByID = append(nameByID, nm)
	return nm
}

func nameMatch(n *Node, nt *Name) bool {
	if nt.ID != 0 {
		return n.ID == nt.ID
	}
	return (nt.Local == "*" || n.Local == nt.Local) && (nt.Space == "*" || n.Space == nt.Space)
}

// child is child::name. When the matching children are adjacent (as the
// UBL schemas order them) the result is a capacity-limited window on the
// node's cached children, so it does not allocate.
func child(n *Node, nt *Name) Seq {
	x := n.ext()
	if x.kids == nil {
		k := 0
		for _, c := range n.Children {
			if c.Kind == KindElement {
				k++
			}
		}
		if k == 0 {
			x.kids = noKids // leaves (text only): no allocation
			return nil
		}
		x.kids = items(n, k)[:0]
		for _, c := range n.Children {
			if c.Kind == KindElement {
				x.kids = append(x.kids, Item{K: iNode, ID: c.ID, N: c})
			}
		}
		x.kidRuns = adjacentNames(x.kids)
	}
	if nt.ID == 0 || len(x.kids) <= 8 {
		return window(x.kids, nt, x.kidRuns)
	}
	if x.byID == nil {
		x.byID = indexKids(x.kids)
	}
	ix := x.byID
	for i, id := range ix.ids {
		if id == nt.ID {
			return ix.seqs[i]
		}
	}
	return nil
}

// kidIndex is a wide parent's element children grouped by name id: the
// ids searched in a compact array (a few dozen distinct names at most in
// UBL), each with its children.
type kidIndex struct {
	ids  []int32
	seqs []Seq
}

// indexKids groups a wide parent's element children by name id: windows on
// kids where a name's children are adjacent, copies otherwise.
func indexKids(kids Seq) *kidIndex {
	ix := &kidIndex{}
	var owned []bool // seqs[k] is a copy, appended to in place
	for i := 0; i < len(kids); {
		id := kids[i].N.ID
		j := i + 1
		for j < len(kids) && kids[j].N.ID == id {
			j++
		}
		if id != 0 {
			k := slices.Index(ix.ids, id)
			if k >= 0 {
				if !owned[k] {
					prev := ix.seqs[k]
					ix.seqs[k], owned[k] = append(make(Seq, 0, 2*len(prev)+j-i), prev...), true
				}
				ix.seqs[k] = append(ix.seqs[k], kids[i:j]...)
			} else {
				owned = append(owned, false)
				ix.ids = append(ix.ids, id)
				ix.seqs = append(ix.seqs, kids[i:j:j])
			}
		}
		i = j
	}
	return ix
}

// adjacentNames reports whether, in a short list of children, the children
// of each name id are adjacent (so a window need not look further).
func adjacentNames(kids Seq) bool {
	if len(kids) > 8 {
		return false
	}
	for i := 1; i < len(kids); i++ {
		id := kids[i].ID
		if id == kids[i-1].ID {
			continue
		}
		for _, k := range kids[:i] {
			if k.ID == id {
				return false
			}
		}
	}
	return true
}

// window is the items of all (a node's cached children or attributes, with
// their ids) that match nt; adjacent says the items of each id are known to
// be adjacent.
// noKids is the cached children of a node without element children.
var noKids = Seq{}

func window(all Seq, nt *Name, adjacent bool) Seq {
	if id := nt.ID; id != 0 {
		i := 0
		for i < len(all) && all[i].ID != id {
			i++
		}
		if i == len(all) {
			return nil
		}
		j := i + 1
		for j < len(all) && all[j].ID == id {
			j++
		}
		if adjacent {
			return all[i:j:j]
		}
		k := j
		for k < len(all) && all[k].ID != id {
			k++
		}
		if k == len(all) {
			return all[i:j:j]
		}
		var out Seq
		for _, it := range all[i:] {
			if it.ID == id {
				out = append(out, it)
			}
		}
		return out
	}
	i := 0
	for i < len(all) && !nameMatch(all[i].N, nt) {
		i++
	}
	if i == len(all) {
		return nil
	}
	j := i + 1
	for j < len(all) && nameMatch(all[j].N, nt) {
		j++
	}
	k := j
	for k < len(all) && !nameMatch(all[k].N, nt) {
		k++
	}
	if k == len(all) {
		return all[i:j:j]
	}
	var out Seq
	for _, it := range all[i:] {
		if nameMatch(it.N, nt) {
			out = append(out, it)
		}
	}
	return out
}

func childText(n *Node) Seq {
	var out Seq
	for _, c := range n.Children {
		if c.Kind == KindText {
			out = append(out, Item{K: iNode, N: c})
		}
	}
	return out
}

func attr(n *Node, nt *Name) Seq {
	if len(n.Attrs) == 0 {
		return nil
	}
	x := n.ext()
	if x.attrs == nil {
		x.attrs = items(n, len(n.Attrs))
		for i, a := range n.Attrs {
			x.attrs[i] = Item{K: iNode, ID: a.ID, N: a}
		}
	}
	return window(x.attrs, nt, true) // attribute names are unique
}

func descendants(n *Node, nt *Name, out Seq) Seq {
	for _, c := range n.Children {
		if c.Kind == KindElement {
			if nameMatch(c, nt) {
				out = append(out, Item{K: iNode, N: c})
			}
			out = descendants(c, nt, out)
		}
	}
	return out
}

// desc is descendant::name (the `//name` of an abbreviated path). From the
// document node, for the names the compiled rules ask for (indexNames), it
// is answered from a name index built by one walk on first use (callers
// never modify a Seq they did not build).
func desc(n *Node, nt *Name) Seq {
	if n.Kind != KindDocument || nt.ID == 0 || !nt.indexElem {
		return descendants(n, nt, nil)
	}
	return n.index().seqs[nt.slotElem]
}

// nameKey is a name id, for elements or attributes.
type nameKey struct {
	id   int32
	attr bool
}

// indexNames marks the names whose `//name` (attr: `//@name`) the compiled
// rules evaluate from the document node: only these are indexed (called by
// package-level initialisers of the generated code).
func indexNames(attr bool, names ...*Name) bool {
	nameMutex.Lock()
	defer nameMutex.Unlock()
	for _, nm := range names {
		switch {
		case attr && !nm.indexAttr:
			indexSlots++
			nm.indexAttr, nm.slotAttr = true, indexSlots
		case !attr && !nm.indexElem:
			indexSlots++
			nm.indexElem, nm.slotElem = true, indexSlots
		}
	}
	return true
}

// docIndex holds, per slot of an indexed name, the elements or attributes
// in document order.
type docIndex struct {
	seqs []Seq
	// the document's node slabs and how many nodes they hold (set by
	// parse): index walks them in order instead of the tree
	slabs     []*[]Node
	slabNodes int
	bufs      *indexBufs // seqs' arrays, from indexPool
	// the node caches' items are carved from chunks, recycled with the
	// document's node slabs
	items  []Item
	chunks []*[]Item
	// node caches, carved the same way
	caches      []nodeCache
	cacheChunks []*[]nodeCache
}

const cacheChunk = 128

var cachePool = sync.Pool{New: func() any { s := make([]nodeCache, cacheChunk); return &s }}

// docOf is the index of n's document, nil for a document not from Parse.
func docOf(n *Node) *docIndex {
	r := root(n)
	if r.x == nil {
		return nil
	}
	return r.x.doc
}

// newCache is a zeroed cache for n.
func newCache(n *Node) *nodeCache {
	if n.Kind == KindDocument {
		return &nodeCache{}
	}
	d := docOf(n)
	if d == nil {
		return &nodeCache{}
	}
	if len(d.caches) == 0 {
		sp := cachePool.Get().(*[]nodeCache)
		d.cacheChunks = append(d.cacheChunks, sp)
		d.caches = *sp
	}
	c := &d.caches[0]
	d.caches = d.caches[1:]
	*c = nodeCache{}
	return c
}

const itemChunk = 512

var itemPool = sync.Pool{New: func() any { s := make([]Item, itemChunk); return &s }}

// items is a Seq of k items for a cache of node n, from its document's
// chunks when it has them (a document from Parse), else allocated.
func items(n *Node, k int) Seq {
	d := docOf(n)
	if d == nil || k > itemChunk/8 {
		return make(Seq, k)
	}
	if len(d.items) < k {
		sp := itemPool.Get().(*[]Item)
		d.chunks = append(d.chunks, sp)
		d.items = *sp
	}
	out := d.items[:k:k]
	d.items = d.items[k:]
	return out
}

// index builds the document's name index in two walks (count, then fill
// one backing array).
func (n *Node) index() *docIndex {
	if n.x != nil && n.x.doc != nil && n.x.doc.seqs != nil {
		return n.x.doc
	}
	cnt := make([]int32, indexSlots+1) // on the stack when small enough
	var walk func(p *Node, fill func(k int, m *Node))
	walk = func(p *Node, fill func(k int, m *Node)) {
		for _, c := range p.Children {
			if c.Kind != KindElement {
				continue
			}
			if c.ID != 0 && nameByID[c.ID].indexElem {
				fill(int(nameByID[c.ID].slotElem), c)
			}
			for _, a := range c.Attrs {
				if a.ID != 0 && nameByID[a.ID].indexAttr {
					fill(int(nameByID[a.ID].slotAttr), a)
				}
			}
			walk(c, fill)
		}
	}
	total := 0
	var slab func(fill func(k int, m *Node))
	if n.x != nil && n.x.doc != nil && n.x.doc.slabs != nil {
		// a document from parse: its nodes are in the slabs in document
		// order (attributes after their element, before its children), so
		// one loop over them replaces the recursive walk
		slabs, left := n.x.doc.slabs, n.x.doc.slabNodes
		slab = func(fill func(k int, m *Node)) {
			rest := left
			for _, sp := range slabs {
				nodes := (*sp)[:min(rest, len(*sp))]
				rest -= len(nodes)
				for i := range nodes {
					m := &nodes[i]
					if m.ID == 0 {
						continue
					}
					nm := nameByID[m.ID]
					switch {
					case m.Kind == KindElement && nm.indexElem:
						fill(int(nm.slotElem), m)
					case m.Kind == KindAttr && nm.indexAttr:
						fill(int(nm.slotAttr), m)
					}
				}
			}
		}
	}
	if slab != nil {
		slab(func(k int, _ *Node) { cnt[k]++; total++ })
	} else {
		walk(n, func(k int, _ *Node) { cnt[k]++; total++ })
	}
	bufs := indexPool.Get().(*indexBufs)
	if cap(bufs.all) < total {
		bufs.all = make(Seq, 0, total)
	}
	if cap(bufs.seqs) < int(indexSlots)+1 {
		bufs.seqs = make([]Seq, indexSlots+1)
	}
	all := bufs.all[:0]
	seqs := bufs.seqs[:indexSlots+1]
	for k, c := range cnt {
		if c > 0 {
			seqs[k] = all[len(all) : len(all) : len(all)+int(c)]
			all = all[:len(all)+int(c)]
		}
	}
	fill := func(k int, m *Node) { seqs[k] = append(seqs[k], Item{K: iNode, ID: m.ID, N: m}) }
	if slab != nil {
		slab(fill)
	} else {
		walk(n, fill)
	}
	x := n.ext()
	if x.doc == nil {
		x.doc = &docIndex{}
	}
	x.doc.seqs = seqs
	x.doc.bufs = bufs
	return x.doc
}

// indexBufs are a document index's arrays, recycled with the document.
type indexBufs struct {
	all  Seq
	seqs []Seq
}

var indexPool = sync.Pool{New: func() any { return &indexBufs{} }}

// releaseIndex returns the index's arrays to the pool, cleared (they hold
// node pointers).
func (d *docIndex) releaseIndex() {
	if d.bufs == nil {
		return
	}
	clear(d.bufs.all[:cap(d.bufs.all)])
	clear(d.bufs.seqs)
	indexPool.Put(d.bufs)
	d.bufs, d.seqs = nil, nil
}

// descAttr is //@name.
func descAttr(n *Node, nt *Name) Seq {
	if n.Kind == KindDocument && nt.ID != 0 && nt.indexAttr {
		return n.index().seqs[nt.slotAttr]
	}
	var out Seq
	var walk func(m *Node)
	walk = func(m *Node) {
		for _, c := range m.Children {
			if c.Kind == KindElement {
				out = append(out, attr(c, nt)...)
				walk(c)
			}
		}
	}
	walk(n)
	return out
}

func parent(n *Node) Seq {
	if n.Parent == nil {
		return nil
	}
	return nodeSeq(n.Parent)
}

func ancestor(n *Node, nt *Name) Seq {
	var out Seq
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Kind == KindElement && nameMatch(p, nt) {
			out = append(Seq{{K: iNode, N: p}}, out...)
		}
	}
	return out
}

func self(n *Node, nt *Name) Seq {
	if n.Kind == KindElement && nameMatch(n, nt) {
		return nodeSeq(n)
	}
	return nil
}

func followingSibling(n *Node, nt *Name) Seq {
	if n.Parent == nil || n.Kind == KindAttr {
		return nil
	}
	var out Seq
	seen := false
	for _, c := range n.Parent.Children {
		if c == n {
			seen = true
			continue
		}
		if seen && c.Kind == KindElement && nameMatch(c, nt) {
			out = append(out, Item{K: iNode, N: c})
		}
	}
	return out
}

// preceding is preceding::name: elements before n in document order that
// are not its ancestors.
func preceding(n *Node, nt *Name) Seq {
	root := n
	for root.Parent != nil {
		root = root.Parent
	}
	anc := map[*Node]bool{}
	for p := n.Parent; p != nil; p = p.Parent {
		anc[p] = true
	}
	var out Seq
	var walk func(m *Node) bool
	walk = func(m *Node) bool {
		for _, c := range m.Children {
			if c == n {
				return false
			}
			if c.Kind != KindElement {
				continue
			}
			if !anc[c] && nameMatch(c, nt) {
				out = append(out, Item{K: iNode, N: c})
			}
			if !walk(c) {
				return false
			}
		}
		return true
	}
	walk(root)
	return out
}

func root(n *Node) *Node {
	for n.Parent != nil {
		n = n.Parent
	}
	return n
}

// --- functions -------------------------------------------------------

func fnNormalizeSpace(s string) string {
	if len(s) == 0 {
		return s
	}
	if s[0] != ' ' && s[len(s)-1] != ' ' {
		// clean: no tab, line feed or carriage return and no two spaces in
		// a row (one compare per byte for the bytes above the space)
		i := 0
		for ; i < len(s); i++ {
			if c := s[i]; c <= ' ' && (c == '\t' || c == '\n' || c == '\r' || c == ' ' && s[i+1] == ' ') {
				break
			}
		}
		if i == len(s) {
			return s
		}
	}
	return strings.Join(strings.FieldsFunc(s, xmlSpace), " ")
}

// words is a code list (' A B … Z ', one space around each word) as a set,
// with its text.
type words struct {
	set  map[string]bool
	text string
}

func wordSet(list string) *words {
	w := &words{set: map[string]bool{}, text: list}
	for _, x := range strings.Split(list[1:len(list)-1], " ") {
		w.set[x] = true
	}
	return w
}

// containsWord is contains(list, s): for s = ' word ' (a word without
// spaces) a set lookup, which answers the same as the substring search
// because each word of the list has exactly one space on either side.
func containsWord(w *words, s string) bool {
	if len(s) >= 3 && s[0] == ' ' && s[len(s)-1] == ' ' && strings.IndexByte(s[1:len(s)-1], ' ') < 0 {
		return w.set[s[1:len(s)-1]]
	}
	return strings.Contains(w.text, s)
}

// containsCode is containsWord(w, " "+code+" ") without the padded
// string: a set lookup for a code without spaces.
func containsCode(w *words, code string) bool {
	if code != "" && strings.IndexByte(code, ' ') < 0 {
		return w.set[code]
	}
	return strings.Contains(w.text, " "+code+" ")
}

func fnStringLength(s string) Seq {
	return intSeq(utf8.RuneCountInString(s))
}

func fnCount(s Seq) Seq { return intSeq(len(s)) }

func fnSubstringAfter(a, b string) string {
	i := strings.Index(a, b)
	if i < 0 {
		return ""
	}
	return a[i+len(b):]
}

func fnSubstringBefore(a, b string) string {
	i := strings.Index(a, b)
	if i < 0 {
		return ""
	}
	return a[:i]
}

// fnSubstring is fn:substring with XPath's rounding rules.
func fnSubstring(s string, start Seq, length Seq) string {
	fs, _ := toDouble(firstNum(start))
	r := []rune(s)
	st := math.Floor(fs + 0.5)
	end := math.Inf(1)
	if length != nil {
		fl, _ := toDouble(firstNum(length))
		end = st + math.Floor(fl+0.5)
	}
	var b strings.Builder
	for i, c := range r {
		p := float64(i + 1)
		if p >= st && p < end {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func firstNum(s Seq) Item {
	if len(s) == 0 {
		return Item{K: iDouble, F: math.NaN()}
	}
	it, ok := numItem(s[0])
	if !ok {
		return Item{K: iDouble, F: math.NaN()}
	}
	return it
}

func fnSum(s Seq) Seq {
	var a sumAcc
	a.add(s)
	return a.result()
}

// sumAcc is fn:sum fed item by item (the compiled loops over a path feed
// it without building the sequence): the first item atomised (untyped
// becomes xs:double), then each further item added with arith.
type sumAcc struct {
	acc  Item
	some bool
}

func (a *sumAcc) item(it Item) {
	if !a.some {
		a.some = true
		a.acc = atom(it)
		if a.acc.K == iUntyped {
			f, _ := parseDouble(a.acc.S)
			a.acc = Item{K: iDouble, F: f}
		}
		return
	}
	a.acc = arithItem(a.acc, it, opAdd)
}

// add adds the items of s; it returns false (for use inside anyNode loops).
func (a *sumAcc) add(s Seq) bool {
	for _, it := range s {
		a.item(it)
	}
	return false
}

func (a *sumAcc) result() Seq {
	if !a.some {
		return intSeq(0)
	}
	return Seq{a.acc}
}

// tally adds len(s) to *k; it returns false (for use inside anyNode loops).
func tally(k *int, s Seq) bool {
	*k += len(s)
	return false
}

// tally1 counts one node; it returns false (for use inside anyNode loops).
func tally1(k *int) bool {
	*k++
	return false
}

func countOf(k int) Seq { return intSeq(k) }

// fnRound rounds half towards positive infinity.
func fnRound(s Seq) Seq {
	if len(s) == 0 {
		return nil
	}
	it, ok := numItem(s[0])
	if !ok {
		return dblLit(math.NaN())
	}
	if it.K == iDecimal {
		if it.sc != 0 {
			if it.sc == 1 {
				return Seq{it}
			}
			p := pow10[it.sc-1]
			q, m := (it.I+p/2)/p, (it.I+p/2)%p
			if m < 0 {
				q-- // floor
			}
			return Seq{{K: iDecimal, sc: 1, I: q}}
		}
		return decSeq(it.D.Add(decimal.New(5, -1)).Floor())
	}
	if math.IsNaN(it.F) || math.IsInf(it.F, 0) {
		return Seq{it}
	}
	return dblLit(math.Floor(it.F + 0.5))
}

func fnAbs(s Seq) Seq {
	if len(s) == 0 {
		return nil
	}
	it, ok := numItem(s[0])
	if !ok {
		return dblLit(math.NaN())
	}
	if it.K == iDecimal {
		if it.sc != 0 {
			if it.I < 0 {
				it.I = -it.I
			}
			return Seq{it}
		}
		return decSeq(it.D.Abs())
	}
	return dblLit(math.Abs(it.F))
}

// castDecimal is xs:decimal(arg).
func castDecimal(s Seq) Seq {
	if len(s) == 0 {
		return nil
	}
	if s[0].K == iNode {
		return s[0].N.decimal()
	}
	it := s[0]
	switch it.K {
	case iDecimal:
		return Seq{it}
	case iDouble:
		if math.IsNaN(it.F) || math.IsInf(it.F, 0) {
			return nil
		}
		return decSeq(decimal.NewFromFloat(it.F))
	case iBool:
		if it.B {
			return intSeq(1)
		}
		return intSeq(0)
	}
	d, ok := parseDecimal(it.S)
	if !ok {
		return nil // FORG0001 in XPath
	}
	return Seq{d}
}

var dateRe = regexp.MustCompile(`^(-?\d{4,})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$`)

func parseDate(s string) (time.Time, bool) {
	s = trimXMLSpace(s)
	m := dateRe.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false
	}
	if tz := m[4]; tz != "" && tz != "Z" {
		h, _ := strconv.Atoi(tz[1:3])
		mi, _ := strconv.Atoi(tz[4:6])
		if h > 14 || mi > 59 || (h == 14 && mi != 0) {
			return time.Time{}, false
		}
	}
	return t, true
}

func castDate(s Seq) Seq {
	if len(s) == 0 {
		return nil
	}
	if s[0].K == iDate {
		return Seq{s[0]}
	}
	t, ok := parseDate(itemString(atom(s[0])))
	if !ok {
		return nil
	}
	return Seq{{K: iDate, F: days(t)}}
}

func castableDate(s Seq) bool {
	if len(s) != 1 {
		return false
	}
	_, ok := parseDate(itemString(atom(s[0])))
	return ok
}

var reCache sync.Map

func fnMatches(s, pattern string) bool {
	v, ok := reCache.Load(pattern)
	if !ok {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return false
		}
		v, _ = reCache.LoadOrStore(pattern, re)
	}
	return v.(*regexp.Regexp).MatchString(s)
}

func concatSeq(parts ...Seq) Seq {
	var out Seq
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func union(parts ...Seq) Seq { return sortDedup(concatSeq(parts...)) }

func fnName(s Seq) string {
	if len(s) == 0 || s[0].K != iNode {
		return ""
	}
	return s[0].N.Name()
}

func fnLocalName(s Seq) string {
	if len(s) == 0 || s[0].K != iNode {
		return ""
	}
	return s[0].N.Local
}

// every is `every $v in s satisfies f($v)`.
func every(s Seq, f func(v Seq) bool) bool {
	for _, it := range s {
		if !f(Seq{it}) {
			return false
		}
	}
	return true
}

// some is `some $v in s satisfies f($v)`.
func some(s Seq, f func(v Seq) bool) bool {
	for _, it := range s {
		if f(Seq{it}) {
			return true
		}
	}
	return false
}

// descOrSelf is descendant-or-self::node() (elements and text).
func descOrSelf(n *Node) Seq {
	out := Seq{{K: iNode, N: n}}
	var walk func(m *Node)
	walk = func(m *Node) {
		for _, c := range m.Children {
			out = append(out, Item{K: iNode, N: c})
			if c.Kind == KindElement {
				walk(c)
			}
		}
	}
	walk(n)
	return out
}

func days(t time.Time) float64 { return math.Floor(float64(t.Unix()) / 86400) }

func dateOf(d float64) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// anyNode reports whether f holds for some node of s.
func anyNode(s Seq, f func(n *Node) bool) bool {
	for _, it := range s {
		if it.K == iNode && f(it.N) {
			return true
		}
	}
	return false
}

// gcmpStr is `s = lit` (eq) or `s != lit` for a string literal: nodes and
// untyped or string items compare as strings; other types are not
// comparable with a string (false).
func gcmpStr(s Seq, lit string, eq bool) bool {
	for _, it := range s {
		var v string
		switch it.K {
		case iNode:
			v = it.N.StringValue()
		case iUntyped, iString:
			v = it.S
		default:
			continue
		}
		if (v == lit) == eq {
			return true
		}
	}
	return false
}

// atom is the atomised value of one item (a node becomes untyped text).
func atom(it Item) Item {
	if it.K == iNode {
		return Item{K: iUntyped, S: it.N.StringValue()}
	}
	return it
}

// decimal is xs:decimal of the node's text, parsed once per node.
func (n *Node) decimal() Seq {
	x := n.ext()
	if x.dec == nil {
		d, ok := parseDecimal(n.StringValue())
		if ok {
			x.dec = items(n, 1)
			x.dec[0] = d
		} else {
			x.dec = Seq{} // FORG0001 in XPath: empty here
		}
	}
	if len(x.dec) == 0 {
		return nil
	}
	return x.dec
}

// memoBool is a document-constant test (see gen/memo.go): evaluated on
// first use, then read from its slot of the per-document slice v.
func memoBool(v []Seq, k int, f func() bool) bool {
	if m := v[k]; m != nil {
		return m[0].B
	}
	b := f()
	v[k] = boolSeq(b)
	return b
}

// wideKids is the number of children above which the child loops use the
// parent's cached index by name instead of a scan.
const wideKids = 16

// anyChild is anyNode(child(n, nt), f) without building the children's
// items (a scan of a narrow parent's children, in document order).
func anyChild(n *Node, nt *Name, f func(c *Node) bool) bool {
	if len(n.Children) > wideKids {
		return anyNode(child(n, nt), f)
	}
	if id := nt.ID; id != 0 { // text nodes have no name id
		for _, c := range n.Children {
			if c.ID == id && f(c) {
				return true
			}
		}
		return false
	}
	for _, c := range n.Children {
		if c.Kind == KindElement && nameMatch(c, nt) && f(c) {
			return true
		}
	}
	return false
}

// hasChild is exists(child::nt).
func hasChild(n *Node, nt *Name) bool {
	if len(n.Children) > wideKids {
		return len(child(n, nt)) > 0
	}
	if id := nt.ID; id != 0 {
		for _, c := range n.Children {
			if c.ID == id {
				return true
			}
		}
		return false
	}
	for _, c := range n.Children {
		if c.Kind == KindElement && nameMatch(c, nt) {
			return true
		}
	}
	return false
}

// childStr is fn:string(child::nt[1]): the first such child's text, "" if
// there is none.
func childStr(n *Node, nt *Name) string {
	if len(n.Children) > wideKids {
		return str(child(n, nt))
	}
	for _, c := range n.Children {
		if c.Kind == KindElement && nameMatch(c, nt) {
			return c.StringValue()
		}
	}
	return ""
}

// setStr stores n's string value in *r; it returns true (the first node of
// a loop is the one wanted).
func setStr(r *string, n *Node) bool {
	*r = n.StringValue()
	return true
}

// anyAttr is anyNode(attr(n, nt), f) without building the items.
func anyAttr(n *Node, nt *Name, f func(a *Node) bool) bool {
	for _, a := range n.Attrs {
		if nameMatch(a, nt) && f(a) {
			return true
		}
	}
	return false
}

// hasAttr is exists(@nt).
func hasAttr(n *Node, nt *Name) bool {
	for _, a := range n.Attrs {
		if nameMatch(a, nt) {
			return true
		}
	}
	return false
}

// cseSlot holds a sub-expression that a check evaluates more than once
// with the same context and variables (the generator's common
// sub-expressions): computed on first use.
type cseSlot struct {
	s  Seq
	ok bool
}

func (c *cseSlot) get(f func() Seq) Seq {
	if !c.ok {
		c.s, c.ok = f(), true
	}
	return c.s
}

// upwardMax is the number of //last nodes up to which existsNames looks
// upwards from them rather than down from the context.
const upwardMax = 16

// existsNames is exists(names[0]/names[1]/…) from n (child steps of
// concrete names, the last one indexed): upwards from the document's
// `//last` nodes when there are few of them, else by loops down from n.
func existsNames(n *Node, names []*Name) bool {
	last := names[len(names)-1]
	if r := root(n); r.Kind == KindDocument && r != n && last.indexElem {
		// a name of the path absent from the document: no such path
		for _, nm := range names[:len(names)-1] {
			if nm.indexElem && len(desc(r, nm)) == 0 {
				return false
			}
		}
		// from the root element every candidate is in n's subtree, so going
		// up from each costs less than walking down: no limit then
		if cand := desc(r, last); len(cand) <= upwardMax || n.Parent == r {
			for _, it := range cand {
				m := it.N
				i := len(names) - 2
				for ; i >= 0; i-- {
					m = m.Parent
					if m == nil || m.Kind != KindElement || m.ID != names[i].ID {
						break
					}
				}
				if i < 0 && m.Parent == n {
					return true
				}
			}
			return false
		}
	}
	return existsDownFrom(n, names)
}

func existsDownFrom(n *Node, names []*Name) bool {
	if len(names) == 1 {
		return hasChild(n, names[0])
	}
	return anyChild(n, names[0], func(c *Node) bool { return existsDownFrom(c, names[1:]) })
}
