package main

import (
	"fmt"
	"sort"
)

// General content models, for the signature schemas (xmldsig, XAdES, UBL's
// signature components): nested sequences and choices, local elements and
// wildcards, compiled to a Glushkov automaton. UPA (which XSD requires)
// makes it deterministic: in any state, a name matches at most one edge.

// term is a node of a content model: a leaf (element or wildcard) or a
// sequence/choice of terms, with min/max occurs in {0,1}×{1,unbounded}.
type term struct {
	kind     string // element, any, sequence, choice
	elem     qname  // element
	typ      qname  // element's type
	anyNS    string // any: ##any or ##other
	other    string // any ##other: the schema's target namespace
	lax      bool   // any: processContents lax (else strict)
	min, max int
	kids     []*term
}

// position is a leaf of the model, numbered from 1 (0 is the start state).
type position struct {
	t *term
}

type glushkov struct {
	pos []position
}

// sets are sorted position lists.
type posSet []int

func union(a, b posSet) posSet {
	m := map[int]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		m[x] = true
	}
	out := make(posSet, 0, len(m))
	for x := range m {
		out = append(out, x)
	}
	sort.Ints(out)
	return out
}

// analyse returns nullable, first, last of t and records follow sets.
func (g *glushkov) analyse(t *term, follow map[int]posSet) (bool, posSet, posSet) {
	var nullable bool
	var first, last posSet
	switch t.kind {
	case "element", "any":
		g.pos = append(g.pos, position{t})
		p := len(g.pos)
		nullable, first, last = false, posSet{p}, posSet{p}
	case "sequence":
		nullable = true
		for _, k := range t.kids {
			n, f, l := g.analyse(k, follow)
			for _, x := range last {
				follow[x] = union(follow[x], f)
			}
			if nullable {
				first = union(first, f)
			}
			if n {
				last = union(last, l)
			} else {
				last = l
			}
			nullable = nullable && n
		}
	case "choice":
		for _, k := range t.kids {
			n, f, l := g.analyse(k, follow)
			first, last = union(first, f), union(last, l)
			nullable = nullable || n
		}
	}
	if t.max < 0 { // repetition: last can be followed by first
		for _, x := range last {
			follow[x] = union(follow[x], first)
		}
	}
	if t.min == 0 {
		nullable = true
	}
	return nullable, first, last
}

// automaton states: 0 is the start, i is "just matched position i".
type fsaState struct {
	final bool
	next  []int // positions
}

func compile(model *term) ([]position, []fsaState, error) {
	g := &glushkov{}
	follow := map[int]posSet{}
	nullable, first, last := g.analyse(model, follow)
	states := make([]fsaState, len(g.pos)+1)
	states[0] = fsaState{final: nullable, next: first}
	for p := 1; p <= len(g.pos); p++ {
		states[p].next = follow[p]
	}
	for _, p := range last {
		states[p].final = true
	}
	// UPA: no two edges of a state may match the same element name.
	for i, st := range states {
		seen := map[qname]bool{}
		wild := 0
		for _, p := range st.next {
			t := g.pos[p-1].t
			if t.kind == "any" {
				wild++
				continue
			}
			if seen[t.elem] {
				return nil, nil, fmt.Errorf("state %d: %s matched twice (not deterministic)", i, canonical(t.elem))
			}
			seen[t.elem] = true
		}
		if wild > 1 {
			return nil, nil, fmt.Errorf("state %d: two wildcards", i)
		}
	}
	return g.pos, states, nil
}

// modelOf reads a model group (sequence, choice, element, any) into terms.
func (s *schemaSet) modelOf(n *node, tns string) (*term, error) {
	minO, err := occurs(n.attrs["minOccurs"], 1)
	if err != nil {
		return nil, err
	}
	maxO, err := occurs(n.attrs["maxOccurs"], 1)
	if err != nil {
		return nil, err
	}
	if minO > 1 || maxO == 0 || maxO > 1 {
		return nil, fmt.Errorf("occurrences %d..%d not supported", minO, maxO)
	}
	t := &term{kind: n.local, min: minO, max: maxO}
	switch n.local {
	case "sequence", "choice":
		for _, c := range n.children {
			k, err := s.modelOf(c, tns)
			if err != nil {
				return nil, err
			}
			t.kids = append(t.kids, k)
		}
	case "element":
		if ref := n.attrs["ref"]; ref != "" {
			q, err := n.resolve(ref)
			if err != nil {
				return nil, err
			}
			et, ok := s.elements[q]
			if !ok {
				return nil, fmt.Errorf("element %s not declared", canonical(q))
			}
			t.elem, t.typ = q, et
		} else {
			q, err := n.typeOf()
			if err != nil {
				return nil, err
			}
			t.elem, t.typ = qname{tns, n.attrs["name"]}, q
		}
	case "any":
		t.anyNS = n.attrs["namespace"]
		if t.anyNS == "" {
			t.anyNS = "##any"
		}
		if t.anyNS != "##any" && t.anyNS != "##other" {
			return nil, fmt.Errorf("wildcard %q not supported", t.anyNS)
		}
		t.other = tns
		switch n.attrs["processContents"] {
		case "", "strict":
		case "lax":
			t.lax = true
		default:
			return nil, fmt.Errorf("processContents %q not supported", n.attrs["processContents"])
		}
	default:
		return nil, fmt.Errorf("particle %s not supported", n.local)
	}
	return t, nil
}
