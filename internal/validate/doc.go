// Package validate is the native e-Factura validator: a compact document
// model built by one streaming pass over the XML, a small XPath 2.0 runtime
// and the Schematron rules compiled to Go by internal/validate/gen.
package validate

import (
	"errors"
	"strings"
)

// Node kinds of the document model.
const (
	KindDocument uint8 = iota
	KindElement
	KindAttr
	KindText
)

// Node is one node of the document model: the document, an element, an
// attribute or a text node. Order is the node's position in document order
// (attributes follow their element and precede its children).
type Node struct {
	Kind     uint8
	ID       int32  // name id of the compiled rules' name tests (0: none)
	Space    string // namespace URI (elements, attributes)
	Local    string // local name
	Prefix   string // prefix as written (for name())
	Data     string // text of a text node, value of an attribute
	Parent   *Node
	Children []*Node // elements and text nodes, in order
	Attrs    []*Node
	Order    int
	Line     int

	x *nodeCache // the rules' caches, made on first use
}

// nodeCache holds what the rules compute about a node once (kept out of
// Node so that the scanner writes small nodes; most nodes never need it).
type nodeCache struct {
	str    string
	strSet bool
	// kidRuns: in kids, the children of each name id are adjacent
	kidRuns bool
	doc     *docIndex // document node: `//name` results and the chunks
	self    [1]Item   // the node as an item (nodeSeq)
	kids    Seq       // element children as items, built on first use
	byID    *kidIndex // wide parents: kids by name id, built on first use
	attrs   Seq       // attributes as items, built on first use
	dec     Seq       // xs:decimal of the text, parsed on first use
}

// ext is the node's cache, made on first use (from its document's chunks
// when it has them).
func (n *Node) ext() *nodeCache {
	if n.x == nil {
		n.x = newCache(n)
	}
	return n.x
}

// Name is the qualified name as written (name()).
func (n *Node) Name() string {
	if n.Kind != KindElement && n.Kind != KindAttr {
		return ""
	}
	if n.Prefix == "" {
		return n.Local
	}
	return n.Prefix + ":" + n.Local
}

// StringValue is the XPath string value of the node.
func (n *Node) StringValue() string {
	switch n.Kind {
	case KindAttr, KindText:
		return n.Data
	}
	switch {
	case len(n.Children) == 0:
		return ""
	case len(n.Children) == 1 && n.Children[0].Kind == KindText:
		return n.Children[0].Data
	case n.x != nil && n.x.strSet:
		return n.x.str
	}
	var b strings.Builder
	n.appendText(&b)
	x := n.ext()
	x.str, x.strSet = b.String(), true
	return x.str
}

func (n *Node) appendText(b *strings.Builder) {
	for _, c := range n.Children {
		if c.Kind == KindText {
			b.WriteString(c.Data)
		} else {
			c.appendText(b)
		}
	}
}

// Document is a parsed XML document.
type Document struct {
	Root  *Node // the document node
	Nodes int

	slabs     []*[]Node
	kidChunks []*[]*Node
}

// ErrNotWellFormed wraps XML syntax errors.
var ErrNotWellFormed = errors.New("validate: XML not well-formed")
