package validate

import (
	"os"
	"path/filepath"
	"testing"
)

func benchFile(b *testing.B, name string) {
	data, err := os.ReadFile(filepath.Join(sharedDir, "corpus", name))
	if err != nil {
		b.Skipf("corpus absent: %v", err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Schematron(data, ProfileRO); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSchematronTypical is ANAF's 35-line example (41 KB).
func BenchmarkSchematronTypical(b *testing.B) { benchFile(b, "ciusro/anaf-eInvoice_ex-v101.xml") }

// Typical invoices of 1 and 5 lines (7 KB, 23 KB).
func BenchmarkSchematron1Line(b *testing.B)  { benchFile(b, "ciusro/oca-invoice_discount.xml") }
func BenchmarkSchematron5Lines(b *testing.B) { benchFile(b, "ciusro/anaf-ubl_b2g_example0.xml") }
func BenchmarkSchematron999Lines(b *testing.B) {
	benchFile(b, "ciusro/derived-large-999-lines.xml")
}

func BenchmarkParseTypical(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(sharedDir, "corpus", "ciusro/anaf-eInvoice_ex-v101.xml"))
	if err != nil {
		b.Skipf("corpus absent: %v", err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// benchValidate measures what users run: Validate = XSD + Schematron + report.
func benchValidate(b *testing.B, name string) {
	data, err := os.ReadFile(filepath.Join(sharedDir, "corpus", name))
	if err != nil {
		b.Skipf("corpus absent: %v", err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := Validate(data, ProfileRO); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate1Line(b *testing.B)    { benchValidate(b, "ciusro/oca-invoice_discount.xml") }
func BenchmarkValidate5Lines(b *testing.B)   { benchValidate(b, "ciusro/anaf-ubl_b2g_example0.xml") }
func BenchmarkValidateTypical(b *testing.B)  { benchValidate(b, "ciusro/anaf-eInvoice_ex-v101.xml") }
func BenchmarkValidate999Lines(b *testing.B) { benchValidate(b, "ciusro/derived-large-999-lines.xml") }
