package validate

import (
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMutatedDocuments: randomly damaged invoices (bytes changed, cut,
// markup inserted) neither panic nor take long.
func TestMutatedDocuments(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sharedDir, "corpus", "ciusro/anaf-eInvoice_ex-v101.xml"))
	if err != nil {
		t.Skip()
	}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 500; i++ {
		d := append([]byte(nil), data...)
		for k := 0; k < 1+r.Intn(4); k++ {
			switch r.Intn(3) {
			case 0:
				d[r.Intn(len(d))] = byte(r.Intn(256))
			case 1:
				d = d[:r.Intn(len(d))]
			case 2:
				p := r.Intn(len(d))
				d = append(d[:p:p], append([]byte{"<>&;'\"/![]?"[r.Intn(11)]}, d[p:]...)...)
			}
			if len(d) == 0 {
				break
			}
		}
		start := time.Now()
		func() {
			defer func() {
				if e := recover(); e != nil {
					t.Logf("input: %q", d)
					t.Fatalf("panic %v", e)
				}
			}()
			_, _ = Schematron(d, ProfileRO)
		}()
		if el := time.Since(start); el > 2*time.Second {
			t.Logf("input: %q", d)
			t.Fatalf("slow: %v", el)
		}
	}
}
