package render_test

import (
	"io"
	"os"
	"testing"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/render"
)

// benchInvoices are a typical generated invoice (2 lines) and a large one:
// the corpus's 999-line invoice when ../shared exists, else a generated
// 1000-line one.
func benchInvoices(b *testing.B) map[string]*invoice.Invoice {
	b.Helper()
	typ := typical(b)
	large := withLines(typ, 1000)
	name := "generated-1000-lines"
	if _, err := os.Stat(large999); err == nil {
		large, name = parseFile(b, large999), "corpus-999-lines"
	}
	return map[string]*invoice.Invoice{"typical": typ, name: large}
}

func BenchmarkHTML(b *testing.B) {
	for name, inv := range benchInvoices(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := render.HTML(io.Discard, inv, facts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// countingWriter counts the bytes of the PDF, reported as bytes/pdf.
type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// BenchmarkPDF reports, with the allocations, the CPU time per PDF
// (cpu-ns/op: user + system time of the process, GC included, which a
// loaded machine moves far less than ns/op) and its size. Issue 16's goal
// for the typical invoice: ≤ 3 ms and ≤ 1 MB allocated.
//
//	go test -run '^$' -bench PDF -benchmem ./internal/invoice/render/
func BenchmarkPDF(b *testing.B) {
	for name, inv := range benchInvoices(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var w countingWriter
			start, n := cpuTime(), 0
			for b.Loop() {
				w.n = 0
				if err := render.PDF(&w, inv, facts); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
			b.ReportMetric(float64(w.n), "bytes/pdf")
		})
	}
}
