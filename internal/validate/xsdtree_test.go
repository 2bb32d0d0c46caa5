package validate

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/efactura-gateway/efactura/internal/validate/xsd"
)

// treeClean, treeMissed count the plain documents the XSD tree path judged
// clean, and those it did not although xsd.CheckSource finds no issue.
var treeClean, treeMissed atomic.Int64

// TestMain: in every test and fuzz run, each document the tree path judges
// clean must be one xsd.CheckSource finds no issue in (the tree path only
// ever skips the XSD layer's own reading, so that is the whole of its
// contract); benchmarks run without the check.
func TestMain(m *testing.M) {
	flag.Parse()
	if b := flag.Lookup("test.bench"); b == nil || b.Value.String() == "" {
		treeHook = func(doc []byte, clean bool) {
			issues, err := xsd.CheckSource(doc, string(doc))
			switch {
			case clean && (err != nil || len(issues) > 0):
				panic(fmt.Sprintf("XSD tree path judged clean a document with issues %v (%v): %q", issues, err, doc))
			case clean:
				treeClean.Add(1)
			case err == nil && len(issues) == 0:
				treeMissed.Add(1)
			}
		}
	}
	code := m.Run()
	if testing.Verbose() {
		fmt.Printf("XSD tree path: %d documents clean, %d clean ones missed\n", treeClean.Load(), treeMissed.Load())
	}
	os.Exit(code)
}

// TestTreePathReference: every plain reference document that the XSD layer
// finds no issue in is judged clean by the tree path (else it would pay
// for both readings).
func TestTreePathReference(t *testing.T) {
	docs, order := loadVerdicts(t)
	plain, clean := 0, 0
	for _, name := range order {
		data, err := os.ReadFile(docs[name].path)
		if err != nil || !xsd.Plain(data) {
			continue
		}
		plain++
		issues, err := xsd.CheckSource(data, string(data))
		d, perr, ok := parseClean(data, string(data))
		if d != nil {
			d.release()
		}
		if ok {
			clean++
		}
		if err == nil && len(issues) == 0 && perr == nil && !ok {
			t.Errorf("%s: no XSD issue, but the tree path did not judge it clean", name)
		}
	}
	t.Logf("%d of %d documents plain, %d judged clean on the tree", plain, len(order), clean)
}

// TestTreePathMutants: damaged corpus invoices (lines dropped, repeated,
// swapped; characters changed; attributes and markup added) through the
// tree path; TestMain's hook compares each verdict with xsd.CheckSource.
func TestTreePathMutants(t *testing.T) {
	var srcs [][]byte
	for _, name := range []string{"ciusro/anaf-eInvoice_ex-v101.xml", "ciusro/anaf-ubl_b2g_example0.xml", "ciusro/oca-invoice_discount.xml", "ciusro/oca-credit_note.xml"} {
		if data, err := os.ReadFile(filepath.Join(sharedRoot, "corpus", name)); err == nil {
			srcs = append(srcs, data)
		}
	}
	if len(srcs) == 0 {
		t.Skip("corpus absent")
	}
	inserts := []string{` currencyID="RON"`, ` unitCode="H87"`, ` xsi:nil="true"`, ` schemeID="x"`, ` foo="1"`, "<!-- c -->", "<cbc:Note>x</cbc:Note>",
		"<cbc:ID>1</cbc:ID>", "x", " ", "\t", "&amp;", "<cac:Item/>", `<cbc:Amount currencyID="RON">1</cbc:Amount>`, "2024-13-01", "1.5.0", "<cbc:IssueDate>2024-01-01</cbc:IssueDate>"}
	r := rand.New(rand.NewSource(13))
	before := treeClean.Load()
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		src := srcs[i%len(srcs)]
		lines := bytes.SplitAfter(src, []byte("\n"))
		for range 1 + r.Intn(3) {
			k := r.Intn(len(lines))
			switch r.Intn(6) {
			case 0: // drop a line
				lines = append(lines[:k:k], lines[k+1:]...)
			case 1: // repeat a line
				lines = append(lines[:k+1:k+1], lines[k:]...)
			case 2: // swap two lines
				j := r.Intn(len(lines))
				lines[k], lines[j] = lines[j], lines[k]
			case 3: // change one character
				if l := lines[k]; len(l) > 0 {
					c := append([]byte(nil), l...)
					c[r.Intn(len(c))] = "0a.-: Z9<>/\"'"[r.Intn(13)]
					lines[k] = c
				}
			default: // insert text or markup after a '>' or a space
				l := lines[k]
				at := bytes.IndexAny(l, "> ")
				if at < 0 {
					continue
				}
				c := append(append(append([]byte(nil), l[:at+1]...), inserts[r.Intn(len(inserts))]...), l[at+1:]...)
				lines[k] = c
			}
		}
		doc := bytes.Join(lines, nil)
		if _, err := Validate(doc, ProfileRO); err != nil {
			t.Fatalf("Validate: %v", err)
		}
	}
	t.Logf("%d mutants, %d judged clean on the tree", n, treeClean.Load()-before)
}
