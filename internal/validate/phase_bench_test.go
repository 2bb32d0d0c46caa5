package validate

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/efactura-gateway/efactura/internal/validate/xsd"
)

// benchPhase measures one phase of Validate on a corpus file: the XSD layer,
// the model parse, or the rules over a parsed tree.
func benchPhase(b *testing.B, name, phase string) {
	data, err := os.ReadFile(filepath.Join(sharedDir, "corpus", name))
	if err != nil {
		b.Skipf("corpus absent: %v", err)
	}
	src := string(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	defer reportCPU(b)()
	switch phase {
	case "xsd":
		for b.Loop() {
			_, _ = xsd.CheckSource(data, src)
		}
	case "parse":
		for b.Loop() {
			d, err := parse(data, src, false)
			if err != nil {
				b.Fatal(err)
			}
			d.release()
		}
	case "rules":
		schemaRO.once.Do(schemaRO.buildDispatch)
		for b.Loop() { // parse included: subtract the parse phase
			d, err := parse(data, src, false)
			if err != nil {
				b.Fatal(err)
			}
			schemaRO.Run(d)
			d.release()
		}
	}
}

func BenchmarkPhaseXSD1Line(b *testing.B) { benchPhase(b, "ciusro/oca-invoice_discount.xml", "xsd") }
func BenchmarkPhaseParse1Line(b *testing.B) {
	benchPhase(b, "ciusro/oca-invoice_discount.xml", "parse")
}
func BenchmarkPhaseRules1Line(b *testing.B) {
	benchPhase(b, "ciusro/oca-invoice_discount.xml", "rules")
}
func BenchmarkPhaseXSDTypical(b *testing.B) { benchPhase(b, "ciusro/anaf-eInvoice_ex-v101.xml", "xsd") }
func BenchmarkPhaseParseTypical(b *testing.B) {
	benchPhase(b, "ciusro/anaf-eInvoice_ex-v101.xml", "parse")
}
func BenchmarkPhaseRulesTypical(b *testing.B) {
	benchPhase(b, "ciusro/anaf-eInvoice_ex-v101.xml", "rules")
}
func BenchmarkPhaseXSD999Lines(b *testing.B) {
	benchPhase(b, "ciusro/derived-large-999-lines.xml", "xsd")
}
func BenchmarkPhaseParse999Lines(b *testing.B) {
	benchPhase(b, "ciusro/derived-large-999-lines.xml", "parse")
}
func BenchmarkPhaseRules999Lines(b *testing.B) {
	benchPhase(b, "ciusro/derived-large-999-lines.xml", "rules")
}

// cpuTime is this process's user+system CPU time (GC included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the metric cpu-ms/op (process CPU time per iteration, read
// it rather than ns/op on a loaded machine); call the result at the end.
func reportCPU(b *testing.B) func() {
	c0 := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
		}
	}
}
