// Attributes: resolved names, the ones a type allows or requires, xsi:*,
// enumerations and xsd:ID uniqueness.

package xsd

import (
	"encoding/xml"
	"fmt"
	"strings"
)

type resolvedAttr struct {
	uri, local, value string
}

func (c *checker) resolveAttrs(attrs []xml.Attr) ([]resolvedAttr, error) {
	out := c.attrs[:0]
	var seen map[[2]string]bool // the names, when there are many
	if len(attrs) > maxScan {
		seen = make(map[[2]string]bool, len(attrs))
	}
	for _, a := range attrs {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		uri := ""
		if a.Name.Space != "" {
			var ok bool
			if uri, ok = c.lookup(a.Name.Space); !ok || uri == "" {
				return nil, fmt.Errorf("undeclared namespace prefix %q", a.Name.Space)
			}
		}
		if repeated(out, seen, uri, a.Name.Local) {
			return nil, fmt.Errorf("attribute %s repeated", a.Name.Local)
		}
		if !c.sawFFFD && strings.Contains(a.Value, "\uFFFD") {
			c.sawFFFD = true
		}
		out = append(out, resolvedAttr{uri, a.Name.Local, a.Value})
	}
	c.attrs = out
	return out, nil
}

// checkAttrs checks the attributes against the element's type: element-only
// types allow none, leaf types their list.
// repeated reports whether the attribute {uri}local is already in out (or,
// for a start tag with many attributes, in seen, which it records).
func repeated(out []resolvedAttr, seen map[[2]string]bool, uri, local string) bool {
	if seen != nil {
		k := [2]string{uri, local}
		dup := seen[k]
		seen[k] = true
		return dup
	}
	for _, prev := range out {
		if prev.uri == uri && prev.local == local {
			return true
		}
	}
	return false
}

func (c *checker) checkAttrs(f *frame, attrs []resolvedAttr) {
	t := &types[f.typ]
	for _, a := range attrs {
		if a.uri == xsiNS {
			c.checkXSI(f, a)
			continue
		}
		def := t.attr(a)
		switch {
		case def == nil && t.anyAttr:
		case def == nil:
			c.issue(f.line, "attribute %s is not allowed on %s", a.local, t.name)
		case !validValue(def.value, a.value):
			c.issue(f.line, "attribute %s: %q is not a valid %s", a.local, a.value, kindNames[def.value])
		case !inEnum(def.enum, def.value, a.value):
			c.issue(f.line, "attribute %s: %q is not one of %s", a.local, a.value, strings.Join(def.enum, ", "))
		case def.value == vID:
			c.checkID(f, a.value)
		}
	}
	for i := range t.attrs {
		if !t.attrs[i].required {
			continue
		}
		found := false
		for _, a := range attrs {
			if a.uri == "" && a.local == t.attrs[i].name {
				found = true
			}
		}
		if !found {
			c.issue(f.line, "attribute %s is required", t.attrs[i].name)
		}
	}
}

// checkXSI checks an attribute of the XMLSchema-instance namespace: no UBL
// element is nillable; xsi:type is accepted unchecked.
func (c *checker) checkXSI(f *frame, a resolvedAttr) {
	switch a.local {
	case "schemaLocation", "noNamespaceSchemaLocation", "type":
	case "nil":
		c.issue(f.line, "xsi:nil is not allowed: the element is not nillable")
	default:
		c.issue(f.line, "attribute xsi:%s is not allowed", a.local)
	}
}

// checkID records an xsd:ID value: each must be unique in the document.
func (c *checker) checkID(f *frame, v string) {
	v = trimSpace(v)
	if c.ids == nil {
		c.ids = map[string]bool{}
	}
	if c.ids[v] {
		c.issue(f.line, "ID %q is not unique in the document", v)
	}
	c.ids[v] = true
}

// inEnum reports whether v is one of enum (any value when enum is empty);
// values other than strings compare after whitespace collapse.
func inEnum(enum []string, kind valueKind, v string) bool {
	if len(enum) == 0 {
		return true
	}
	if kind != vString {
		v = trimSpace(v)
	}
	for _, e := range enum {
		if e == v {
			return true
		}
	}
	return false
}

func (t *typeDef) attr(a resolvedAttr) *attrDef {
	if a.uri != "" {
		return nil
	}
	for i := range t.attrs {
		if t.attrs[i].name == a.local {
			return &t.attrs[i]
		}
	}
	return nil
}
