// Command gen reads the OASIS UBL 2.1 runtime schemas (xsdrt) and writes the
// compact Go tables the streaming checker of package xsd walks: per complex
// type the ordered sequence of child elements with their occurrences and
// types, per leaf type the lexical check of its value and its attributes.
//
// It understands the subset of XML Schema the UBL 2.1 document schemas use:
// global elements, complex types that are one xsd:sequence of element refs
// (or one xsd:any), and simple content built by extension or restriction of
// other complex types down to an XSD built-in type. The signature schemas
// (UBL signature components, xmldsig, XAdES), whose elements appear inside
// ext:ExtensionContent, nest sequences, choices and wildcards, declare local
// elements, attributes and simple types with enumerations: their complex
// types are compiled to Glushkov automata (model.go).
//
//	go run ./gen -src ../../../../shared/validation/xsd/ubl-2.1/xsdrt -out tables_gen.go
package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const xsdNS = "http://www.w3.org/2001/XMLSchema"

// files are the schema modules read, relative to xsdrt.
var files = []string{
	"maindoc/UBL-Invoice-2.1.xsd",
	"maindoc/UBL-CreditNote-2.1.xsd",
	"common/UBL-CommonAggregateComponents-2.1.xsd",
	"common/UBL-CommonBasicComponents-2.1.xsd",
	"common/UBL-CommonExtensionComponents-2.1.xsd",
	"common/UBL-ExtensionContentDataType-2.1.xsd",
	"common/UBL-UnqualifiedDataTypes-2.1.xsd",
	"common/CCTS_CCT_SchemaModule-2.1.xsd",
	"common/UBL-CommonSignatureComponents-2.1.xsd",
	"common/UBL-SignatureAggregateComponents-2.1.xsd",
	"common/UBL-SignatureBasicComponents-2.1.xsd",
	"common/UBL-xmldsig-core-schema-2.1.xsd",
	"common/UBL-XAdESv132-2.1.xsd",
	"common/UBL-XAdESv141-2.1.xsd",
}

// prefixes are the canonical prefixes the checker's locations use.
var prefixes = []struct{ prefix, uri string }{
	{"", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"},
	{"", "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"},
	{"cac", "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"},
	{"cbc", "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"},
	{"ext", "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"},
	{"sig", "urn:oasis:names:specification:ubl:schema:xsd:CommonSignatureComponents-2"},
	{"sac", "urn:oasis:names:specification:ubl:schema:xsd:SignatureAggregateComponents-2"},
	{"sbc", "urn:oasis:names:specification:ubl:schema:xsd:SignatureBasicComponents-2"},
	{"ds", "http://www.w3.org/2000/09/xmldsig#"},
	{"xades", "http://uri.etsi.org/01903/v1.3.2#"},
	{"xades141", "http://uri.etsi.org/01903/v1.4.1#"},
	{"udt", "urn:oasis:names:specification:ubl:schema:xsd:UnqualifiedDataTypes-2"},
	{"ccts-cct", "urn:un:unece:uncefact:data:specification:CoreComponentTypeSchemaModule:2"},
}

func main() {
	src := flag.String("src", "", "the xsdrt directory of UBL 2.1")
	out := flag.String("out", "tables_gen.go", "the Go file to write")
	flag.Parse()
	code, err := Generate(*src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// node is a schema element, kept as a small tree.
type node struct {
	local    string
	attrs    map[string]string
	children []*node
	ns       map[string]string // in-scope prefix -> URI
}

func (n *node) kids(local string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.local == local {
			out = append(out, c)
		}
	}
	return out
}

func (n *node) kid(local string) *node {
	for _, c := range n.children {
		if c.local == local {
			return c
		}
	}
	return nil
}

// qname is an expanded name.
type qname struct{ ns, local string }

// anyType is the type of an element declared without one.
var anyType = qname{xsdNS, "anyType"}

// typeOf is the type an element declaration names (xsd:anyType if none).
func (n *node) typeOf() (qname, error) {
	if n.attrs["type"] == "" {
		if n.kid("complexType") != nil || n.kid("simpleType") != nil {
			return qname{}, fmt.Errorf("element %s: anonymous types are not supported", n.attrs["name"])
		}
		return anyType, nil
	}
	return n.resolve(n.attrs["type"])
}

func (n *node) resolve(v string) (qname, error) {
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		prefix, local = "", v
	}
	uri, found := n.ns[prefix]
	if !found {
		return qname{}, fmt.Errorf("undeclared prefix in %q", v)
	}
	return qname{uri, local}, nil
}

// readSchema parses one schema file into xsd:* nodes (annotations dropped).
func readSchema(path string) (*node, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	var root *node
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{local: t.Name.Local, attrs: map[string]string{}, ns: map[string]string{}}
			if len(stack) > 0 {
				for k, v := range stack[len(stack)-1].ns {
					n.ns[k] = v
				}
			}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					n.ns[a.Name.Local] = a.Value
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					n.ns[""] = a.Value
				default:
					n.attrs[a.Name.Local] = a.Value
				}
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				if t.Name.Local != "annotation" && parent.local != "annotation" {
					parent.children = append(parent.children, n)
				}
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil || root.local != "schema" {
		return nil, fmt.Errorf("%s: not a schema", path)
	}
	return root, nil
}

