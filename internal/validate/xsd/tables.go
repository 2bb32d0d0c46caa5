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
	vURI                       // xsd:anyURI (not checked: the reference accepts nearly anything)
)

var kindNames = [...]string{
	vNone: "element-only", vString: "xsd:string", vDecimal: "xsd:decimal", vDate: "xsd:date",
	vTime: "xsd:time", vDateTime: "xsd:dateTime", vBoolean: "xsd:boolean",
	vBase64: "xsd:base64Binary", vLanguage: "xsd:language", vURI: "xsd:anyURI",
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
}

// typeDef is a complex type (seq) or a leaf type (value, attrs).
type typeDef struct {
	name  string
	leaf  bool
	value valueKind
	attrs []attrDef
	seq   []particle
}
