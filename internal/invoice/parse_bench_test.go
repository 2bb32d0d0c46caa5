package invoice_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
)

// BenchmarkParseMemory reports what Parse allocates per byte of document
// (B/docbyte = B/op ÷ document size; PRODUCT.md §9, issue 11: under 4)
// for a generated 10 MB invoice of typical lines (14000, the
// worst case: many small elements), the same size with 5000 longer lines
// (bench/pdf-parallel.sh's document), a typical small invoice, and the
// corpus's 999-line invoice when ../shared exists.
//
//	go test -run '^$' -bench ParseMemory -benchtime 5x ./internal/invoice/
func BenchmarkParseMemory(b *testing.B) {
	docs := []struct {
		name string
		data []byte
	}{
		{"generated-14000-lines-9.7MB", invoicegen.Large(14000, 0, 1).Data},
		{"generated-5000-lines-10MB", invoicegen.Large(5000, 10_000_000, 1).Data},
		{"generated-typical", invoicegen.Generate(1, 1)[0].Data},
	}
	if data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "corpus", "ciusro", "derived-large-999-lines.xml")); err == nil {
		docs = append(docs, struct {
			name string
			data []byte
		}{"corpus-999-lines", data})
	}
	for _, d := range docs {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(d.data)))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			n := 0
			for b.Loop() {
				if _, err := invoice.Parse(d.data); err != nil {
					b.Fatal(err)
				}
				n++
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n)/float64(len(d.data)), "B/docbyte")
		})
	}
}
