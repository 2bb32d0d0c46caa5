package gen

import (
	"fmt"
	"strconv"
	"strings"
)

// compiler turns XPath ASTs into Go expressions over package validate's
// runtime (rt.go). Every unsupported construct is an error.
type compiler struct {
	prefix string            // Go identifier prefix of the generated file
	ns     map[string]string // prefix -> namespace URI
	lets   map[string]int    // global variable -> index into v
	consts []string          // package-level literal values
	constK map[string]string
	tmp    int
	// lastKeys: the names a rule context's last steps can match (set by matcher)
	lastKeys []string
	// indexed: the names of `//name` ([0]) and `//@name` ([1]) steps, in
	// order of first use: the runtime indexes them (indexNames)
	indexed [2][]string
	seenIdx map[string]bool
	// memoK: document-constant boolean expressions -> their slot in v
	memoK map[string]int
	// memoSelf: the memoized expression whose own body is being compiled
	memoSelf expr
	// leafItem, set by loopFrom while it calls a leaf for a final primary
	// that yields at most one item: that primary compiled by itemOf
	leafItem func() string
	// cse: the frame (a check, or a quantifier's body) whose repeated
	// sums are evaluated once
	cse *cseFrame
}

// cseFrame is one evaluation of a check or of a quantifier's body: within
// it the context node (cv) and the variables are fixed, so an expression
// of them written twice has one value. Repeated sum() calls (BR-S-08 and
// its siblings write each sum over the lines twice) get a cseSlot.
type cseFrame struct {
	cv     string
	counts map[string]int    // sum() expressions of the frame -> occurrences
	slots  map[string]string // -> Go variable of its cseSlot
	decl   []string
}

// countSums counts the sum() calls of e outside nested quantifier bodies
// (which are frames of their own).
func countSums(e expr, counts map[string]int) {
	switch x := e.(type) {
	case *call:
		if x.name == "sum" {
			counts[exprKey(x)]++
		}
		for _, a := range x.args {
			countSums(a, counts)
		}
	case *binary:
		countSums(x.l, counts)
		countSums(x.r, counts)
	case *negate:
		countSums(x.x, counts)
	case *quant:
		countSums(x.in, counts)
	case *castable:
		countSums(x.x, counts)
	case *seqExpr:
		for _, it := range x.items {
			countSums(it, counts)
		}
	case *path:
		for _, st := range x.steps {
			if st.primary != nil {
				countSums(st.primary, counts)
			}
			for _, p := range st.preds {
				countSums(p, counts)
			}
		}
	}
}

// framed compiles the boolean e as a CSE frame with context variable cv:
// the Go bool expression, wrapped in a closure declaring the frame's slots
// when it has any.
func (c *compiler) framed(e expr, s scope) string {
	outer := c.cse
	f := &cseFrame{cv: s.cv, counts: map[string]int{}, slots: map[string]string{}}
	countSums(e, f.counts)
	c.cse = f
	g := c.boolOf(e, s)
	c.cse = outer
	if len(f.decl) == 0 {
		return g
	}
	return fmt.Sprintf("func() bool { var %s cseSlot; return %s }()", strings.Join(f.decl, ", "), g)
}

// cseSeq returns the Go Seq expression g of e through the frame's slot
// when e occurs more than once in the frame with the frame's context.
func (c *compiler) cseSeq(e expr, s scope, g string) string {
	f := c.cse
	if f == nil || s.cv != f.cv {
		return g
	}
	k := exprKey(e)
	if f.counts[k] < 2 {
		return g
	}
	v, ok := f.slots[k]
	if !ok {
		v = c.fresh("c")
		f.slots[k] = v
		f.decl = append(f.decl, v)
	}
	return fmt.Sprintf("%s.get(func() Seq { return %s })", v, g)
}

// index records a `//name` (attr: `//@name`) name constant for indexNames.
func (c *compiler) index(k string, attr bool) string {
	key := fmt.Sprint(k, attr)
	if c.seenIdx == nil {
		c.seenIdx = map[string]bool{}
	}
	if !c.seenIdx[key] {
		c.seenIdx[key] = true
		i := 0
		if attr {
			i = 1
		}
		c.indexed[i] = append(c.indexed[i], k)
	}
	return k
}

type scope struct {
	cv   string            // Go variable holding the context node
	vars map[string]string // quantified variables -> Go identifiers
}

func (s scope) with(cv string) scope { return scope{cv: cv, vars: s.vars} }

func (s scope) bind(name, goName string) scope {
	m := map[string]string{}
	for k, v := range s.vars {
		m[k] = v
	}
	m[name] = goName
	return scope{cv: s.cv, vars: m}
}

type compileError struct{ msg string }

func (c *compiler) fail(format string, args ...interface{}) {
	panic(compileError{fmt.Sprintf(format, args...)})
}

func (c *compiler) fresh(prefix string) string {
	c.tmp++
	return fmt.Sprintf("%s%d", prefix, c.tmp)
}

func (c *compiler) constant(goExpr string) string {
	if name, ok := c.constK[goExpr]; ok {
		return name
	}
	name := fmt.Sprintf("%sK%d", c.prefix, len(c.consts))
	c.consts = append(c.consts, fmt.Sprintf("%s = %s", name, goExpr))
	c.constK[goExpr] = name
	return name
}

func (c *compiler) uri(prefix string) string {
	if prefix == "" {
		return ""
	}
	u, ok := c.ns[prefix]
	if !ok {
		c.fail("undeclared namespace prefix %q", prefix)
	}
	return u
}

