package xsd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepositoryInvoices checks the repository's own invoices: the
// generated and hand-made edge cases are schema-valid (edge-prefixed-ns.xml
// aside), the refused ones are refused for the right reason: a DOCTYPE, not
// well-formed, or not a UBL Invoice/CreditNote.
func TestRepositoryInvoices(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "invoices", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata invoices: %v", err)
	}
	want := map[string]string{
		"refused-billion-laughs.xml":      IDDoctype,
		"refused-xxe-external-entity.xml": IDDoctype,
		"refused-not-well-formed.xml":     IDXML,
		"refused-invalid-utf8.xml":        IDXML,
		"refused-empty.xml":               IDXML,
		"refused-wrong-root.xml":          IDSchema,
		"refused-too-deep.xml":            IDSchema,
		// Decoys in a foreign namespace (x:ID under Invoice) test the parser;
		// UBL's sequences have no wildcard there, so it is schema-invalid.
		"edge-prefixed-ns.xml": IDSchema,
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".xml"), func(t *testing.T) {
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			issues, _ := Check(doc)
			if got := outcome(issues); got != want[name] {
				t.Errorf("outcome %q, want %q; issues: %v", got, want[name], issues)
			}
		})
	}
}
