package validate

import "unicode/utf8"

// Typed helpers of the generated code (gen: itemOf, intOf): an expression
// known to yield at most one item is compiled to a Go Item, the empty
// sequence as noItem, and counts and string lengths to Go ints, so that no
// Seq is built and no node cache is made for them.

// iNone is the kind of noItem: the empty sequence (or a failed cast, which
// the runtime also treats as empty: compareAtoms is false on it).
const iNone = 255

var noItem = Item{K: iNone}

// nodeItem is the node n as an item (atomised by the comparisons).
func nodeItem(n *Node) Item { return Item{K: iNode, N: n} }

// litItem is the single item of a literal's sequence.
func litItem(s Seq) Item { return s[0] }

// firstItem is the first item of s, noItem when s is empty.
func firstItem(s Seq) Item {
	if len(s) == 0 {
		return noItem
	}
	return s[0]
}

// itemSeq is the sequence of at most one item (for the untyped parts of the
// generated code).
func itemSeq(it Item) Seq {
	if it.K == iNone {
		return nil
	}
	return Seq{it}
}

// cmpItems is the general comparison of two optional items (gcmp of
// sequences of at most one item each).
func cmpItems(a, b Item, op int) bool {
	if a.K == iNone || b.K == iNone {
		return false
	}
	return compareAtoms(atom(a), atom(b), op, true)
}

// arithItems is arith on optional items: empty when either is.
func arithItems(a, b Item, op int) Item {
	if a.K == iNone || b.K == iNone {
		return noItem
	}
	return arithItem(a, b, op)
}

// decOfItem is xs:decimal of an optional item (castDecimal).
func decOfItem(it Item) Item {
	if it.K == iNone {
		return noItem
	}
	if it.K == iNode {
		return nodeDecItem(it.N)
	}
	if it.K == iDecimal {
		return it
	}
	return firstItem(castDecimal(Seq{it}))
}

// nodeDecItem is xs:decimal of a node's text (parsed without a node
// cache), noItem when it is not a decimal.
func nodeDecItem(n *Node) Item {
	if n.x != nil && n.x.dec != nil {
		return firstItem(n.x.dec)
	}
	d, ok := parseDecimal(n.StringValue())
	if !ok {
		return noItem
	}
	return d
}

// childDecItem is xs:decimal(child::nt): of the first such child (the
// runtime's castDecimal takes the first item), noItem when there is none.
func childDecItem(n *Node, nt *Name) Item {
	if len(n.Children) > wideKids {
		return decOfItem(firstItem(child(n, nt)))
	}
	for _, c := range n.Children {
		if c.Kind == KindElement && nameMatch(c, nt) {
			return nodeDecItem(c)
		}
	}
	return noItem
}

// roundItem and absItem are fn:round and fn:abs of an optional item.
func roundItem(it Item) Item {
	if it.K == iNone {
		return noItem
	}
	return firstItem(fnRound(Seq{it}))
}

func absItem(it Item) Item {
	if it.K == iNone {
		return noItem
	}
	return firstItem(fnAbs(Seq{it}))
}

// intItem is the integer k as an item.
func intItem(k int) Item {
	if k >= 0 && k <= maxSmallInt {
		return smallInts[k]
	}
	return firstItem(intSeq(k))
}

// addItem adds an optional item to the sum; it returns false (for use
// inside anyNode loops).
func (a *sumAcc) addItem(it Item) bool {
	if it.K != iNone {
		a.item(it)
	}
	return false
}

// resultItem is the sum as an item.
func (a *sumAcc) resultItem() Item {
	if !a.some {
		return smallInts[0]
	}
	return a.acc
}

// strLen is fn:string-length (code points).
func strLen(s string) int { return utf8.RuneCountInString(s) }

// countChildren is count(child::nt).
func countChildren(n *Node, nt *Name) int {
	if len(n.Children) > wideKids {
		return len(child(n, nt))
	}
	k := 0
	if id := nt.ID; id != 0 {
		for _, c := range n.Children {
			if c.ID == id {
				k++
			}
		}
		return k
	}
	for _, c := range n.Children {
		if c.Kind == KindElement && nameMatch(c, nt) {
			k++
		}
	}
	return k
}

// firstChild is the first child::nt of n, nil when there is none.
func firstChild(n *Node, nt *Name) *Node {
	if len(n.Children) > wideKids {
		if s := child(n, nt); len(s) > 0 {
			return s[0].N
		}
		return nil
	}
	for _, c := range n.Children {
		if c.Kind == KindElement && nameMatch(c, nt) {
			return c
		}
	}
	return nil
}

// The generator still emits these for constructs today's bundles do not
// use (its fallbacks); referenced so that they stay compiled and linted.
var _ = []any{fnCount, fnSum, union, itemSeq}