// isWordList: a long string literal of words each preceded and followed by
// one space (' 10 11 13 … ZZ '), as the code-list rules write them.
func isWordList(v string) bool {
	if len(v) < 64 || v[0] != ' ' || v[len(v)-1] != ' ' {
		return false
	}
	for _, w := range strings.Split(v[1:len(v)-1], " ") {
		if w == "" {
			return false
		}
	}
	return true
}

// isSpaceLit: e is the string literal ' '.
func isSpaceLit(e expr) bool {
	l, ok := e.(*lit)
	return ok && l.kind == "string" && l.val == " "
}

// boolean-valued expressions compile to Go bool directly.
func isBoolExpr(e expr) bool {
	switch x := e.(type) {
	case *binary:
		return x.op == "or" || x.op == "and" || x.op == "=" || x.op == "!=" || x.op == "<" ||
			x.op == "<=" || x.op == ">" || x.op == ">="
	case *quant, *castable:
		return true
	case *call:
		switch x.name {
		case "not", "exists", "boolean", "true", "false", "contains", "ends-with", "matches", "starts-with", "empty":
			return true
		}
	}
	return false
}

var genCmp = map[string]string{"=": "opEq", "!=": "opNe", "<": "opLt", "<=": "opLe", ">": "opGt", ">=": "opGe"}
var valCmp = map[string]string{"eq": "opEq", "ne": "opNe", "lt": "opLt", "le": "opLe", "gt": "opGt", "ge": "opGe"}
var arithOp = map[string]string{"+": "opAdd", "-": "opSub", "*": "opMul", "div": "opDiv"}

func (c *compiler) boolOf(e expr, s scope) string {
	if e == c.memoSelf {
		c.memoSelf = nil // its sub-expressions may have slots of their own
	} else if c.docConstant(e) {
		k := c.memoSlot(memoKey(e))
		c.memoSelf = e
		body := c.boolOf(e, s)
		return fmt.Sprintf("memoBool(v, %d, func() bool { return %s })", k, body)
	}
	switch x := e.(type) {
	case *binary:
		switch x.op {
		case "or":
			return "(" + c.boolOf(x.l, s) + " || " + c.boolOf(x.r, s) + ")"
		case "and":
			return "(" + c.boolOf(x.l, s) + " && " + c.boolOf(x.r, s) + ")"
		}
		if op, ok := genCmp[x.op]; ok {
			if g, ok := c.cmpStringLiteral(x, s); ok {
				return g
			}
			if g, ok := c.cmpTyped(x, op, s); ok {
				return g
			}
			if g, ok := c.gcmpLoop(x, op, s); ok {
				return g
			}
			return fmt.Sprintf("gcmp(%s, %s, %s)", c.seqOf(x.l, s), c.seqOf(x.r, s), op)
		}
	case *quant:
		fn := "every"
		if !x.every {
			fn = "some"
		}
		g := c.fresh("q")
		if p, ok := loopable(x.in, loopAny); ok {
			// a loop over the path's items: no sequence is built
			loop := c.loopPath(p, s, func(nv, seq, str string) string {
				body := c.framed(x.body, s.bind(x.name, g))
				if nv != "" {
					if x.every {
						return fmt.Sprintf("!func(%s Seq) bool { return %s }(nodeSeq(%s))", g, body, nv)
					}
					return fmt.Sprintf("func(%s Seq) bool { return %s }(nodeSeq(%s))", g, body, nv)
				}
				if x.every {
					return fmt.Sprintf("!every(%s, func(%s Seq) bool { return %s })", seq, g, body)
				}
				return fmt.Sprintf("some(%s, func(%s Seq) bool { return %s })", seq, g, body)
			})
			if x.every {
				return "!" + loop
			}
			return loop
		}
		body := c.framed(x.body, s.bind(x.name, g))
		return fmt.Sprintf("%s(%s, func(%s Seq) bool { return %s })", fn, c.seqOf(x.in, s), g, body)
	case *castable:
		if x.typ != "xs:date" || x.empty {
			c.fail("castable as %s is not compiled", x.typ)
		}
		return fmt.Sprintf("castableDate(%s)", c.seqOf(x.x, s))
	case *call:
		if b, ok := c.boolCall(x, s); ok {
			return b
		}
	case *path:
		if g, ok := c.ebvChildBool(x, s); ok {
			return g
		}
		// a path ending in an axis step yields nodes: its EBV is exists()
		if g, ok := c.existsPath(x, s); ok {
			return g
		}
	}
	return "ebv(" + c.seqOf(e, s) + ")"
}

func (c *compiler) arity(x *call, n ...int) {
	for _, k := range n {
		if len(x.args) == k {
			return
		}
	}
	c.fail("%s() with %d arguments is not compiled", x.name, len(x.args))
}

