package xsd

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzCheck: any input gives issues or an error, never a panic; an error
// always comes with exactly one XML or XML-DOCTYPE issue.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(""))
	f.Add([]byte("<Invoice/>"))
	if doc, err := os.ReadFile(filepath.Join("testdata", "jaxp", "signed.xml")); err == nil {
		f.Add(doc)
	}
	if files, _ := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "invoices", "*.xml")); len(files) > 0 {
		for _, name := range files[:min(4, len(files))] {
			if doc, err := os.ReadFile(name); err == nil {
				f.Add(doc)
			}
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		issues, err := Check(doc)
		if err != nil && (len(issues) != 1 || issues[0].ID == IDSchema) {
			t.Fatalf("error %v with issues %v", err, issues)
		}
		if len(issues) > maxIssues {
			t.Fatalf("%d issues", len(issues))
		}
	})
}
