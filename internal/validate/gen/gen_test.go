package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const schPath = "../../../../shared/validation/schematron/ro16931-ubl-1.0.9-expanded.sch"

// TestGeneratedIsCurrent regenerates rules_ro_gen.go from the shared
// schema and requires identical output.
func TestGeneratedIsCurrent(t *testing.T) {
	data, err := os.ReadFile(schPath)
	if err != nil {
		t.Skipf("../shared/validation absent (%v): skipping the regeneration check", err)
	}
	s, err := ReadSchema(data)
	if err != nil {
		t.Fatal(err)
	}
	checks, rules := 0, 0
	for _, p := range s.Patterns {
		rules += len(p.Rules)
		for _, r := range p.Rules {
			checks += len(r.Checks)
		}
	}
	if len(s.Patterns) != 4 || rules != 132 || checks != 1098 || len(s.Lets) != 6 {
		t.Errorf("schema shape: %d patterns, %d rules, %d checks, %d lets; want 4, 132, 1098, 6", len(s.Patterns), rules, checks, len(s.Lets))
	}
	got, err := Generate(s, Options{Package: "validate", Prefix: "ro", VarName: "schemaRO", Source: filepath.Base(schPath)})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../rules_ro_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("internal/validate/rules_ro_gen.go is stale: run go generate ./internal/validate")
	}
}

// TestRefuses: constructs outside the compiled slice fail loudly.
func TestRefuses(t *testing.T) {
	for _, test := range []string{
		"if (a) then b else c",
		"for $x in a return $x",
		"cac:X[1]",
		"cac:X[position() = 2]",
		"unknown-fn(.)",
		"a mod 2",
		". castable as xs:integer",
		"foo:bar",
		"$undeclared",
		"following::cbc:ID",
		"a to b",
		"1e3",
	} {
		s := &Schema{NS: map[string]string{"cac": "urn:cac"}, Patterns: []Pattern{{ID: "p", Rules: []Rule{{
			Context: "cac:X", Checks: []Check{{ID: "T", Flag: "fatal", Test: test}}}}}}}
		_, err := Generate(s, Options{Package: "validate", Prefix: "t", VarName: "x", Source: "test"})
		if err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%q: want a refusal, got %v", test, err)
		}
	}
}

// TestCompiles: a few expressions of the slice compile.
func TestCompiles(t *testing.T) {
	for _, test := range []string{
		"every $v in cac:X satisfies exists(//cac:Y[@id = $v])",
		"(string(.) castable as xs:date) and string-length(text()) = 10",
		"round(sum(../cac:X/xs:decimal(cbc:A)) * 10 * 10) div 100 = 0",
		"count(//cbc:ID[not(preceding::cbc:ID/. = .)]) <= 1",
		"ancestor::cac:X or following-sibling::cac:Y or self::cbc:ID",
		"//*[ends-with(name(), 'Amount')]",
		"-1 < 2 and not(. eq 'x')",
	} {
		s := &Schema{NS: map[string]string{"cac": "urn:cac", "cbc": "urn:cbc", "xs": "http://www.w3.org/2001/XMLSchema"},
			Patterns: []Pattern{{ID: "p", Rules: []Rule{{Context: "cac:X | /cac:Y/@id", Checks: []Check{{ID: "T", Flag: "fatal", Test: test}}}}}}}
		if _, err := Generate(s, Options{Package: "validate", Prefix: "t", VarName: "x", Source: "test"}); err != nil {
			t.Errorf("%q: %v", test, err)
		}
	}
}

// TestGeneratedENIsCurrent: the same for the EN 16931 profile.
func TestGeneratedENIsCurrent(t *testing.T) {
	const en = "../../../../shared/validation/schematron/en16931-ubl-1.3.16-expanded.sch"
	data, err := os.ReadFile(en)
	if err != nil {
		t.Skipf("../shared/validation absent (%v): skipping the regeneration check", err)
	}
	s, err := ReadSchema(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Generate(s, Options{Package: "validate", Prefix: "en", VarName: "schemaEN", Source: filepath.Base(en)})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../rules_en_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("internal/validate/rules_en_gen.go is stale: run go generate ./internal/validate")
	}
}