func (c *compiler) boolCall(x *call, s scope) (string, bool) {
	switch x.name {
	case "not":
		c.arity(x, 1)
		return "!" + c.boolOf(x.args[0], s), true
	case "boolean":
		c.arity(x, 1)
		return c.boolOf(x.args[0], s), true
	case "exists":
		c.arity(x, 1)
		if g, ok := c.existsPath(x.args[0], s); ok {
			return g, true
		}
		return "(len(" + c.seqOf(x.args[0], s) + ") > 0)", true
	case "empty":
		c.arity(x, 1)
		if g, ok := c.existsPath(x.args[0], s); ok {
			return "!" + g, true
		}
		return "(len(" + c.seqOf(x.args[0], s) + ") == 0)", true
	case "true":
		c.arity(x, 0)
		return "true", true
	case "false":
		c.arity(x, 0)
		return "false", true
	case "contains":
		c.arity(x, 2)
		if l, ok := x.args[0].(*lit); ok && l.kind == "string" && isWordList(l.val) {
			// a code list (' A B C ') searched for ' code ': a set lookup
			k := c.constant(fmt.Sprintf("wordSet(%s)", strconv.Quote(l.val)))
			if cc, ok := x.args[1].(*call); ok && cc.name == "concat" && len(cc.args) == 3 && isSpaceLit(cc.args[0]) && isSpaceLit(cc.args[2]) {
				// contains(list, concat(' ', code, ' ')): the code looked up
				// without building the padded string
				return fmt.Sprintf("containsCode(%s, %s)", k, c.strOf(cc.args[1], s)), true
			}
			return fmt.Sprintf("containsWord(%s, %s)", k, c.strOf(x.args[1], s)), true
		}
		return fmt.Sprintf("strings.Contains(%s, %s)", c.strOf(x.args[0], s), c.strOf(x.args[1], s)), true
	case "starts-with":
		c.arity(x, 2)
		return fmt.Sprintf("strings.HasPrefix(%s, %s)", c.strOf(x.args[0], s), c.strOf(x.args[1], s)), true
	case "ends-with":
		c.arity(x, 2)
		if nm, ok := x.args[0].(*call); ok && nm.name == "name" && len(nm.args) == 0 {
			if l, ok := x.args[1].(*lit); ok && l.kind == "string" && !strings.Contains(l.val, ":") {
				// a suffix without a colon of prefix:local is a suffix of local
				return fmt.Sprintf("strings.HasSuffix(%s.Local, %s)", s.cv, strconv.Quote(l.val)), true
			}
		}
		return fmt.Sprintf("strings.HasSuffix(%s, %s)", c.strOf(x.args[0], s), c.strOf(x.args[1], s)), true
	case "matches":
		c.arity(x, 2)
		return fmt.Sprintf("fnMatches(%s, %s)", c.strOf(x.args[0], s), c.strOf(x.args[1], s)), true
	}
	return "", false
}

// strOf compiles e to a Go string: fn:string of its (first) item.
func (c *compiler) strOf(e expr, s scope) string {
	switch x := e.(type) {
	case *lit:
		if x.kind == "string" {
			return strconv.Quote(x.val)
		}
	case *call:
		if g, ok := c.strCall(x, s); ok {
			return g
		}
	case *path:
		if g, ok := c.strPath(x, s); ok {
			return g
		}
	case *ctxItem:
		return s.cv + ".StringValue()"
	}
	return "str(" + c.seqOf(e, s) + ")"
}

// childSteps: p is a relative path of child name steps without `//` (its
// nodes, visited by nested loops over the children, come in document
// order).
func childSteps(p *path) bool {
	if p.abs != 0 || len(p.steps) == 0 {
		return false
	}
	for _, st := range p.steps {
		if st.axis != "child" || st.test != "name" || st.desc {
			return false
		}
	}
	return true
}

// strPath compiles fn:string of the first node of a path of child steps:
// one child's text without building a sequence.
func (c *compiler) strPath(p *path, s scope) (string, bool) {
	if !childSteps(p) {
		return "", false
	}
	if len(p.steps) == 1 && len(p.steps[0].preds) == 0 {
		st := p.steps[0]
		return fmt.Sprintf("childStr(%s, %s)", s.cv, c.name(c.stepSpace(st), st.local)), true
	}
	r := c.fresh("r")
	loop := c.loopFrom(p.steps, s.cv, s, func(nv, _, _ string) string {
		return fmt.Sprintf("setStr(&%s, %s)", r, nv)
	})
	return fmt.Sprintf("func() (%s string) { %s; return }()", r, loop), true
}

// stepSpace is the namespace of a name step ("*" for a wildcard).
func (c *compiler) stepSpace(st *pathStep) string {
	if st.prefix == "" && st.local == "*" {
		return "*"
	}
	return c.uri(st.prefix)
}

// anyOver is the Go bool expression: some node next selected by step st
// from node nv satisfies cond ("" for none). Child and attribute name steps
// loop over the node's own lists (no item sequence is built).
func (c *compiler) anyOver(st *pathStep, nv, next, cond string, s scope) string {
	if !st.desc && st.test == "name" && (st.axis == "child" || st.axis == "attribute") {
		fn := "Child"
		if st.axis == "attribute" {
			fn = "Attr"
		}
		k := c.name(c.stepSpace(st), st.local)
		if cond == "" {
			return fmt.Sprintf("has%s(%s, %s)", fn, nv, k)
		}
		return fmt.Sprintf("any%s(%s, %s, func(%s *Node) bool { return %s })", fn, nv, k, next, cond)
	}
	sel := c.axisCall(st, nv, s)
	if cond == "" {
		return "(len(" + sel + ") > 0)"
	}
	return fmt.Sprintf("anyNode(%s, func(%s *Node) bool { return %s })", sel, next, cond)
}

func (c *compiler) ctxOrArg(x *call, s scope) string {
	if len(x.args) == 0 {
		return s.cv + ".StringValue()"
	}
	return c.strOf(x.args[0], s)
}

