package gen

import (
	"fmt"
	"strings"
)

// Document constants: a boolean sub-expression that depends neither on the
// context node nor on a quantified variable (its paths start at the root;
// only pattern lets and variables it binds itself occur) has one value per
// document. It is compiled once into a slot of the per-document slice v,
// after the lets, and evaluated on first use (memoBool): the BR-S/Z/E/AE/…
// rules repeat the same `//cac:TaxCategory[…]` tests many times.

// memoSlot is the slot of a document-constant expression, by its key.
func (c *compiler) memoSlot(key string) int {
	if c.memoK == nil {
		c.memoK = map[string]int{}
	}
	if k, ok := c.memoK[key]; ok {
		return k
	}
	k := len(c.lets) + len(c.memoK)
	c.memoK[key] = k
	return k
}

// docConstant reports whether e has one value per document and is worth
// caching (it reads the document through an absolute path).
func (c *compiler) docConstant(e expr) bool {
	return c.constant0(e, nil) && hasAbsPath(e)
}

func (c *compiler) constant0(e expr, bound map[string]bool) bool {
	switch x := e.(type) {
	case *lit:
		return true
	case *varRef:
		_, let := c.lets[x.name]
		return let || bound[x.name]
	case *ctxItem:
		return false
	case *seqExpr:
		for _, it := range x.items {
			if !c.constant0(it, bound) {
				return false
			}
		}
		return true
	case *binary:
		return c.constant0(x.l, bound) && c.constant0(x.r, bound)
	case *negate:
		return c.constant0(x.x, bound)
	case *quant:
		if !c.constant0(x.in, bound) {
			return false
		}
		inner := map[string]bool{x.name: true}
		for k := range bound {
			inner[k] = true
		}
		return c.constant0(x.body, inner)
	case *castable:
		return c.constant0(x.x, bound)
	case *call:
		if len(x.args) == 0 {
			return x.name == "true" || x.name == "false"
		}
		for _, a := range x.args {
			if !c.constant0(a, bound) {
				return false
			}
		}
		return true
	case *path:
		if x.abs == 0 {
			return false
		}
		return c.freeOfVars(x, bound)
	}
	return false
}

// freeOfVars: every variable in e (a path's predicates and primaries,
// which are evaluated against the path's own nodes) is a let or bound.
func (c *compiler) freeOfVars(e expr, bound map[string]bool) bool {
	switch x := e.(type) {
	case *varRef:
		_, let := c.lets[x.name]
		return let || bound[x.name]
	case *seqExpr:
		for _, it := range x.items {
			if !c.freeOfVars(it, bound) {
				return false
			}
		}
	case *binary:
		return c.freeOfVars(x.l, bound) && c.freeOfVars(x.r, bound)
	case *negate:
		return c.freeOfVars(x.x, bound)
	case *quant:
		inner := map[string]bool{x.name: true}
		for k := range bound {
			inner[k] = true
		}
		return c.freeOfVars(x.in, bound) && c.freeOfVars(x.body, inner)
	case *castable:
		return c.freeOfVars(x.x, bound)
	case *call:
		for _, a := range x.args {
			if !c.freeOfVars(a, bound) {
				return false
			}
		}
	case *path:
		for _, st := range x.steps {
			if st.primary != nil && !c.freeOfVars(st.primary, bound) {
				return false
			}
			for _, p := range st.preds {
				if !c.freeOfVars(p, bound) {
					return false
				}
			}
		}
	}
	return true
}

func hasAbsPath(e expr) bool {
	switch x := e.(type) {
	case *seqExpr:
		for _, it := range x.items {
			if hasAbsPath(it) {
				return true
			}
		}
	case *binary:
		return hasAbsPath(x.l) || hasAbsPath(x.r)
	case *negate:
		return hasAbsPath(x.x)
	case *quant:
		return hasAbsPath(x.in) || hasAbsPath(x.body)
	case *castable:
		return hasAbsPath(x.x)
	case *call:
		for _, a := range x.args {
			if hasAbsPath(a) {
				return true
			}
		}
	case *path:
		return x.abs > 0
	}
	return false
}

// memoKey is the slot key of a boolean expression: exists(P) and P itself
// (its effective boolean value) share one when P ends in a node step.
func memoKey(e expr) string {
	if x, ok := e.(*call); ok && (x.name == "exists" || x.name == "boolean") && len(x.args) == 1 {
		if p, ok := x.args[0].(*path); ok && endsInNode(p) {
			return "ebv:" + exprKey(p)
		}
	}
	if p, ok := e.(*path); ok && endsInNode(p) {
		return "ebv:" + exprKey(p)
	}
	return exprKey(e)
}

func endsInNode(p *path) bool {
	return len(p.steps) > 0 && p.steps[len(p.steps)-1].primary == nil
}

// exprKey is a canonical text of e (equal keys: equal expressions).
func exprKey(e expr) string {
	var b strings.Builder
	writeKey(&b, e)
	return b.String()
}

func writeKey(b *strings.Builder, e expr) {
	switch x := e.(type) {
	case *lit:
		fmt.Fprintf(b, "lit(%s,%q)", x.kind, x.val)
	case *varRef:
		fmt.Fprintf(b, "$%s", x.name)
	case *ctxItem:
		b.WriteString(".")
	case *seqExpr:
		b.WriteString("seq(")
		for _, it := range x.items {
			writeKey(b, it)
			b.WriteString(",")
		}
		b.WriteString(")")
	case *binary:
		fmt.Fprintf(b, "(%s ", x.op)
		writeKey(b, x.l)
		b.WriteString(" ")
		writeKey(b, x.r)
		b.WriteString(")")
	case *negate:
		b.WriteString("neg(")
		writeKey(b, x.x)
		b.WriteString(")")
	case *quant:
		fmt.Fprintf(b, "quant(%t,$%s,", x.every, x.name)
		writeKey(b, x.in)
		b.WriteString(",")
		writeKey(b, x.body)
		b.WriteString(")")
	case *castable:
		fmt.Fprintf(b, "castable(%s,%t,", x.typ, x.empty)
		writeKey(b, x.x)
		b.WriteString(")")
	case *call:
		fmt.Fprintf(b, "%s(", x.name)
		for _, a := range x.args {
			writeKey(b, a)
			b.WriteString(",")
		}
		b.WriteString(")")
	case *path:
		fmt.Fprintf(b, "path%d(", x.abs)
		for _, st := range x.steps {
			fmt.Fprintf(b, "[%t %s %s %s %s ", st.desc, st.axis, st.test, st.prefix, st.local)
			if st.primary != nil {
				writeKey(b, st.primary)
			}
			for _, p := range st.preds {
				b.WriteString("{")
				writeKey(b, p)
				b.WriteString("}")
			}
			b.WriteString("]")
		}
		b.WriteString(")")
	default:
		panic(compileError{fmt.Sprintf("exprKey: unknown expression %T", e)})
	}
}
