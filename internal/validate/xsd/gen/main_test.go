package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedIsCurrent regenerates the tables from ../shared/validation and
// requires the committed tables_gen.go to be byte-identical.
func TestGeneratedIsCurrent(t *testing.T) {
	src := filepath.Join("..", "..", "..", "..", "..", "shared", "validation", "xsd", "ubl-2.1", "xsdrt")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("UBL 2.1 schemas not found at %s (../shared exists only on the project's machines): %v", src, err)
	}
	got, err := Generate(src)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "tables_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		t.Fatal("tables_gen.go is stale: run go generate ./internal/validate/xsd")
	}
}