// schemaSet is every global element and type of the files read.
type schemaSet struct {
	elements map[qname]qname // element -> its type
	types    map[qname]*node // complexType nodes
	simple   map[qname]*node // simpleType nodes
}

// general reports whether t's content model is compiled to an automaton
// (the signature schemas) rather than read as one plain sequence (UBL).
func general(t qname) bool {
	switch t.ns {
	case prefixes[0].uri, prefixes[1].uri, prefixes[2].uri, prefixes[4].uri:
		return false
	}
	return true
}

// A leaf type: a value kind and attributes.
type attrDef struct {
	name     string
	kind     string
	required bool
	enum     []string
}

type leaf struct {
	name  string // canonical, e.g. udt:AmountType
	kind  string // the XSD built-in of the value, e.g. decimal
	enum  []string
	attrs []attrDef
}

type particle struct {
	elem     qname
	min, max int // max -1: unbounded
	wildcard bool
	typ      qname
}

type complexDef struct {
	name string
	seq  []particle
}

func Generate(src string) ([]byte, error) {
	if src == "" {
		return nil, errors.New("no -src directory")
	}
	set := schemaSet{elements: map[qname]qname{}, types: map[qname]*node{}, simple: map[qname]*node{}}
	for _, f := range files {
		root, err := readSchema(filepath.Join(src, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		tns := root.attrs["targetNamespace"]
		for _, e := range root.kids("element") {
			t, err := e.typeOf()
			if err != nil {
				return nil, err
			}
			set.elements[qname{tns, e.attrs["name"]}] = t
		}
		for _, ct := range root.kids("complexType") {
			set.types[qname{tns, ct.attrs["name"]}] = ct
		}
		for _, st := range root.kids("simpleType") {
			set.simple[qname{tns, st.attrs["name"]}] = st
		}
	}
	return set.emit()
}

func canonical(q qname) string {
	for _, p := range prefixes {
		if p.uri == q.ns {
			if p.prefix == "" {
				return q.local
			}
			return p.prefix + ":" + q.local
		}
	}
	if q.ns == xsdNS {
		return "xsd:" + q.local
	}
	return "{" + q.ns + "}" + q.local
}

// leafOf resolves a simple-content complex type (or an XSD built-in) to its
// value kind and attributes, following extension and restriction bases.
func (s *schemaSet) leafOf(t qname) (leaf, error) {
	if t.ns == xsdNS {
		return leaf{name: "xsd:" + t.local, kind: t.local}, nil
	}
	if st, ok := s.simple[t]; ok {
		return s.simpleOf(t, st)
	}
	ct, ok := s.types[t]
	if !ok {
		return leaf{}, fmt.Errorf("type %s not found", canonical(t))
	}
	sc := ct.kid("simpleContent")
	if sc == nil {
		return leaf{}, fmt.Errorf("type %s has no simple content", canonical(t))
	}
	var derivation *node
	for _, c := range sc.children {
		if c.local == "extension" || c.local == "restriction" {
			derivation = c
		}
	}
	if derivation == nil {
		return leaf{}, fmt.Errorf("type %s: no derivation", canonical(t))
	}
	baseName, err := derivation.resolve(derivation.attrs["base"])
	if err != nil {
		return leaf{}, err
	}
	base, err := s.leafOf(baseName)
	if err != nil {
		return leaf{}, err
	}
	out := leaf{name: canonical(t), kind: base.kind, enum: base.enum, attrs: append([]attrDef(nil), base.attrs...)}
	if strings.HasPrefix(base.name, "udt:") && len(derivation.kids("attribute")) == 0 {
		out.name = base.name // a cbc type that only renames a udt type
	}
	attrs, err := s.attrsOf(derivation, out.attrs)
	if err != nil {
		return leaf{}, fmt.Errorf("type %s: %w", canonical(t), err)
	}
	out.attrs = attrs
	return out, nil
}

// attrsOf adds (or replaces) the attributes n declares to base's.
func (s *schemaSet) attrsOf(n *node, base []attrDef) ([]attrDef, error) {
	out := append([]attrDef(nil), base...)
	for _, a := range n.kids("attribute") {
		if a.attrs["use"] == "prohibited" {
			return nil, errors.New("prohibited attributes are not supported")
		}
		typ := a.attrs["type"]
		if typ == "" {
			typ = "xsd:anySimpleType"
			if _, ok := a.ns["xsd"]; !ok {
				typ = "anySimpleType"
			}
		}
		at, err := a.resolve(typ)
		if err != nil {
			return nil, err
		}
		l, err := s.leafOf(at)
		if err != nil {
			return nil, err
		}
		if len(l.attrs) > 0 {
			return nil, fmt.Errorf("attribute %s of a complex type", a.attrs["name"])
		}
		def := attrDef{name: a.attrs["name"], kind: l.kind, enum: l.enum, required: a.attrs["use"] == "required"}
		replaced := false
		for i := range out {
			if out[i].name == def.name {
				out[i], replaced = def, true
			}
		}
		if !replaced {
			out = append(out, def)
		}
	}
	return out, nil
}

// simpleOf resolves a simpleType: a restriction of a built-in (or of another
// simpleType), with enumerations.
func (s *schemaSet) simpleOf(t qname, st *node) (leaf, error) {
	r := st.kid("restriction")
	if r == nil {
		return leaf{}, fmt.Errorf("simpleType %s: only restrictions are supported", canonical(t))
	}
	baseName, err := r.resolve(r.attrs["base"])
	if err != nil {
		return leaf{}, err
	}
	base, err := s.leafOf(baseName)
	if err != nil {
		return leaf{}, err
	}
	out := leaf{name: canonical(t), kind: base.kind, enum: base.enum}
	for _, c := range r.children {
		switch c.local {
		case "enumeration":
			out.enum = append(out.enum, c.attrs["value"])
		default:
			return leaf{}, fmt.Errorf("simpleType %s: facet %s not supported", canonical(t), c.local)
		}
	}
	return out, nil
}

func occurs(v string, def int) (int, error) {
	switch v {
	case "":
		return def, nil
	case "unbounded":
		return -1, nil
	}
	return strconv.Atoi(v)
}

// complexOf reads an element-only complex type: one sequence.
func (s *schemaSet) complexOf(t qname) (complexDef, error) {
	ct := s.types[t]
	seq := ct.kid("sequence")
	if seq == nil || len(ct.children) != 1 {
		return complexDef{}, fmt.Errorf("type %s: not a plain sequence", canonical(t))
	}
	out := complexDef{name: canonical(t)}
	for _, p := range seq.children {
		minO, err := occurs(p.attrs["minOccurs"], 1)
		if err != nil {
			return complexDef{}, err
		}
		maxO, err := occurs(p.attrs["maxOccurs"], 1)
		if err != nil {
			return complexDef{}, err
		}
		switch p.local {
		case "element":
			ref, err := p.resolve(p.attrs["ref"])
			if err != nil {
				return complexDef{}, err
			}
			et, ok := s.elements[ref]
			if !ok {
				return complexDef{}, fmt.Errorf("type %s: element %s not declared", canonical(t), canonical(ref))
			}
			out.seq = append(out.seq, particle{elem: ref, min: minO, max: maxO, typ: et})
		case "any":
			if p.attrs["namespace"] != "##other" {
				return complexDef{}, fmt.Errorf("type %s: wildcard %q not supported", canonical(t), p.attrs["namespace"])
			}
			out.seq = append(out.seq, particle{min: minO, max: maxO, wildcard: true})
		default:
			return complexDef{}, fmt.Errorf("type %s: particle %s not supported", canonical(t), p.local)
		}
	}
	return out, nil
}

func (s *schemaSet) isComplex(t qname) bool {
	if t == anyType {
		return true
	}
	ct, ok := s.types[t]
	return ok && ct.kid("simpleContent") == nil
}

// generalDef is a complex type of the signature schemas.
type generalDef struct {
	name    string
	mixed   bool
	anyAttr bool
	attrs   []attrDef
	pos     []position
	states  []fsaState
}

// generalOf compiles a complex type with a general content model.
func (s *schemaSet) generalOf(t qname) (generalDef, error) {
	if t == anyType { // anything: text, any attributes, any elements (lax)
		any := &term{kind: "any", anyNS: "##any", lax: true, min: 0, max: -1}
		return generalDef{name: "xsd:anyType", mixed: true, anyAttr: true, pos: []position{{any}},
			states: []fsaState{{final: true, next: posSet{1}}, {final: true, next: posSet{1}}}}, nil
	}
	ct := s.types[t]
	def := generalDef{name: canonical(t), mixed: ct.attrs["mixed"] == "true"}
	holder := ct // the node holding the model group and attributes
	if cc := ct.kid("complexContent"); cc != nil {
		r := cc.kid("restriction")
		if r == nil {
			return generalDef{}, fmt.Errorf("type %s: complexContent extension not supported", def.name)
		}
		baseName, err := r.resolve(r.attrs["base"])
		if err != nil {
			return generalDef{}, err
		}
		base, err := s.generalOf(baseName)
		if err != nil {
			return generalDef{}, err
		}
		def.attrs, def.anyAttr = base.attrs, base.anyAttr
		holder = r
	}
	attrs, err := s.attrsOf(holder, def.attrs)
	if err != nil {
		return generalDef{}, fmt.Errorf("type %s: %w", def.name, err)
	}
	def.attrs = attrs
	if holder.kid("anyAttribute") != nil {
		def.anyAttr = true
	}
	model := &term{kind: "sequence", min: 1, max: 1} // empty content
	for _, c := range holder.children {
		if c.local == "sequence" || c.local == "choice" {
			if model, err = s.modelOf(c, t.ns); err != nil {
				return generalDef{}, fmt.Errorf("type %s: %w", def.name, err)
			}
		}
	}
	if def.pos, def.states, err = compile(model); err != nil {
		return generalDef{}, fmt.Errorf("type %s: %w", def.name, err)
	}
	return def, nil
}

func (s *schemaSet) emit() ([]byte, error) {
	// The types to emit: those of the global elements, and those of the
	// local elements the general content models declare (found while
	// compiling them). Complex types come first (sorted by canonical name),
	// then the distinct leaf types (sorted). Leaf types are folded: every
	// cbc type that only extends a udt type without attributes shares its leaf.
	used := map[qname]bool{}
	for _, t := range s.elements {
		used[t] = true
	}
	generals := map[qname]generalDef{}
	for {
		var todo []qname
		for t := range used {
			if _, done := generals[t]; !done && s.isComplex(t) && general(t) {
				todo = append(todo, t)
			}
		}
		if len(todo) == 0 {
			break
		}
		for _, t := range todo {
			def, err := s.generalOf(t)
			if err != nil {
				return nil, err
			}
			generals[t] = def
			for _, p := range def.pos {
				if p.t.kind == "element" {
					used[p.t.typ] = true
				}
			}
		}
	}
	var complexNames []qname
	for t := range used {
		if s.isComplex(t) {
			complexNames = append(complexNames, t)
		}
	}
	sortQ(complexNames)
	leaves := map[string]leaf{}
	leafOfType := map[qname]string{}
	for t := range used {
		if s.isComplex(t) {
			continue
		}
		l, err := s.leafOf(t)
		if err != nil {
			return nil, err
		}
		key := leafKey(l)
		if prev, ok := leaves[key]; !ok || l.name < prev.name {
			leaves[key] = l
		}
		leafOfType[t] = key
	}
	var keys []string
	for k := range leaves {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	index := map[string]int{}
	for i, c := range complexNames {
		index["c:"+canonical(c)] = i
	}
	for i, k := range keys {
		index["l:"+k] = len(complexNames) + i
	}
	typeIndex := func(t qname) int {
		if s.isComplex(t) {
			return index["c:"+canonical(t)]
		}
		return index["l:"+leafOfType[t]]
	}

	var b bytes.Buffer
	b.WriteString("// Code generated by internal/validate/xsd/gen from the OASIS UBL 2.1 xsdrt schemas. DO NOT EDIT.\n\n")
	b.WriteString("package xsd\n\n")
	b.WriteString("// namespaces are the namespaces the schemas declare elements in; ns indexes them.\n")
	b.WriteString("var namespaces = [...]nsInfo{\n")
	nsIndex := map[string]int{}
	for i, p := range prefixes {
		if p.prefix == "udt" || p.prefix == "ccts-cct" {
			continue
		}
		nsIndex[p.uri] = len(nsIndex)
		fmt.Fprintf(&b, "\t%d: {prefix: %q, uri: %q},\n", i, p.prefix, p.uri)
	}
	b.WriteString("}\n\n")

	b.WriteString("// types are the complex types, then the leaf types.\n")
	b.WriteString("var types = [...]typeDef{\n")
	for i, c := range complexNames {
		if def, ok := generals[c]; ok {
			if err := emitGeneral(&b, i, def, nsIndex, typeIndex); err != nil {
				return nil, err
			}
			continue
		}
		def, err := s.complexOf(c)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "\t%d: {name: %q, seq: []particle{\n", i, def.name)
		for _, p := range def.seq {
			if p.wildcard {
				fmt.Fprintf(&b, "\t\t{wildcard: true, min: %d, max: %d},\n", p.min, p.max)
				continue
			}
			ns, ok := nsIndex[p.elem.ns]
			if !ok {
				return nil, fmt.Errorf("namespace %s has no index", p.elem.ns)
			}
			fmt.Fprintf(&b, "\t\t{ns: %d, local: %q, min: %d, max: %d, typ: %d},\n", ns, p.elem.local, p.min, p.max, typeIndex(p.typ))
		}
		b.WriteString("\t}},\n")
	}
	for i, k := range keys {
		l := leaves[k]
		fmt.Fprintf(&b, "\t%d: {name: %q, leaf: true, value: %s", len(complexNames)+i, l.name, kindConst(l.kind))
		if len(l.enum) > 0 {
			fmt.Fprintf(&b, ", enum: %#v", l.enum)
		}
		emitAttrs(&b, l.attrs)
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")

	b.WriteString("// globals are the global elements: the roots, and what a wildcard validates.\n")
	b.WriteString("var globals = map[qname]int{\n")
	var globalNames []qname
	for e := range s.elements {
		if _, ok := nsIndex[e.ns]; ok {
			globalNames = append(globalNames, e)
		}
	}
	sortQ(globalNames)
	for _, e := range globalNames {
		fmt.Fprintf(&b, "\t{%d, %q}: %d,\n", nsIndex[e.ns], e.local, typeIndex(s.elements[e]))
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

func emitAttrs(b *bytes.Buffer, attrs []attrDef) {
	if len(attrs) == 0 {
		return
	}
	b.WriteString(", attrs: []attrDef{")
	for j, a := range attrs {
		if j > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "{name: %q, value: %s, required: %t", a.name, kindConst(a.kind), a.required)
		if len(a.enum) > 0 {
			fmt.Fprintf(b, ", enum: %#v", a.enum)
		}
		b.WriteString("}")
	}
	b.WriteString("}")
}

// emitGeneral writes a general complex type: its automaton's states, each
// with the edges leaving it (an element or a wildcard, and the state reached).
func emitGeneral(b *bytes.Buffer, i int, def generalDef, nsIndex map[string]int, typeIndex func(qname) int) error {
	fmt.Fprintf(b, "\t%d: {name: %q, general: true, mixed: %t, anyAttr: %t", i, def.name, def.mixed, def.anyAttr)
	emitAttrs(b, def.attrs)
	b.WriteString(", states: []state{\n")
	for _, st := range def.states {
		fmt.Fprintf(b, "\t\t{final: %t, next: []edge{", st.final)
		for k, p := range st.next {
			if k > 0 {
				b.WriteString(", ")
			}
			t := def.pos[p-1].t
			if t.kind == "any" {
				other := -1
				if t.anyNS == "##other" {
					other = nsIndex[t.other]
				}
				fmt.Fprintf(b, "{wildcard: true, other: %d, lax: %t, to: %d}", other, t.lax, p)
				continue
			}
			ns, ok := nsIndex[t.elem.ns]
			if !ok {
				return fmt.Errorf("namespace %s has no index", t.elem.ns)
			}
			fmt.Fprintf(b, "{ns: %d, local: %q, typ: %d, to: %d}", ns, t.elem.local, typeIndex(t.typ), p)
		}
		b.WriteString("}},\n")
	}
	b.WriteString("\t}},\n")
	return nil
}

func leafKey(l leaf) string {
	var sb strings.Builder
	sb.WriteString(l.kind)
	if len(l.enum) > 0 {
		fmt.Fprintf(&sb, "%q", l.enum)
	}
	for _, a := range l.attrs {
		fmt.Fprintf(&sb, "|%s:%s:%t:%q", a.name, a.kind, a.required, a.enum)
	}
	return sb.String()
}

func sortQ(qs []qname) {
	sort.Slice(qs, func(i, j int) bool {
		ci, cj := canonical(qs[i]), canonical(qs[j])
		if ci != cj {
			return ci < cj
		}
		return qs[i].ns < qs[j].ns
	})
}

func kindConst(kind string) string {
	switch kind {
	case "string", "normalizedString":
		return "vString"
	case "decimal":
		return "vDecimal"
	case "date":
		return "vDate"
	case "time":
		return "vTime"
	case "dateTime":
		return "vDateTime"
	case "boolean":
		return "vBoolean"
	case "base64Binary":
		return "vBase64"
	case "language":
		return "vLanguage"
	case "anyURI":
		return "vURI"
	case "ID":
		return "vID"
	case "integer":
		return "vInteger"
	case "anySimpleType":
		return "vString"
	}
	return "vUnknown_" + kind // does not compile: a new built-in needs a check
}