func (c *compiler) strCall(x *call, s scope) (string, bool) {
	switch x.name {
	case "normalize-space":
		c.arity(x, 0, 1)
		return "fnNormalizeSpace(" + c.ctxOrArg(x, s) + ")", true
	case "string":
		c.arity(x, 0, 1)
		return c.ctxOrArg(x, s), true
	case "upper-case":
		c.arity(x, 1)
		return "strings.ToUpper(" + c.strOf(x.args[0], s) + ")", true
	case "lower-case":
		c.arity(x, 1)
		return "strings.ToLower(" + c.strOf(x.args[0], s) + ")", true
	case "substring-after":
		c.arity(x, 2)
		return fmt.Sprintf("fnSubstringAfter(%s, %s)", c.strOf(x.args[0], s), c.strOf(x.args[1], s)), true
	case "substring-before":
		c.arity(x, 2)
		return fmt.Sprintf("fnSubstringBefore(%s, %s)", c.strOf(x.args[0], s), c.strOf(x.args[1], s)), true
	case "substring":
		c.arity(x, 2, 3)
		length := "nil"
		if len(x.args) == 3 {
			length = c.seqOf(x.args[2], s)
		}
		return fmt.Sprintf("fnSubstring(%s, %s, %s)", c.strOf(x.args[0], s), c.seqOf(x.args[1], s), length), true
	case "concat":
		if len(x.args) < 2 {
			c.fail("concat() needs two arguments")
		}
		parts := make([]string, len(x.args))
		for i, a := range x.args {
			parts[i] = c.strOf(a, s)
		}
		return "(" + strings.Join(parts, " + ") + ")", true
	case "name", "local-name":
		c.arity(x, 0, 1)
		arg := "nodeSeq(" + s.cv + ")"
		if len(x.args) == 1 {
			arg = c.seqOf(x.args[0], s)
		}
		if x.name == "name" {
			return "fnName(" + arg + ")", true
		}
		return "fnLocalName(" + arg + ")", true
	}
	return "", false
}

// seqOf compiles e to a Go expression of type Seq.
func (c *compiler) seqOf(e expr, s scope) string {
	if isBoolExpr(e) {
		return "boolSeq(" + c.boolOf(e, s) + ")"
	}
	switch x := e.(type) {
	case *lit:
		switch x.kind {
		case "string":
			return c.constant("strSeq(" + strconv.Quote(x.val) + ")")
		default:
			return c.constant("intLit(" + strconv.Quote(x.val) + ")")
		}
	case *varRef:
		if g, ok := s.vars[x.name]; ok {
			return g
		}
		if i, ok := c.lets[x.name]; ok {
			return fmt.Sprintf("v[%d]", i)
		}
		c.fail("unknown variable $%s", x.name)
	case *ctxItem:
		return "nodeSeq(" + s.cv + ")"
	case *seqExpr:
		if len(x.items) == 0 {
			return "Seq(nil)"
		}
		parts := make([]string, len(x.items))
		allLit := true
		for i, it := range x.items {
			parts[i] = c.seqOf(it, s)
			if _, ok := it.(*lit); !ok {
				allLit = false
			}
		}
		if allLit { // a constant sequence such as ('S', 'Z', 'E')
			return c.constant("concatSeq(" + strings.Join(parts, ", ") + ")")
		}
		return "concatSeq(" + strings.Join(parts, ", ") + ")"
	case *binary:
		if op, ok := valCmp[x.op]; ok {
			return fmt.Sprintf("vcmp(%s, %s, %s)", c.seqOf(x.l, s), c.seqOf(x.r, s), op)
		}
		if op, ok := arithOp[x.op]; ok {
			return fmt.Sprintf("arith(%s, %s, %s)", c.seqOf(x.l, s), c.seqOf(x.r, s), op)
		}
		if x.op == "|" {
			return fmt.Sprintf("union(%s, %s)", c.seqOf(x.l, s), c.seqOf(x.r, s))
		}
		c.fail("operator %q is not compiled", x.op)
	case *negate:
		return "neg(" + c.seqOf(x.x, s) + ")"
	case *call:
		return c.seqCall(x, s)
	case *path:
		return c.pathOf(x, s)
	}
	c.fail("expression %T is not compiled", e)
	return ""
}

func (c *compiler) seqCall(x *call, s scope) string {
	if g, ok := c.strCall(x, s); ok {
		return "strSeq(" + g + ")"
	}
	one := func(fn string) string {
		c.arity(x, 1)
		return fn + "(" + c.seqOf(x.args[0], s) + ")"
	}
	switch x.name {
	case "count":
		c.arity(x, 1)
		if p, ok := loopable(x.args[0], loopCount); ok {
			k := c.fresh("k")
			loop := c.loopPath(p, s, func(nv, seq, str string) string {
				if nv != "" {
					return "tally1(&" + k + ")"
				}
				return "tally(&" + k + ", " + seq + ")"
			})
			return fmt.Sprintf("func() Seq { %s := 0; %s; return countOf(%s) }()", k, loop, k)
		}
		return one("fnCount")
	case "sum":
		c.arity(x, 1)
		if p, ok := loopable(x.args[0], loopSum); ok {
			a := c.fresh("a")
			loop := c.loopPath(p, s, func(nv, seq, str string) string {
				if nv != "" {
					return a + ".add(nodeSeq(" + nv + "))"
				}
				return a + ".add(" + seq + ")"
			})
			return c.cseSeq(x, s, fmt.Sprintf("func() Seq { var %s sumAcc; %s; return %s.result() }()", a, loop, a))
		}
		return c.cseSeq(x, s, one("fnSum"))
	case "round":
		return one("fnRound")
	case "abs":
		return one("fnAbs")
	case "xs:decimal":
		return one("castDecimal")
	case "xs:date":
		return one("castDate")
	case "string-length":
		c.arity(x, 0, 1)
		return "fnStringLength(" + c.ctxOrArg(x, s) + ")"
	}
	c.fail("function %s() is not compiled", x.name)
	return ""
}

