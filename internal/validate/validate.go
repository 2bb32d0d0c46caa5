package validate

import (
	"bytes"
	"encoding/xml"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unsafe"

	"github.com/efactura-gateway/efactura/internal/validate/xsd"
)

// Report is the combined verdict of the XSD layer and the Schematron rules.
type Report struct {
	Profile  string  `json:"profile"`
	DocType  string  `json:"doctype"` // root element: Invoice, CreditNote, or what the document has
	Valid    bool    `json:"valid"`   // no fatal error
	Errors   []Error `json:"errors"`
	Warnings []Error `json:"warnings"`
}

// Error is one fired rule (or XML/XSD issue).
type Error struct {
	ID       string `json:"id"`
	Flag     string `json:"flag"` // fatal or warning
	Location string `json:"location,omitempty"`
	Line     int    `json:"line,omitempty"`
	Message  string `json:"message"`
	BT       string `json:"bt,omitempty"`           // business term the rule names
	LineID   string `json:"invoice_line,omitempty"` // BT-126 of the invoice line the location is inside
}

// Validate runs the UBL 2.1 XSD check and then the profile's Schematron
// (ProfileRO, or "" for it, or ProfileEN). A document that is not XML (XML,
// XML-DOCTYPE) gets that one fatal error and no Schematron; XSD issues are
// fatal errors with id XSD and the Schematron still runs, as the reference
// validator did. The report is invalid when any error is fatal.
func Validate(doc []byte, profile string) (*Report, error) {
	switch profile {
	case "":
		profile = ProfileRO
	case profileENOld:
		profile = ProfileEN // the report names a profile as --profile does
	}
	if _, ok := ruleMessages[profile]; !ok {
		return nil, errors.New("validate: unknown profile " + strconv.Quote(profile))
	}
	r := &Report{Profile: profile, Errors: []Error{}, Warnings: []Error{}}
	// the document as a string without a copy: both layers read it only
	// during this call, and the report's strings that can be substrings of
	// it (the XSD issues' texts here, the invoice line ids in lineOf) are copies
	src := unsafe.String(unsafe.SliceData(doc), len(doc))
	s, err := schemaOf(profile)
	if err != nil {
		return nil, err
	}
	// the rules' tree first: on a plain document it answers for the XSD
	// layer too when that layer would find nothing (xsdtree.go)
	var d *Document
	doc8, decoded, serr := toUTF8(doc) // the XSD layer reads it in its encoding: so do the rules
	clean := false
	switch {
	case serr != nil:
	case decoded:
		d, serr = parse(doc8, string(doc8), true)
	default:
		d, serr, clean = parseClean(doc8, src)
	}
	var issues []xsd.Issue
	if !clean {
		issues, err = xsd.CheckSource(doc, src)
		for i := range issues {
			issues[i].Location, issues[i].Message = strings.Clone(issues[i].Location), strings.Clone(issues[i].Message)
		}
	}
	if err != nil {
		if d != nil {
			d.release()
		}
		if !errors.Is(err, xsd.ErrNotXML) {
			return nil, err
		}
		for _, is := range issues {
			r.Errors = append(r.Errors, Error{ID: is.ID, Flag: "fatal", Location: is.Location, Line: is.Line, Message: is.Message})
		}
		if len(r.Errors) == 0 {
			r.Errors = append(r.Errors, Error{ID: xsd.IDXML, Flag: "fatal", Line: 1, Message: err.Error()})
		}
		return r, nil
	}
	var fs []Finding
	var shape docShape
	if serr == nil {
		fs, shape = s.Run(d), shapeOf(d)
		d.release() // findings and shape hold no node pointers
	} else {
		shape = scan(doc)
	}
	r.DocType = shape.root
	for _, is := range issues {
		r.Errors = append(r.Errors, Error{ID: xsd.IDSchema, Flag: "fatal", Location: is.Location, Line: is.Line, Message: is.Message, LineID: shape.lineOf(is.Location)})
	}
	if serr != nil {
		// the XSD layer read it; the Schematron parser refused it
		r.Errors = append(r.Errors, Error{ID: xsd.IDXML, Flag: "fatal", Line: 1, Message: serr.Error()})
		return r, nil //nolint:nilerr // reported in the report
	}
	msgs := ruleMessages[profile]
	for _, f := range fs {
		m := msgs[f.ID]
		e := Error{ID: f.ID, Flag: f.Flag, Location: f.Location, Line: f.Line, Message: m.Text, BT: m.BT, LineID: shape.lineOf(f.Location)}
		if f.Flag == "fatal" {
			r.Errors = append(r.Errors, e)
		} else {
			r.Warnings = append(r.Warnings, e)
		}
	}
	r.Valid = true
	for _, e := range r.Errors {
		if e.Flag == "fatal" {
			r.Valid = false
		}
	}
	return r, nil
}

// docShape is what the report needs from the document besides the rules:
// the root's name and the line identifiers (BT-126) in document order.
type docShape struct {
	root    string
	lineIDs []string
}

var lineStep = regexp.MustCompile(`^/[^/]*(?:Invoice|CreditNote)\[1\]/[^/]*?(?:InvoiceLine|CreditNoteLine)\[([0-9]+)\]`)

// lineOf is the BT-126 of the invoice line a location is inside, or "".
func (s docShape) lineOf(loc string) string {
	m := lineStep.FindStringSubmatch(loc)
	if m == nil {
		return ""
	}
	k, err := strconv.Atoi(m[1])
	if err != nil || k < 1 || k > len(s.lineIDs) {
		return ""
	}
	return strings.Clone(s.lineIDs[k-1]) // not a window on the whole document
}

// shapeOf reads the shape from the parsed tree, as scan does from the bytes.
func shapeOf(d *Document) docShape {
	var s docShape
	for _, root := range d.Root.Children {
		if root.Kind != KindElement {
			continue
		}
		s.root = root.Local
		for _, l := range root.Children {
			if l.Kind != KindElement || (l.Local != "InvoiceLine" && l.Local != "CreditNoteLine") {
				continue
			}
			id := ""
			for _, c := range l.Children {
				if c.Kind == KindElement && c.Local == "ID" {
					id = strings.TrimSpace(c.StringValue())
				}
			}
			s.lineIDs = append(s.lineIDs, id)
		}
	}
	return s
}

// scan reads the root element name and each top-level line's cbc:ID.
func scan(doc []byte) docShape {
	var s docShape
	dec := xml.NewDecoder(bytes.NewReader(doc))
	depth, inLine, inID := 0, false, false
	var id []byte
	for {
		tok, err := dec.Token()
		if err != nil {
			return s
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1:
				s.root = t.Name.Local
			case depth == 2 && (t.Name.Local == "InvoiceLine" || t.Name.Local == "CreditNoteLine"):
				inLine = true
				s.lineIDs = append(s.lineIDs, "")
			case depth == 3 && inLine && t.Name.Local == "ID":
				inID, id = true, id[:0]
			}
		case xml.CharData:
			if inID {
				id = append(id, t...)
			}
		case xml.EndElement:
			if inID && depth == 3 {
				inID = false
				s.lineIDs[len(s.lineIDs)-1] = string(bytes.TrimSpace(id))
			}
			if depth == 2 {
				inLine = false
			}
			depth--
		}
	}
}
