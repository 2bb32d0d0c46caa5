package validate

import (
	"fmt"
	"strings"
	"testing"
)

// TestExistsNames: the upward answer from the name index (few nodes of the
// last name) and the downward loops (many) agree with a plain walk, from
// the root element and from inner nodes, for paths that exist and that do
// not (a wrong first step, a wrong middle step, a context that is not the
// parent of the first step).
func TestExistsNames(t *testing.T) {
	ns := "urn:t"
	a, b, c, x := nameOf(ns, "ea"), nameOf(ns, "eb"), nameOf(ns, "ec"), nameOf(ns, "ex")
	indexNames(false, a, b, c, x)
	build := func(lines, cs int) string {
		var s strings.Builder
		s.WriteString(`<r xmlns="urn:t">`)
		for i := range lines {
			s.WriteString("<ea><eb>")
			if i%2 == 0 {
				for range cs {
					s.WriteString("<ec/>")
				}
			}
			s.WriteString("</eb><ex><ec/></ex></ea> ")
		}
		s.WriteString(`<eb><ec/></eb></r>`)
		return s.String()
	}
	// plain: exists(names[0]/names[1]/…) from n by walking
	var plain func(n *Node, names []*Name) bool
	plain = func(n *Node, names []*Name) bool {
		for _, ch := range n.Children {
			if ch.Kind == KindElement && ch.ID == names[0].ID && (len(names) == 1 || plain(ch, names[1:])) {
				return true
			}
		}
		return false
	}
	for _, shape := range [][2]int{{1, 1}, {3, 2}, {40, 1}, {5, upwardMax + 3}} {
		d, err := Parse([]byte(build(shape[0], shape[1])))
		if err != nil {
			t.Fatal(err)
		}
		top := d.Root.Children[0]
		paths := [][]*Name{{a, b, c}, {b, c}, {a, x, c}, {a, c}, {x, c}, {a, b, x}, {b, x}, {a, x}}
		var starts []*Node
		var walk func(n *Node)
		walk = func(n *Node) {
			starts = append(starts, n)
			for _, ch := range n.Children {
				if ch.Kind == KindElement {
					walk(ch)
				}
			}
		}
		walk(top)
		for _, n := range starts {
			for _, p := range paths {
				got, want := existsNames(n, p), plain(n, p)
				if got != want {
					var names []string
					for _, nm := range p {
						names = append(names, nm.Local)
					}
					t.Errorf("shape %v, from <%s> line %d, path %s: got %v, want %v", shape, n.Local, n.Line, strings.Join(names, "/"), got, want)
				}
			}
		}
		if t.Failed() {
			t.Log(fmt.Sprint(shape))
			return
		}
	}
}