// axisCall is the Go expression selecting step st's axis from node variable nv.
func (c *compiler) axisCall(st *pathStep, nv string, s scope) string {
	if st.axis == "" {
		return c.seqOf(st.primary, s.with(nv))
	}
	if st.test == "text" {
		if st.axis != "child" {
			c.fail("text() on axis %s is not compiled", st.axis)
		}
		return "childText(" + nv + ")"
	}
	if st.test == "node" {
		if st.axis != "parent" {
			c.fail("node() on axis %s is not compiled", st.axis)
		}
		return "parent(" + nv + ")"
	}
	space := c.uri(st.prefix)
	if st.prefix == "" && st.local == "*" {
		space = "*"
	}
	args := nv + ", " + c.name(space, st.local)
	switch st.axis {
	case "child":
		if st.desc {
			return "desc(" + nv + ", " + c.index(c.name(space, st.local), false) + ")"
		}
		return "child(" + args + ")"
	case "attribute":
		if st.desc {
			return "descAttr(" + nv + ", " + c.index(c.name(space, st.local), true) + ")"
		}
		return "attr(" + args + ")"
	case "self":
		return "self(" + args + ")"
	case "ancestor":
		return "ancestor(" + args + ")"
	case "following-sibling":
		return "followingSibling(" + args + ")"
	case "preceding":
		return "preceding(" + args + ")"
	case "parent":
		c.fail("parent::name is not compiled")
	}
	c.fail("axis %s is not compiled", st.axis)
	return ""
}

func (c *compiler) withPreds(sel string, preds []expr, s scope) string {
	for _, p := range preds {
		if l, ok := p.(*lit); ok && l.kind != "string" {
			c.fail("positional predicates are not compiled")
		}
		if cl, ok := p.(*call); ok && (cl.name == "position" || cl.name == "last") {
			c.fail("positional predicates are not compiled")
		}
		pv := c.fresh("p")
		sel = fmt.Sprintf("filter(%s, func(%s *Node) bool { return %s })", sel, pv, c.boolOf(p, s.with(pv)))
	}
	return sel
}

func (c *compiler) pathOf(x *path, s scope) string {
	cur := ""
	switch x.abs {
	case 0:
		cur = ""
	default:
		cur = "nodeSeq(root(" + s.cv + "))"
	}
	if len(x.steps) == 0 {
		return cur
	}
	for i, st := range x.steps {
		descOther := st.desc && (st.axis != "child" || st.test != "name") && st.axis != "attribute"
		if descOther {
			if names := c.unionOfNames(st); names != nil && len(st.preds) == 0 {
				// //(a|b) is //a | //b: no walk over every node
				if i == 0 && cur == "" {
					cur = c.descUnion(names, s.cv)
					continue
				}
				if i == 0 {
					cur = c.descUnion(names, "root("+s.cv+")")
					continue
				}
				nv := c.fresh("n")
				cur = fmt.Sprintf("step(%s, func(%s *Node) Seq { return %s })", cur, nv, c.descUnion(names, nv))
				continue
			}
			prev := cur
			if prev == "" {
				prev = "nodeSeq(" + s.cv + ")"
			}
			dv := c.fresh("d")
			cur = fmt.Sprintf("step(%s, func(%s *Node) Seq { return descOrSelf(%s) })", prev, dv, dv)
		}
		if i == 0 && cur == "" {
			cur = c.withPreds(c.axisCall(st, s.cv, s), st.preds, s)
			continue
		}
		if i == 0 && !descOther && st.axis != "" {
			// first step from the root: no step() over a one-node sequence
			cur = c.withPreds(c.axisCall(st, "root("+s.cv+")", s), st.preds, s)
			continue
		}
		nv := c.fresh("n")
		inner := c.withPreds(c.axisCall(st, nv, s), st.preds, s)
		cur = fmt.Sprintf("step(%s, func(%s *Node) Seq { return %s })", cur, nv, inner)
	}
	return cur
}

// matcher compiles a rule context (a pattern: union of paths of child and
// attribute steps) into the body of func(v []Seq, n *Node) bool.
func (c *compiler) matcher(e expr) string {
	var alts []*path
	var collect func(e expr)
	collect = func(e expr) {
		switch x := e.(type) {
		case *binary:
			if x.op != "|" {
				c.fail("pattern operator %q is not compiled", x.op)
			}
			collect(x.l)
			collect(x.r)
		case *path:
			alts = append(alts, x)
		default:
			c.fail("pattern %T is not compiled", e)
		}
	}
	collect(e)
	c.lastKeys = c.lastKeys[:0]
	for _, a := range alts {
		if len(a.steps) == 0 {
			continue
		}
		st := a.steps[len(a.steps)-1]
		space := "*"
		if st.prefix != "" || st.local != "*" {
			space = c.uri(st.prefix)
		}
		c.lastKeys = append(c.lastKeys, fmt.Sprintf("{Space: %s, Local: %s, Attr: %t}", strconv.Quote(space), strconv.Quote(st.local), st.axis == "attribute"))
	}
	var b strings.Builder
	for _, a := range alts {
		fmt.Fprintf(&b, "\tif func() bool {\n%s\t}() {\n\t\treturn true\n\t}\n", c.matchAlt(a))
	}
	b.WriteString("\treturn false\n")
	return b.String()
}

