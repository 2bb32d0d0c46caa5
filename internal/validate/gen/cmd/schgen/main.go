// Command schgen compiles an expanded Schematron file into Go source for
// package validate (see internal/validate/gen).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/efactura-gateway/efactura/internal/validate/gen"
)

func main() {
	in := flag.String("in", "", "expanded Schematron file")
	out := flag.String("out", "", "Go file to write")
	prefix := flag.String("prefix", "ro", "identifier prefix")
	varName := flag.String("var", "schemaRO", "schema variable name")
	flag.Parse()
	data, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s, err := gen.ReadSchema(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	src, err := gen.Generate(s, gen.Options{Package: "validate", Prefix: *prefix, VarName: *varName, Source: filepath.Base(*in)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
