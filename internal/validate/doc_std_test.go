package validate

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// parseStd is the first Parse, on encoding/xml: the reference the
// hand-written scanner is compared with (TestParseMatchesEncodingXML).
func parseStd(data []byte) (*Document, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark is not text
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	doc := &Node{Kind: KindDocument}
	cur := doc
	order := 1
	type scope struct {
		prefix, uri string
	}
	var nsStack []scope // bindings in scope, innermost last
	var marks []int     // nsStack length at each open element
	var names []xml.Name
	lookup := func(p string) (string, bool) {
		if p == "xml" {
			return "http://www.w3.org/XML/1998/namespace", true
		}
		for i := len(nsStack) - 1; i >= 0; i-- {
			if nsStack[i].prefix == p {
				return nsStack[i].uri, true
			}
		}
		return "", p == ""
	}
	for {
		line, _ := dec.InputPos()
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotWellFormed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if cur == doc && len(doc.Children) > 0 {
				return nil, fmt.Errorf("%w: more than one root element", ErrNotWellFormed)
			}
			marks = append(marks, len(nsStack))
			names = append(names, t.Name)
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					nsStack = append(nsStack, scope{a.Name.Local, a.Value})
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					nsStack = append(nsStack, scope{"", a.Value})
				}
			}
			uri, ok := lookup(t.Name.Space)
			if !ok {
				return nil, fmt.Errorf("%w: line %d: unbound prefix %q", ErrNotWellFormed, line, t.Name.Space)
			}
			el := &Node{Kind: KindElement, Space: uri, Local: t.Name.Local, Prefix: t.Name.Space, Parent: cur, Order: order, Line: line}
			order++
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				at := &Node{Kind: KindAttr, Local: a.Name.Local, Prefix: a.Name.Space, Data: a.Value, Parent: el, Order: order, Line: line}
				if a.Name.Space != "" {
					u, ok := lookup(a.Name.Space)
					if !ok {
						return nil, fmt.Errorf("%w: line %d: unbound prefix %q", ErrNotWellFormed, line, a.Name.Space)
					}
					at.Space = u
				}
				order++
				el.Attrs = append(el.Attrs, at)
			}
			cur.Children = append(cur.Children, el)
			cur = el
		case xml.EndElement:
			if len(names) == 0 || names[len(names)-1] != t.Name {
				return nil, fmt.Errorf("%w: line %d: unexpected end tag", ErrNotWellFormed, line)
			}
			names = names[:len(names)-1]
			nsStack = nsStack[:marks[len(marks)-1]]
			marks = marks[:len(marks)-1]
			cur = cur.Parent
		case xml.CharData:
			if cur == doc {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, fmt.Errorf("%w: text outside the root element", ErrNotWellFormed)
				}
				continue
			}
			if k := len(cur.Children); k > 0 && cur.Children[k-1].Kind == KindText {
				cur.Children[k-1].Data += string(t)
				continue
			}
			cur.Children = append(cur.Children, &Node{Kind: KindText, Data: string(t), Parent: cur, Order: order, Line: line})
			order++
		}
	}
	if len(doc.Children) == 0 || len(names) != 0 {
		return nil, fmt.Errorf("%w: no complete root element", ErrNotWellFormed)
	}
	return &Document{Root: doc, Nodes: order}, nil
}