func (c *compiler) matchAlt(a *path) string {
	if len(a.steps) == 0 {
		c.fail("the root pattern is not compiled")
	}
	var b strings.Builder
	b.WriteString("\t\tm := n\n")
	for i := len(a.steps) - 1; i >= 0; i-- {
		st := a.steps[i]
		if i > 0 && st.desc {
			c.fail("// inside a pattern is not compiled")
		}
		if st.axis != "child" && st.axis != "attribute" || st.test != "name" {
			c.fail("pattern step %s::%s is not compiled", st.axis, st.test)
		}
		kind := "KindElement"
		if st.axis == "attribute" {
			kind = "KindAttr"
		}
		space := c.uri(st.prefix)
		if st.prefix == "" && st.local == "*" {
			space = "*"
		}
		if i < len(a.steps)-1 {
			b.WriteString("\t\tm = m.Parent\n")
		}
		fmt.Fprintf(&b, "\t\tif m == nil || m.Kind != %s || !nameMatch(m, %s) {\n\t\t\treturn false\n\t\t}\n",
			kind, c.name(space, st.local))
		for _, p := range st.preds {
			if l, ok := p.(*lit); ok && l.kind != "string" {
				c.fail("positional predicates are not compiled")
			}
			fmt.Fprintf(&b, "\t\tif !(%s) {\n\t\t\treturn false\n\t\t}\n", c.boolOf(p, scope{cv: "m"}))
		}
	}
	if a.abs == 1 {
		b.WriteString("\t\treturn m.Parent != nil && m.Parent.Kind == KindDocument\n")
	} else {
		b.WriteString("\t\treturn true\n")
	}
	return b.String()
}

// unionOfNames returns the child name steps of a primary `(a|b|...)`, or
// nil when it is anything else.
func (c *compiler) unionOfNames(st *pathStep) []*pathStep {
	var out []*pathStep
	var walk func(e expr) bool
	walk = func(e expr) bool {
		switch x := e.(type) {
		case *binary:
			return x.op == "|" && walk(x.l) && walk(x.r)
		case *path:
			if x.abs != 0 || len(x.steps) != 1 {
				return false
			}
			s := x.steps[0]
			if s.axis != "child" || s.test != "name" || len(s.preds) > 0 || s.desc {
				return false
			}
			out = append(out, s)
			return true
		}
		return false
	}
	if st.axis != "" || !walk(st.primary) {
		return nil
	}
	return out
}

func (c *compiler) descUnion(names []*pathStep, nv string) string {
	parts := make([]string, len(names))
	for i, s := range names {
		space := c.uri(s.prefix)
		if s.prefix == "" && s.local == "*" {
			space = "*"
		}
		parts[i] = fmt.Sprintf("desc(%s, %s)", nv, c.index(c.name(space, s.local), false))
	}
	return "union(" + strings.Join(parts, ", ") + ")"
}

// name is the package-level *Name variable for a name test.
func (c *compiler) name(space, local string) string {
	return c.constant(fmt.Sprintf("nameOf(%s, %s)", strconv.Quote(space), strconv.Quote(local)))
}

// existsPath compiles exists(p) for a path of axis steps into nested loops
// that stop at the first node found (no sequence is built for the last
// step). ok is false for paths it does not handle.
func (c *compiler) existsPath(e expr, s scope) (string, bool) {
	p, ok := e.(*path)
	if !ok || len(p.steps) == 0 {
		return "", false
	}
	if alts := splitUnion(p); alts != nil {
		var gs []string
		for _, a := range alts {
			g, ok := c.existsPath(a, s)
			if !ok {
				return "", false
			}
			gs = append(gs, g)
		}
		return "(" + strings.Join(gs, " || ") + ")", true
	}
	for _, st := range p.steps {
		if st.axis == "" || (st.desc && (st.axis != "child" || st.test != "name") && st.axis != "attribute") {
			return "", false
		}
	}
	start := s.cv
	if p.abs != 0 {
		start = "root(" + s.cv + ")"
	}
	if g, ok := c.existsDown(p, start); ok {
		return g, true
	}
	return c.existsFrom(p.steps, start, s), true
}

// existsDown compiles exists(a/b/…/z) for two or more child steps of
// concrete names without predicates as existsNames: the runtime may answer
// it upwards from the document's index of //z (most such names are absent
// or rare, where the loops would visit every invoice line).
func (c *compiler) existsDown(p *path, start string) (string, bool) {
	if len(p.steps) < 2 {
		return "", false
	}
	var names []string
	for _, st := range p.steps {
		if st.axis != "child" || st.test != "name" || st.desc || len(st.preds) > 0 || st.local == "*" {
			return "", false
		}
		names = append(names, c.name(c.uri(st.prefix), st.local))
	}
	for _, nm := range names {
		c.index(nm, false) // an absent name answers at once
	}
	k := c.constant("[]*Name{" + strings.Join(names, ", ") + "}")
	return fmt.Sprintf("existsNames(%s, %s)", start, k), true
}

func (c *compiler) existsFrom(steps []*pathStep, nv string, s scope) string {
	st := steps[0]
	next := c.fresh("n")
	var conds []string
	for _, pr := range st.preds {
		if l, ok := pr.(*lit); ok && l.kind != "string" {
			c.fail("positional predicates are not compiled")
		}
		if cl, ok := pr.(*call); ok && (cl.name == "position" || cl.name == "last") {
			c.fail("positional predicates are not compiled")
		}
		conds = append(conds, c.boolOf(pr, s.with(next)))
	}
	if len(steps) > 1 {
		conds = append(conds, c.existsFrom(steps[1:], next, s))
	}
	return c.anyOver(st, nv, next, strings.Join(conds, " && "), s)
}

