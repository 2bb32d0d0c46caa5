package gen

import (
	"fmt"
	"strconv"
)

// Typed code: an expression known to yield at most one item compiles to a
// Go Item (itemOf; the empty sequence is the runtime's noItem), a count or
// a string length to a Go int (intOf). A general comparison of two such
// operands is then cmpItems on the items, or a Go int comparison against
// an integer literal: no Seq is built, no node cache made.

var goCmp = map[string]string{"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

// intOf compiles count() and string-length() to a Go int expression.
func (c *compiler) intOf(e expr, s scope) (string, bool) {
	x, ok := e.(*call)
	if !ok {
		return "", false
	}
	switch x.name {
	case "count":
		c.arity(x, 1)
		if p, ok := x.args[0].(*path); ok && childSteps(p) && len(p.steps) == 1 && len(p.steps[0].preds) == 0 {
			st := p.steps[0]
			return fmt.Sprintf("countChildren(%s, %s)", s.cv, c.name(c.stepSpace(st), st.local)), true
		}
		if p, ok := loopable(x.args[0], loopCount); ok {
			k := c.fresh("k")
			loop := c.loopPath(p, s, func(nv, seq, str string) string {
				if nv != "" {
					return "tally1(&" + k + ")"
				}
				return "tally(&" + k + ", " + seq + ")"
			})
			return fmt.Sprintf("func() (%s int) { %s; return }()", k, loop), true
		}
		return "len(" + c.seqOf(x.args[0], s) + ")", true
	case "string-length":
		c.arity(x, 0, 1)
		return "strLen(" + c.ctxOrArg(x, s) + ")", true
	}
	return "", false
}

// intLiteral: e is an integer literal (its Go text).
func intLiteral(e expr) (string, bool) {
	l, ok := e.(*lit)
	if !ok || l.kind != "integer" {
		return "", false
	}
	if _, err := strconv.ParseInt(l.val, 10, 32); err != nil {
		return "", false
	}
	return l.val, true
}

// cmpTyped compiles the general comparison l op r over typed operands: an
// int against an integer literal as a Go comparison, two optional items
// with cmpItems.
func (c *compiler) cmpTyped(x *binary, op string, s scope) (string, bool) {
	if k, ok := intLiteral(x.r); ok {
		if g, ok := c.intOf(x.l, s); ok {
			return fmt.Sprintf("(%s %s %s)", g, goCmp[x.op], k), true
		}
	}
	if k, ok := intLiteral(x.l); ok {
		if g, ok := c.intOf(x.r, s); ok {
			return fmt.Sprintf("(%s %s %s)", k, goCmp[x.op], g), true
		}
	}
	if !c.isItem(x.l, s) || !c.isItem(x.r, s) {
		return "", false
	}
	l, _ := c.itemOf(x.l, s)
	r, _ := c.itemOf(x.r, s)
	return fmt.Sprintf("cmpItems(%s, %s, %s)", l, r, op), true
}

// isItem: e compiles with itemOf (checked without emitting anything).
func (c *compiler) isItem(e expr, s scope) bool {
	switch x := e.(type) {
	case *lit:
		return true
	case *ctxItem:
		return true
	case *varRef:
		_, ok := s.vars[x.name]
		return ok
	case *negate:
		return true
	case *binary:
		_, ok := arithOp[x.op]
		return ok
	case *call:
		switch x.name {
		case "xs:decimal", "round", "abs", "sum", "count", "string-length":
			return true
		}
	}
	return false
}

// itemOf compiles e, which yields at most one item (isItem), to a Go Item.
func (c *compiler) itemOf(e expr, s scope) (string, bool) {
	if !c.isItem(e, s) {
		return "", false
	}
	switch x := e.(type) {
	case *lit:
		if x.kind == "string" {
			return c.constant("litItem(" + c.seqOf(x, s) + ")"), true
		}
		return c.constant("litItem(" + c.seqOf(x, s) + ")"), true
	case *ctxItem:
		return "nodeItem(" + s.cv + ")", true
	case *varRef:
		return "firstItem(" + s.vars[x.name] + ")", true
	case *negate:
		return "firstItem(neg(" + c.seqOf(x.x, s) + "))", true
	case *binary:
		op := arithOp[x.op]
		if l, ok := c.itemOf(x.l, s); ok {
			if r, ok := c.itemOf(x.r, s); ok {
				return fmt.Sprintf("arithItems(%s, %s, %s)", l, r, op), true
			}
		}
		return "firstItem(" + c.seqOf(e, s) + ")", true
	case *call:
		switch x.name {
		case "xs:decimal":
			c.arity(x, 1)
			switch a := x.args[0].(type) {
			case *ctxItem:
				return "nodeDecItem(" + s.cv + ")", true
			case *path:
				if childSteps(a) && len(a.steps) == 1 && len(a.steps[0].preds) == 0 {
					st := a.steps[0]
					return fmt.Sprintf("childDecItem(%s, %s)", s.cv, c.name(c.stepSpace(st), st.local)), true
				}
			}
			if g, ok := c.itemOf(x.args[0], s); ok {
				return "decOfItem(" + g + ")", true
			}
			return "firstItem(castDecimal(" + c.seqOf(x.args[0], s) + "))", true
		case "round", "abs":
			c.arity(x, 1)
			fn := map[string]string{"round": "roundItem", "abs": "absItem"}[x.name]
			if g, ok := c.itemOf(x.args[0], s); ok {
				return fn + "(" + g + ")", true
			}
			return fn + "(firstItem(" + c.seqOf(x.args[0], s) + "))", true
		case "sum":
			c.arity(x, 1)
			if g, ok := c.sumDecUnion(x, s); ok {
				return g, true
			}
			return "firstItem(" + c.seqOf(x, s) + ")", true
		case "count", "string-length":
			g, _ := c.intOf(x, s)
			return "intItem(" + g + ")", true
		}
	}
	return "", false
}

// sumDecUnion compiles sum(//(a|b|…)/…/xs:decimal(…)) — concrete element
// names, then child steps without predicates, then a decimal cast — as
// loops over the document's index of each name: the names select disjoint
// nodes (no duplicates), and xs:decimal addition is exact, so the order in
// which the items are added does not change the sum.
func (c *compiler) sumDecUnion(x *call, s scope) (string, bool) {
	p, ok := x.args[0].(*path)
	if !ok || p.abs == 0 || len(p.steps) < 2 {
		return "", false
	}
	first := p.steps[0]
	if !first.desc || len(first.preds) > 0 {
		return "", false
	}
	names := c.unionOfNames(first)
	if names == nil {
		return "", false
	}
	seen := map[string]bool{}
	for _, nm := range names {
		k := nm.prefix + ":" + nm.local
		if nm.local == "*" || seen[k] {
			return "", false
		}
		seen[k] = true
	}
	last := p.steps[len(p.steps)-1]
	cl, ok := last.primary.(*call)
	if last.axis != "" || len(last.preds) > 0 || !ok || cl.name != "xs:decimal" {
		return "", false
	}
	mid := p.steps[1 : len(p.steps)-1]
	for _, st := range mid {
		if st.axis != "child" || st.test != "name" || st.desc || len(st.preds) > 0 {
			return "", false
		}
	}
	a := c.fresh("a")
	r := c.fresh("r")
	var loops string
	for _, nm := range names {
		nv := c.fresh("n")
		leaf := func(v string) string {
			g, _ := c.itemOf(cl, s.with(v))
			return a + ".addItem(" + g + ")"
		}
		body := leaf(nv)
		if len(mid) > 0 {
			body = c.loopFrom(mid, nv, s, func(v, _, _ string) string { return leaf(v) })
		}
		k := c.index(c.name(c.uri(nm.prefix), nm.local), false)
		loops += fmt.Sprintf("anyNode(desc(%s, %s), func(%s *Node) bool { return %s }); ", r, k, nv, body)
	}
	return fmt.Sprintf("func() Item { var %s sumAcc; %s := root(%s); %sreturn %s.resultItem() }()", a, r, s.cv, loops, a), true
}
