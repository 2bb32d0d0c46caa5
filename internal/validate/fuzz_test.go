package validate

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzSchematron: no input makes the parser or the compiled rules panic.
func FuzzSchematron(f *testing.F) {
	for _, name := range []string{"ciusro/anaf-eInvoice_ex-v101.xml", "ciusro/oca-credit_note.xml"} {
		if data, err := os.ReadFile(filepath.Join(sharedDir, "corpus", name)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:IssueDate>2024-02-30</cbc:IssueDate><cbc:Note>&#x1F600;&amp;</cbc:Note></Invoice>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Schematron(data, ProfileRO)
	})
}
