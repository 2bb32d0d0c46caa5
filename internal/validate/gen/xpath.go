// Package gen compiles the Schematron rules of an expanded ISO Schematron
// file (XPath 2.0 query binding, the slice the e-Factura rules use) into Go
// source for package validate. It refuses, with an error, every construct it
// does not compile.
package gen

import (
	"fmt"
	"strings"
	"unicode"
)

// token kinds
const (
	tEOF  = iota
	tName // QName or NCName (may be a keyword or function name)
	tStar // * as a name test
	tPrefixStar
	tAxis // name followed by ::
	tString
	tNumber
	tVar
	tOp // punctuation and operators
)

type token struct {
	kind int
	val  string
}

func isNameStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isNameChar(r rune) bool {
	return isNameStart(r) || unicode.IsDigit(r) || r == '-' || r == '.'
}

// lex splits an XPath expression into tokens, resolving the `*` and
// operator-name ambiguities the XPath way (by the preceding token).
func lex(src string) ([]token, error) {
	rs := []rune(src)
	var toks []token
	operandEnd := func() bool {
		if len(toks) == 0 {
			return false
		}
		t := toks[len(toks)-1]
		switch t.kind {
		case tName, tStar, tPrefixStar, tString, tNumber, tVar:
			return true
		case tOp:
			return t.val == ")" || t.val == "]" || t.val == "." || t.val == ".."
		}
		return false
	}
	i := 0
	for i < len(rs) {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '\'' || r == '"':
			lit, j, err := lexString(rs, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tString, lit})
			i = j
		case unicode.IsDigit(r) || (r == '.' && i+1 < len(rs) && unicode.IsDigit(rs[i+1])):
			j := i
			for j < len(rs) && (unicode.IsDigit(rs[j]) || rs[j] == '.') {
				j++
			}
			if j < len(rs) && (rs[j] == 'e' || rs[j] == 'E') {
				return nil, fmt.Errorf("double literals are not compiled")
			}
			toks = append(toks, token{tNumber, string(rs[i:j])})
			i = j
		case r == '$':
			j := i + 1
			for j < len(rs) && (isNameChar(rs[j]) || rs[j] == ':') {
				j++
			}
			toks = append(toks, token{tVar, string(rs[i+1 : j])})
			i = j
		case r == '*':
			if operandEnd() {
				toks = append(toks, token{tOp, "*"})
			} else {
				toks = append(toks, token{tStar, "*"})
			}
			i++
		case isNameStart(r):
			tok, j := lexName(rs, i, operandEnd())
			toks = append(toks, tok)
			i = j
		default:
			two := ""
			if i+1 < len(rs) {
				two = string(rs[i : i+2])
			}
			switch two {
			case "//", "!=", "<=", ">=", "..":
				toks = append(toks, token{tOp, two})
				i += 2
				continue
			}
			if strings.ContainsRune("()[],/@.|=<>+-", r) {
				toks = append(toks, token{tOp, string(r)})
				i++
				continue
			}
			return nil, fmt.Errorf("unexpected character %q", r)
		}
	}
	return append(toks, token{kind: tEOF}), nil
}

func isOperatorName(s string) bool {
	switch s {
	case "and", "or", "div", "mod", "idiv", "eq", "ne", "lt", "le", "gt", "ge", "union",
		"intersect", "except", "castable", "cast", "instance", "treat", "to", "is", "as", "in", "satisfies":
		return true
	}
	return false
}

// AST ---------------------------------------------------------------

type expr interface{}

type lit struct {
	kind string // "string", "integer", "decimal"
	val  string
}

type varRef struct{ name string }

type ctxItem struct{}

type seqExpr struct{ items []expr }

type binary struct {
	op   string
	l, r expr
}

type negate struct{ x expr }

type quant struct {
	every    bool
	name     string
	in, body expr
}

type castable struct {
	x     expr
	typ   string
	empty bool // the type has a `?`
}

type call struct {
	name string
	args []expr
}

type path struct {
	abs   int // 0 relative, 1 `/`, 2 `//`
	steps []*pathStep
}

type pathStep struct {
	desc    bool   // preceded by `//`
	axis    string // child, attribute, self, parent, ancestor, following-sibling, preceding; "" for a primary
	test    string // "name", "text", "node"
	prefix  string
	local   string // local name or "*"
	primary expr
	preds   []expr
}

// parser --------------------------------------------------------------

type parser struct {
	toks []token
	pos  int
}

func parseXPath(src string) (e expr, err error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(parseError)
			if !ok {
				panic(r)
			}
			e, err = nil, fmt.Errorf("%s (at token %d %q)", pe.msg, p.pos, p.peek().val)
		}
	}()
	e = p.expr()
	if p.peek().kind != tEOF {
		p.fail("trailing tokens")
	}
	return e, nil
}

type parseError struct{ msg string }

