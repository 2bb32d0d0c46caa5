package xsd

//go:generate go run ./gen -src ../../../../shared/validation/xsd/ubl-2.1/xsdrt -out tables_gen.go

// The shapes of the generated tables (tables_gen.go).

// valueKind is the XSD built-in type a leaf's value (or an attribute) has;
// each has a lexical check in lexical.go.
type valueKind uint8

const (
	vNone     valueKind = iota // element-only content
	vString                    // xsd:string, xsd:normalizedString: any text
	vDecimal                   // xsd:decimal
	vDate                      // xsd:date
	vTime                      // xsd:time
	vDateTime                  // xsd:dateTime
	vBoolean                   // xsd:boolean
	vBase64                    // xsd:base64Binary
	vLanguage                  // xsd:language
	vURI                       // xsd:anyURI (checked loosely, as the reference does)
	vID                        // xsd:ID: an NCName, unique in the document
	vInteger                   // xsd:integer
)

var kindNames = [...]string{
	vNone: "element-only", vString: "xsd:string", vDecimal: "xsd:decimal", vDate: "xsd:date",
	vTime: "xsd:time", vDateTime: "xsd:dateTime", vBoolean: "xsd:boolean",
	vBase64: "xsd:base64Binary", vLanguage: "xsd:language", vURI: "xsd:anyURI",
	vID: "xsd:ID", vInteger: "xsd:integer",
}

// nsInfo is a namespace and the prefix locations use for it.
type nsInfo struct{ prefix, uri string }

// qname is an element name: ns indexes namespaces.
type qname struct {
	ns    int
	local string
}

// particle is one entry of a complex type's sequence.
type particle struct {
	ns       int
	local    string
	min, max int // max -1: unbounded
	typ      int // index into types
	wildcard bool
}

// attrDef is an attribute a leaf type allows.
type attrDef struct {
	name     string
	value    valueKind
	required bool
	enum     []string // allowed values, when restricted
}

// typeDef is a complex type (seq, or states when general) or a leaf type
// (value, enum, attrs).
type typeDef struct {
	name    string
	leaf    bool
	value   valueKind
	enum    []string // a leaf's allowed values, when restricted
	attrs   []attrDef
	seq     []particle
	general bool    // the content model is the automaton states (signature schemas)
	mixed   bool    // text allowed between the child elements
	anyAttr bool    // xsd:anyAttribute: any attribute allowed
	states  []state // states[0] is the start
}

// state is a state of a general content model's automaton.
type state struct {
	final bool   // the content may end here
	next  []edge // the elements (or wildcard) allowed next
}

// edge is an element (ns, local, typ) or a wildcard allowed in a state, and
// the state it leads to. A wildcard allows any namespace but other (-1:
// none); lax means an undeclared element is accepted unchecked.
type edge struct {
	ns       int
	local    string
	typ      int
	wildcard bool
	other    int
	lax      bool
	to       int
}