// cmpStringLiteral compiles `x = 'lit'` and `x != 'lit'` (either side)
// without building sequences: a Go string compare when x is a string
// function, else gcmpStr over x's items.
func (c *compiler) cmpStringLiteral(x *binary, s scope) (string, bool) {
	if x.op != "=" && x.op != "!=" {
		return "", false
	}
	other, l := x.l, x.r
	lt, ok := l.(*lit)
	if !ok || lt.kind != "string" {
		other, l = x.r, x.l
		if lt, ok = l.(*lit); !ok || lt.kind != "string" {
			return "", false
		}
	}
	if cl, ok := other.(*call); ok {
		if g, ok := c.strCall(cl, s); ok {
			return fmt.Sprintf("(%s %s %s)", g, map[string]string{"=": "==", "!=": "!="}[x.op], strconv.Quote(lt.val)), true
		}
	}
	if p, ok := loopable(other, loopAny); ok {
		cmp := map[string]string{"=": "==", "!=": "!="}[x.op]
		return c.loopPath(p, s, func(nv, seq, str string) string {
			if nv != "" {
				return fmt.Sprintf("(%s.StringValue() %s %s)", nv, cmp, strconv.Quote(lt.val))
			}
			if str != "" {
				return fmt.Sprintf("(%s %s %s)", str, cmp, strconv.Quote(lt.val))
			}
			return fmt.Sprintf("gcmpStr(%s, %s, %t)", seq, strconv.Quote(lt.val), x.op == "=")
		}), true
	}
	return fmt.Sprintf("gcmpStr(%s, %s, %t)", c.seqOf(other, s), strconv.Quote(lt.val), x.op == "="), true
}

// Loop modes of loopPath: what the consumer of a path's items needs.
const (
	loopAny   = iota // existential (=, some, every): order and duplicates do not matter
	loopCount        // count(): no duplicates
	loopSum          // sum(): no duplicates, document order (xs:double addition)
)

// loopable reports whether path e can be compiled as nested loops over its
// steps (loopPath) for the mode: axis steps (a `//` only on a name or
// attribute test), and at the end possibly a primary without predicates.
// For count and sum the loops must visit each node once, and for sum in
// document order: after the first step only child, attribute and self
// steps, parent steps only from a single node.
func loopable(e expr, mode int) ([]*path, bool) {
	p, ok := e.(*path)
	if !ok || len(p.steps) == 0 {
		return nil, false
	}
	if alts := splitUnion(p); alts != nil {
		if mode != loopAny {
			return nil, false
		}
		var out []*path
		for _, a := range alts {
			ps, ok := loopable(a, mode)
			if !ok {
				return nil, false
			}
			out = append(out, ps...)
		}
		return out, true
	}
	single := true
	for i, st := range p.steps {
		if st.axis == "" {
			if i != len(p.steps)-1 || i == 0 || len(st.preds) > 0 {
				return nil, false
			}
			if mode != loopAny && !atomicExpr(st.primary) {
				return nil, false
			}
			continue
		}
		if st.desc && (st.axis != "child" || st.test != "name") && st.axis != "attribute" {
			return nil, false
		}
		if mode == loopAny {
			continue
		}
		switch {
		case st.axis == "self":
		case st.axis == "parent":
			if !single {
				return nil, false
			}
		case (st.axis == "child" || st.axis == "attribute") && !st.desc:
			single = false
		default: // descendants, ancestors, siblings, preceding: nested or out of order
			if !single || mode == loopSum {
				return nil, false
			}
			single = false
		}
	}
	return []*path{p}, true
}

// splitUnion rewrites a relative path whose first step is a union of paths,
// (A|B)/rest, as the alternatives A/rest and B/rest (nil otherwise): for
// existential uses, where document order and duplicates do not matter.
func splitUnion(p *path) []*path {
	st := p.steps[0]
	if p.abs != 0 || st.axis != "" || len(st.preds) > 0 {
		return nil
	}
	var sides []expr
	var collect func(e expr) bool
	collect = func(e expr) bool {
		if b, ok := e.(*binary); ok && b.op == "|" {
			return collect(b.l) && collect(b.r)
		}
		if _, ok := e.(*path); !ok {
			return false
		}
		sides = append(sides, e)
		return true
	}
	if !collect(st.primary) {
		return nil
	}
	var out []*path
	for _, side := range sides {
		sp := side.(*path)
		if len(sp.steps) == 0 {
			return nil
		}
		steps := append(append([]*pathStep{}, sp.steps...), p.steps[1:]...)
		out = append(out, &path{abs: sp.abs, steps: steps})
	}
	return out
}

// atomicExpr: e certainly yields atomic values (no nodes).
func atomicExpr(e expr) bool {
	switch x := e.(type) {
	case *lit:
		return true
	case *binary:
		_, ok := arithOp[x.op]
		return ok
	case *call:
		switch x.name {
		case "xs:decimal", "normalize-space", "string", "upper-case", "lower-case", "substring-after",
			"substring-before", "substring", "concat", "name", "local-name", "string-length", "count",
			"sum", "round", "abs":
			return true
		}
	}
	return false
}

// loopPath compiles a Go bool expression that visits the items of path p
// with nested anyNode loops (no sequence is built for any step) and stops
// when leaf is true. leaf gets either the node variable of the last step
// or, for a final primary, the Go Seq expression of its items.
func (c *compiler) loopPath(ps []*path, s scope, leaf func(nv, seq, str string) string) string {
	var alts []string
	for _, p := range ps {
		start := s.cv
		if p.abs != 0 {
			start = "root(" + s.cv + ")"
		}
		alts = append(alts, c.loopFrom(p.steps, start, s, leaf))
	}
	if len(alts) == 1 {
		return alts[0]
	}
	return "(" + strings.Join(alts, " || ") + ")"
}

