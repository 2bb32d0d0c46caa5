package validate

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFindingLocation: a fired check names its context node and line.
func TestFindingLocation(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sharedDir, "corpus", "invalid", "mut-br-ro-010-id-without-digit.xml"))
	if err != nil {
		t.Skipf("corpus absent: %v", err)
	}
	fs, err := Schematron(data, ProfileRO)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Logf("%s %s %s line %d", f.ID, f.Flag, f.Location, f.Line)
		if f.Location == "" || f.Line <= 0 {
			t.Errorf("finding without location: %+v", f)
		}
	}
	if len(fs) == 0 {
		t.Error("no findings on a document the reference finds invalid")
	}
}
