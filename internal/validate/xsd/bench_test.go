package xsd

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCheck checks the corpus's 999-line invoice (746 kB) when
// ../shared exists, else the small inline invoice.
func BenchmarkCheck(b *testing.B) {
	benchmarkFile(b, filepath.Join(sharedDir, "corpus", "ciusro", "derived-large-999-lines.xml"))
}

// BenchmarkCheckTypical checks ANAF's own example invoice (a few kB).
func BenchmarkCheckTypical(b *testing.B) {
	benchmarkFile(b, filepath.Join(sharedDir, "corpus", "ciusro", "anaf-eInvoice_ex-v101.xml"))
}

func benchmarkFile(b *testing.B, path string) {
	doc := []byte(minimal)
	if data, err := os.ReadFile(path); err == nil {
		doc = data
	} else {
		b.Logf("../shared absent: benchmarking the inline invoice")
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if issues, err := Check(doc); err != nil || len(issues) > 0 {
			b.Fatalf("issues %v, error %v", issues, err)
		}
	}
}