func (c *compiler) loopFrom(steps []*pathStep, nv string, s scope, leaf func(nv, seq, str string) string) string {
	st := steps[0]
	if st.axis == "" {
		if cl, ok := st.primary.(*call); ok {
			if g, ok := c.strCall(cl, s.with(nv)); ok {
				return leaf("", "strSeq("+g+")", g)
			}
		}
		// the leaf may take the primary as an item instead (leafItem)
		outer := c.leafItem
		c.leafItem = nil
		if c.isItem(st.primary, s.with(nv)) {
			c.leafItem = func() string { g, _ := c.itemOf(st.primary, s.with(nv)); return g }
		}
		defer func() { c.leafItem = outer }()
		return leaf("", c.seqOf(st.primary, s.with(nv)), "")
	}
	next := c.fresh("n")
	var conds []string
	for _, pr := range st.preds {
		if l, ok := pr.(*lit); ok && l.kind != "string" {
			c.fail("positional predicates are not compiled")
		}
		if cl, ok := pr.(*call); ok && (cl.name == "position" || cl.name == "last") {
			c.fail("positional predicates are not compiled")
		}
		conds = append(conds, c.boolOf(pr, s.with(next)))
	}
	if len(steps) > 1 {
		conds = append(conds, c.loopFrom(steps[1:], next, s, leaf))
	} else {
		conds = append(conds, leaf(next, "", ""))
	}
	return c.anyOver(st, nv, next, strings.Join(conds, " && "), s)
}

// leafSeq is the Seq of one leaf of loopPath.
func leafSeq(nv, seq string) string {
	if nv != "" {
		return "nodeSeq(" + nv + ")"
	}
	return seq
}

// cheapSeq: e compiles to a constant or a variable (no evaluation cost).
func cheapSeq(e expr) bool {
	switch x := e.(type) {
	case *lit, *varRef:
		return true
	case *seqExpr:
		for _, it := range x.items {
			if _, ok := it.(*lit); !ok {
				return false
			}
		}
		return true
	}
	return false
}

// gcmpLoop compiles the general comparison l op r with a path operand as a
// loop over the path's items (a general comparison is existential); the
// other operand is evaluated once.
func (c *compiler) gcmpLoop(x *binary, op string, s scope) (string, bool) {
	if p, ok := loopable(x.l, loopAny); ok {
		return c.gcmpLoopSide(p, x.r, op, true, s), true
	}
	if p, ok := loopable(x.r, loopAny); ok {
		return c.gcmpLoopSide(p, x.l, op, false, s), true
	}
	return "", false
}

// gcmpLoopSide is gcmpLoop with the path p on the left (pathLeft) or the
// right of op and the other operand o, evaluated once: as an item when it
// yields at most one (each node of the path compared with cmpItems), else
// as a sequence.
func (c *compiler) gcmpLoopSide(p []*path, o expr, op string, pathLeft bool, s scope) string {
	pair := func(a, b string) (string, string) {
		if pathLeft {
			return a, b
		}
		return b, a
	}
	if c.isItem(o, s) {
		g, _ := c.itemOf(o, s)
		ov := g
		if !cheapSeq(o) {
			ov = c.fresh("r")
		}
		body := c.loopPath(p, s, func(nv, seq, str string) string {
			if nv != "" {
				a, b := pair("nodeItem("+nv+")", ov)
				return fmt.Sprintf("cmpItems(%s, %s, %s)", a, b, op)
			}
			if c.leafItem != nil {
				a, b := pair(c.leafItem(), ov)
				return fmt.Sprintf("cmpItems(%s, %s, %s)", a, b, op)
			}
			other := "itemSeq(" + ov + ")"
			if cheapSeq(o) {
				other = c.seqOf(o, s)
			}
			a, b := pair(seq, other)
			return fmt.Sprintf("gcmp(%s, %s, %s)", a, b, op)
		})
		if cheapSeq(o) {
			return body
		}
		return fmt.Sprintf("func(%s Item) bool { return %s }(%s)", ov, body, g)
	}
	g := c.seqOf(o, s)
	ov := g
	if !cheapSeq(o) {
		ov = c.fresh("r")
	}
	body := c.loopPath(p, s, func(nv, seq, str string) string {
		a, b := pair(leafSeq(nv, seq), ov)
		return fmt.Sprintf("gcmp(%s, %s, %s)", a, b, op)
	})
	if cheapSeq(o) {
		return body
	}
	return fmt.Sprintf("func(%s Seq) bool { return %s }(%s)", ov, body, g)
}

// ebvChildBool compiles the EBV of name/(boolean expression): a sequence of
// booleans, one per child in document order, whose EBV is the first one's
// (no sequence is built).
func (c *compiler) ebvChildBool(x *path, s scope) (string, bool) {
	if x.abs != 0 || len(x.steps) != 2 {
		return "", false
	}
	st, last := x.steps[0], x.steps[1]
	if st.axis != "child" || st.test != "name" || st.desc || len(st.preds) > 0 ||
		last.axis != "" || last.desc || len(last.preds) > 0 || !isBoolExpr(last.primary) {
		return "", false
	}
	nv := c.fresh("n")
	k := c.name(c.stepSpace(st), st.local)
	return fmt.Sprintf("func() bool { %s := firstChild(%s, %s); return %s != nil && %s }()", nv, s.cv, k, nv, c.boolOf(last.primary, s.with(nv))), true
}
