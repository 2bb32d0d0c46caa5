package gen

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"go/format"
	"io"
	"strconv"
	"strings"
)

// Schema is the part of an expanded Schematron file the compiler uses.
type Schema struct {
	NS       map[string]string
	Lets     []Let
	Patterns []Pattern
}

// Let is a pattern-level variable (a global of the evaluation).
type Let struct{ Name, Value string }

// Pattern is a Schematron pattern: rules in document order.
type Pattern struct {
	ID    string
	Rules []Rule
}

// Rule is a rule context with its checks.
type Rule struct {
	Context string
	Checks  []Check
}

// Check is an assert or a report.
type Check struct {
	ID, Flag, Test string
	Report         bool
}

// ReadSchema reads an expanded (include-resolved, abstract-instantiated)
// ISO Schematron file. Constructs outside that form are refused.
func ReadSchema(data []byte) (*Schema, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	s := &Schema{NS: map[string]string{}}
	var pat *Pattern
	var rule *Rule
	const iso = "http://purl.oclc.org/dsdl/schematron"
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != iso {
				continue
			}
			a := func(name string) string {
				for _, at := range t.Attr {
					if at.Name.Local == name && at.Name.Space == "" {
						return at.Value
					}
				}
				return ""
			}
			switch t.Name.Local {
			case "ns":
				s.NS[a("prefix")] = a("uri")
			case "pattern":
				if a("abstract") == "true" || a("is-a") != "" {
					return nil, fmt.Errorf("abstract pattern %q: expand the schema first", a("id"))
				}
				s.Patterns = append(s.Patterns, Pattern{ID: a("id")})
				pat = &s.Patterns[len(s.Patterns)-1]
			case "rule":
				if a("abstract") == "true" {
					return nil, fmt.Errorf("abstract rule %q is not compiled", a("id"))
				}
				pat.Rules = append(pat.Rules, Rule{Context: a("context")})
				rule = &pat.Rules[len(pat.Rules)-1]
			case "let":
				if rule != nil {
					return nil, fmt.Errorf("rule-level let %q is not compiled", a("name"))
				}
				s.Lets = append(s.Lets, Let{Name: a("name"), Value: a("value")})
			case "assert", "report":
				if rule == nil {
					return nil, fmt.Errorf("%s outside a rule", t.Name.Local)
				}
				rule.Checks = append(rule.Checks, Check{ID: a("id"), Flag: a("flag"), Test: a("test"), Report: t.Name.Local == "report"})
			case "extends", "include", "param":
				return nil, fmt.Errorf("<%s> is not compiled: expand the schema first", t.Name.Local)
			}
		case xml.EndElement:
			switch {
			case t.Name.Space == iso && t.Name.Local == "rule":
				rule = nil
			case t.Name.Space == iso && t.Name.Local == "pattern":
				pat = nil
			}
		}
	}
	return s, nil
}

// Options name the generated Go identifiers.
type Options struct {
	Package string // Go package, "validate"
	Prefix  string // identifier prefix, e.g. "ro"
	VarName string // the *Schema variable, e.g. "schemaRO"
	Source  string // schema file name for the header
}