func (p *parser) fail(format string, args ...interface{}) {
	panic(parseError{fmt.Sprintf(format, args...)})
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	p.pos++
	return t
}
func (p *parser) isOp(v string) bool {
	t := p.peek()
	return t.kind == tOp && t.val == v
}
func (p *parser) expectOp(v string) {
	if !p.isOp(v) {
		p.fail("expected %q", v)
	}
	p.pos++
}

func (p *parser) expr() expr {
	first := p.exprSingle()
	if !p.isOp(",") {
		return first
	}
	s := &seqExpr{items: []expr{first}}
	for p.isOp(",") {
		p.pos++
		s.items = append(s.items, p.exprSingle())
	}
	return s
}

func (p *parser) exprSingle() expr {
	t := p.peek()
	if t.kind == tName && (t.val == "every" || t.val == "some") && p.toks[p.pos+1].kind == tVar {
		p.pos++
		q := &quant{every: t.val == "every", name: p.next().val}
		if nt := p.next(); nt.val != "in" {
			p.fail("expected in")
		}
		q.in = p.exprSingle()
		if p.isOp(",") {
			p.fail("quantified expressions with several bindings are not compiled")
		}
		if nt := p.next(); nt.val != "satisfies" {
			p.fail("expected satisfies")
		}
		q.body = p.exprSingle()
		return q
	}
	switch t.val {
	case "if", "for":
		if t.kind == tName && p.toks[p.pos+1].val == "(" || t.val == "for" && p.toks[p.pos+1].kind == tVar {
			p.fail("%s expressions are not compiled", t.val)
		}
	}
	return p.orExpr()
}

func (p *parser) orExpr() expr {
	l := p.andExpr()
	for p.isOp("or") {
		p.pos++
		l = &binary{"or", l, p.andExpr()}
	}
	return l
}

func (p *parser) andExpr() expr {
	l := p.cmpExpr()
	for p.isOp("and") {
		p.pos++
		l = &binary{"and", l, p.cmpExpr()}
	}
	return l
}

