package validate

import (
	"sync"

	"github.com/efactura-gateway/efactura/internal/validate/xsd"
)

// The XSD layer's tree path: a plain document (xsd.Plain, and no odd name
// or attribute value in the scanner's eyes) is parsed once, and its tree
// walked through an xsd.Walker, which only says whether the XSD layer would
// find no issue. When it would, the XSD layer's own reading of the bytes is
// skipped; otherwise (or for any other document) xsd.CheckSource reads them
// as before, so its issues, lines and messages are unchanged.

var walkerPool = sync.Pool{New: func() any { return new(xsd.Walker) }}

// treeHook, when set (by the tests), sees every document the tree path
// judged clean, and every plain document it did not.
var treeHook func(doc []byte, clean bool)

// parseClean parses a UTF-8 document for the rules and, when it is plain,
// checks it on the tree: clean means the XSD layer would report nothing.
// d and perr are parse's results.
func parseClean(doc []byte, src string) (d *Document, perr error, clean bool) {
	if !xsd.Plain(doc) {
		d, perr = parse(doc, src, false)
		return d, perr, false
	}
	d, odd, perr := parseOdd(doc, src, false, true)
	if perr != nil || odd {
		return d, perr, false
	}
	clean = xsdClean(d)
	if treeHook != nil {
		treeHook(doc, clean)
	}
	return d, nil, clean
}

// xsdClean walks the tree through a Walker.
func xsdClean(d *Document) bool {
	w := walkerPool.Get().(*xsd.Walker)
	w.Reset()
	ok, roots := true, 0
	for _, n := range d.Root.Children {
		if n.Kind == KindElement {
			roots++
			ok = ok && walkXSD(w, n)
		}
	}
	walkerPool.Put(w)
	return ok && roots == 1
}

func walkXSD(w *xsd.Walker, n *Node) bool {
	if !w.Open(n.Space, n.Local) {
		return false
	}
	for _, a := range n.Attrs {
		if !w.Attr(a.Space, a.Local, a.Data) {
			return false
		}
	}
	if !w.AttrsDone() {
		return false
	}
	for _, c := range n.Children {
		if c.Kind == KindText {
			if !w.Text(c.Data) {
				return false
			}
		} else if !walkXSD(w, c) {
			return false
		}
	}
	return w.Close()
}
