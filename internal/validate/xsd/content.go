// Content models: where a child element may come, positions for locations,
// and what an element still lacks at its end tag.

package xsd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
	"unsafe"
)

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
	key := childKey{ns: name.ns, local: name.local}
	if name.ns == -1 { // another namespace: tell them apart by URI
		key.uri = c.uriOf(raw)
	}
	f := &c.stack[len(c.stack)-1]
	if f.childIndex != nil {
		if i, ok := f.childIndex[key]; ok {
			c.counts[i].n++
			return c.counts[i].n
		}
		f.childIndex[key] = len(c.counts)
		c.counts = append(c.counts, childCount{key, 1})
		return 1
	}
	for i := f.children; i < len(c.counts); i++ {
		if cc := &c.counts[i]; cc.key == key {
			cc.n++
			return cc.n
		}
	}
	if len(c.counts)-f.children >= maxScan {
		f.childIndex = make(map[childKey]int, 2*maxScan)
		for i := f.children; i < len(c.counts); i++ {
			f.childIndex[c.counts[i].key] = i
		}
		f.childIndex[key] = len(c.counts)
	}
	c.counts = append(c.counts, childCount{key, 1})
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

func (c *checker) chars(t xml.CharData) error {
	if !c.sawFFFD && bytes.Contains(t, []byte("\uFFFD")) {
		c.sawFFFD = true
	}
	if len(c.stack) == 0 {
		if !blank(t) {
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
	if !f.textBad && !types[f.typ].mixed && !blank(t) {
		f.textBad = true
		c.issue(f.line, "text is not allowed in %s (element-only content)", types[f.typ].name)
	}
	return nil
}

// finish checks what can only be checked at the end tag: the value of a
// leaf, the required elements left in a sequence. Its issues are on the end
// tag's line, as JAXP reports them.
func (c *checker) finish(f *frame, line int) {
	t := &types[f.typ]
	if t.leaf {
		// the value without a copy: validValue and inEnum keep nothing of it
		txt := unsafe.String(unsafe.SliceData(c.text), len(c.text))
		switch {
		case f.childInLeaf != "":
			c.issue(line, "element %s is not allowed: %s has simple content (%s)", f.childInLeaf, t.name, kindNames[t.value])
		case t.value != vString && !validValue(t.value, txt):
			c.issue(line, "%q is not a valid %s", c.text, kindNames[t.value])
		case !inEnum(t.enum, t.value, txt):
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

// blank: t is only XML white space (space, tab, CR, LF); bytes.Trim with a
// cutset builds its set on every call.
func blank(t []byte) bool {
	for _, b := range t {
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
			return false
		}
	}
	return true
}