// Generate compiles the schema into a gofmt'ed Go file. It fails, listing
// every refused construct, when anything does not compile.
func Generate(s *Schema, o Options) ([]byte, error) {
	c := &compiler{prefix: o.Prefix, ns: s.NS, lets: map[string]int{}, constK: map[string]string{}}
	var refused []string
	try := func(what string, f func()) {
		defer func() {
			if r := recover(); r != nil {
				ce, ok := r.(compileError)
				if !ok {
					panic(r)
				}
				refused = append(refused, what+": "+ce.msg)
			}
		}()
		f()
	}
	var body strings.Builder
	p := o.Prefix
	// lets
	fmt.Fprintf(&body, "func %sLets(n *Node) []Seq {\n\tv := make([]Seq, %sSlots)\n", p, p)
	for i, l := range s.Lets {
		e, err := parseXPath(l.Value)
		if err != nil {
			refused = append(refused, fmt.Sprintf("let $%s: %v", l.Name, err))
			continue
		}
		try("let $"+l.Name, func() {
			fmt.Fprintf(&body, "\tv[%d] = %s // $%s\n", i, c.seqOf(e, scope{cv: "n"}), l.Name)
		})
		c.lets[l.Name] = i
	}
	body.WriteString("\treturn v\n}\n\n")
	var table strings.Builder
	fmt.Fprintf(&table, "var %s = &Schema{\n\tLets: %sLets,\n\tPatterns: []Pattern{\n", o.VarName, p)
	ri, ti := 0, 0
	for _, pat := range s.Patterns {
		fmt.Fprintf(&table, "\t\t{ID: %s, Rules: []Rule{\n", strconv.Quote(pat.ID))
		for _, r := range pat.Rules {
			mname := fmt.Sprintf("%sM%03d", p, ri)
			ri++
			e, err := parseXPath(r.Context)
			if err != nil {
				refused = append(refused, fmt.Sprintf("context %q: %v", r.Context, err))
			} else {
				try(fmt.Sprintf("context %q", r.Context), func() {
					m := c.matcher(e)
					fmt.Fprintf(&body, "// %s\nfunc %s(v []Seq, n *Node) bool {\n%s}\n\n", oneLine(r.Context), mname, m)
				})
			}
			fmt.Fprintf(&table, "\t\t\t{Context: %s, Match: %s, Names: []NameTest{%s}, Checks: []Check{\n", strconv.Quote(r.Context), mname, strings.Join(c.lastKeys, ", "))
			for _, ch := range r.Checks {
				tname := fmt.Sprintf("%sT%04d", p, ti)
				ti++
				e, err := parseXPath(ch.Test)
				if err != nil {
					refused = append(refused, fmt.Sprintf("%s %q: %v", ch.ID, ch.Test, err))
				} else {
					try(ch.ID, func() {
						g := c.framed(e, scope{cv: "n"})
						fmt.Fprintf(&body, "// %s: %s\nfunc %s(v []Seq, n *Node) bool {\n\treturn %s\n}\n\n", ch.ID, oneLine(ch.Test), tname, g)
					})
				}
				fmt.Fprintf(&table, "\t\t\t\t{ID: %s, Flag: %s, Report: %t, Test: %s},\n", strconv.Quote(ch.ID), strconv.Quote(ch.Flag), ch.Report, tname)
			}
			table.WriteString("\t\t\t}},\n")
		}
		table.WriteString("\t\t}},\n")
	}
	table.WriteString("\t},\n}\n\n")
	fmt.Fprintf(&table, "// %sSlots: the lets, then the document-constant tests (memoBool).\nconst %sSlots = %d\n\n", p, p, len(s.Lets)+len(c.memoK))
	if len(refused) > 0 {
		return nil, fmt.Errorf("gen: %d constructs refused:\n  %s", len(refused), strings.Join(refused, "\n  "))
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "// Code generated by internal/validate/gen from %s; DO NOT EDIT.\n\npackage %s\n\nimport \"strings\"\n\nvar _ = strings.Contains\n\n", o.Source, o.Package)
	if len(c.consts) > 0 {
		out.WriteString("var (\n")
		for _, k := range c.consts {
			out.WriteString("\t" + k + "\n")
		}
		out.WriteString(")\n\n")
	}
	for i, names := range c.indexed {
		if len(names) > 0 {
			fmt.Fprintf(&out, "var _ = indexNames(%t, %s)\n\n", i == 1, strings.Join(names, ", "))
		}
	}
	out.WriteString(table.String())
	out.WriteString(body.String())
	src, err := format.Source(out.Bytes())
	if err != nil {
		return out.Bytes(), fmt.Errorf("gen: generated code does not parse: %w", err)
	}
	return src, nil
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