var cmpOps = map[string]bool{"=": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
	"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true}

func (p *parser) cmpExpr() expr {
	l := p.addExpr()
	if t := p.peek(); t.kind == tOp && cmpOps[t.val] {
		p.pos++
		return &binary{t.val, l, p.addExpr()}
	}
	if t := p.peek(); t.kind == tOp && (t.val == "is" || t.val == "to") {
		p.fail("operator %q is not compiled", t.val)
	}
	return l
}

func (p *parser) addExpr() expr {
	l := p.mulExpr()
	for p.isOp("+") || p.isOp("-") {
		op := p.next().val
		l = &binary{op, l, p.mulExpr()}
	}
	return l
}

func (p *parser) mulExpr() expr {
	l := p.unionExpr()
	for p.isOp("*") || p.isOp("div") || p.isOp("mod") || p.isOp("idiv") {
		op := p.next().val
		if op == "mod" || op == "idiv" {
			p.fail("operator %q is not compiled", op)
		}
		l = &binary{op, l, p.unionExpr()}
	}
	return l
}

func (p *parser) unionExpr() expr {
	l := p.castableExpr()
	for p.isOp("|") || p.isOp("union") {
		p.pos++
		l = &binary{"|", l, p.castableExpr()}
	}
	if p.isOp("intersect") || p.isOp("except") || p.isOp("instance") || p.isOp("treat") || p.isOp("cast") {
		p.fail("operator %q is not compiled", p.peek().val)
	}
	return l
}

func (p *parser) castableExpr() expr {
	x := p.unaryExpr()
	if p.isOp("castable") {
		p.pos++
		if nt := p.next(); nt.val != "as" {
			p.fail("expected as")
		}
		t := p.next()
		if t.kind != tName {
			p.fail("expected a type name")
		}
		c := &castable{x: x, typ: t.val}
		if p.isOp("?") {
			p.pos++
			c.empty = true
		}
		return c
	}
	return x
}

func (p *parser) unaryExpr() expr {
	if p.isOp("-") {
		p.pos++
		return &negate{p.unaryExpr()}
	}
	if p.isOp("+") {
		p.pos++
		return p.unaryExpr()
	}
	return p.pathExpr()
}

func (p *parser) startsStep() bool {
	t := p.peek()
	switch t.kind {
	case tName, tStar, tPrefixStar, tAxis, tString, tNumber, tVar:
		return true
	case tOp:
		return t.val == "(" || t.val == "@" || t.val == "." || t.val == ".."
	}
	return false
}

func (p *parser) pathExpr() expr {
	pa := &path{}
	switch {
	case p.isOp("/"):
		p.pos++
		pa.abs = 1
		if !p.startsStep() {
			return pa
		}
	case p.isOp("//"):
		p.pos++
		pa.abs = 2
	}
	st := p.stepExpr()
	st.desc = pa.abs == 2
	pa.steps = append(pa.steps, st)
	for p.isOp("/") || p.isOp("//") {
		d := p.next().val == "//"
		s := p.stepExpr()
		s.desc = d
		pa.steps = append(pa.steps, s)
	}
	if pa.abs == 0 && len(pa.steps) == 1 && pa.steps[0].axis == "" && len(pa.steps[0].preds) == 0 {
		return pa.steps[0].primary
	}
	return pa
}

func (p *parser) stepExpr() *pathStep {
	s := p.axisOrPrimary()
	for p.isOp("[") {
		p.pos++
		s.preds = append(s.preds, p.expr())
		p.expectOp("]")
	}
	return s
}

func (p *parser) axisOrPrimary() *pathStep {
	t := p.peek()
	switch {
	case t.kind == tOp && t.val == "..":
		p.pos++
		return &pathStep{axis: "parent", test: "node"}
	case t.kind == tOp && t.val == "@":
		p.pos++
		s := &pathStep{axis: "attribute"}
		p.nodeTest(s)
		return s
	case t.kind == tAxis:
		p.pos++
		switch t.val {
		case "child", "attribute", "self", "parent", "ancestor", "following-sibling", "preceding":
		default:
			p.fail("axis %s:: is not compiled", t.val)
		}
		s := &pathStep{axis: t.val}
		p.nodeTest(s)
		return s
	case t.kind == tStar || t.kind == tPrefixStar:
		s := &pathStep{axis: "child"}
		p.nodeTest(s)
		return s
	case t.kind == tName && p.toks[p.pos+1].val != "(":
		s := &pathStep{axis: "child"}
		p.nodeTest(s)
		return s
	case t.kind == tName && (t.val == "text" || t.val == "node"):
		s := &pathStep{axis: "child"}
		p.nodeTest(s)
		return s
	}
	return &pathStep{primary: p.primary()}
}

func (p *parser) nodeTest(s *pathStep) {
	t := p.next()
	switch t.kind {
	case tStar:
		s.test, s.local = "name", "*"
	case tPrefixStar:
		s.test, s.prefix, s.local = "name", t.val, "*"
	case tName:
		if (t.val == "text" || t.val == "node") && p.isOp("(") {
			p.pos++
			p.expectOp(")")
			s.test = t.val
			return
		}
		if p.isOp("(") {
			p.fail("kind test %s() is not compiled", t.val)
		}
		s.test = "name"
		if i := strings.IndexByte(t.val, ':'); i >= 0 {
			s.prefix, s.local = t.val[:i], t.val[i+1:]
		} else {
			s.local = t.val
		}
	default:
		p.fail("expected a node test")
	}
}

func (p *parser) primary() expr {
	t := p.next()
	switch t.kind {
	case tString:
		return &lit{"string", t.val}
	case tNumber:
		if strings.Contains(t.val, ".") {
			return &lit{"decimal", t.val}
		}
		return &lit{"integer", t.val}
	case tVar:
		return &varRef{t.val}
	case tName:
		p.expectOp("(")
		c := &call{name: t.val}
		if !p.isOp(")") {
			c.args = append(c.args, p.exprSingle())
			for p.isOp(",") {
				p.pos++
				c.args = append(c.args, p.exprSingle())
			}
		}
		p.expectOp(")")
		return c
	case tOp:
		switch t.val {
		case "(":
			if p.isOp(")") {
				p.pos++
				return &seqExpr{}
			}
			e := p.expr()
			p.expectOp(")")
			return e
		case ".":
			return &ctxItem{}
		}
	}
	p.pos--
	p.fail("unexpected token")
	return nil
}

// lexString reads the string literal starting at rs[i] (a quote); doubled
// quotes stand for one. It returns the value and the index after it.
func lexString(rs []rune, i int) (string, int, error) {
	q := rs[i]
	j := i + 1
	var b strings.Builder
	for {
		if j >= len(rs) {
			return "", 0, fmt.Errorf("unterminated string literal")
		}
		if rs[j] == q {
			if j+1 < len(rs) && rs[j+1] == q {
				b.WriteRune(q)
				j += 2
				continue
			}
			return b.String(), j + 1, nil
		}
		b.WriteRune(rs[j])
		j++
	}
}

// lexName reads a name at rs[i]: a QName, prefix:*, an axis (name::) or an
// operator keyword (when an operand precedes it).
func lexName(rs []rune, i int, afterOperand bool) (token, int) {
	j := i
	for j < len(rs) && isNameChar(rs[j]) {
		j++
	}
	name := string(rs[i:j])
	if j+1 < len(rs) && rs[j] == ':' && rs[j+1] == '*' {
		return token{tPrefixStar, name}, j + 2
	}
	if j+1 < len(rs) && rs[j] == ':' && isNameStart(rs[j+1]) {
		k := j + 1
		for k < len(rs) && isNameChar(rs[k]) {
			k++
		}
		name = string(rs[i:k])
		j = k
	}
	k := j
	for k < len(rs) && unicode.IsSpace(rs[k]) {
		k++
	}
	if k+1 < len(rs) && rs[k] == ':' && rs[k+1] == ':' {
		return token{tAxis, name}, k + 2
	}
	if afterOperand && isOperatorName(name) {
		return token{tOp, name}, j
	}
	return token{tName, name}, j
}
