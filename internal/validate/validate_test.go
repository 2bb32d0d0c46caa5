package validate

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// sharedRoot is ../shared (the reference tables and corpus), relative to this package.
const sharedRoot = "../../../shared"

// refVerdict is one reference document: its verdict and fired id/flag set.
type refVerdict struct {
	path, verdict string
	fired         map[string]bool
}

func loadVerdicts(t *testing.T) (map[string]*refVerdict, []string) {
	t.Helper()
	val := filepath.Join(sharedRoot, "validation")
	ef, err := os.Open(filepath.Join(val, "expected-rules.tsv"))
	if err != nil {
		t.Skipf("reference tables absent (%v): skipping", err)
	}
	defer ef.Close()
	unit := map[string]string{}
	if mf, err := os.Open(filepath.Join(val, "unit-docs", "manifest.tsv")); err == nil {
		sc := bufio.NewScanner(mf)
		for sc.Scan() {
			if f := strings.Split(sc.Text(), "\t"); len(f) >= 3 && f[0] != "testfile" {
				unit["en16931-unit-tests/"+f[0]+"#"+f[1]] = filepath.Join(val, "unit-docs", f[2])
			}
		}
		mf.Close()
	}
	docs := map[string]*refVerdict{}
	var order []string
	sc := bufio.NewScanner(ef)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "file\t") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 6 {
			continue
		}
		d := docs[f[0]]
		if d == nil {
			d = &refVerdict{verdict: f[2], fired: map[string]bool{}, path: unit[f[0]]}
			if strings.HasPrefix(f[0], "corpus/") {
				d.path = filepath.Join(sharedRoot, f[0])
			}
			docs[f[0]] = d
			order = append(order, f[0])
		}
		if f[5] == "1" && f[3] != "-" {
			d.fired[f[3]+"/"+f[4]] = true
		}
	}
	return docs, order
}

// TestValidateReference: per reference document, the combined verdict and
// the fired id/flag set (XSD, XML, XML-DOCTYPE included) equal the reference.
func TestValidateReference(t *testing.T) {
	docs, order := loadVerdicts(t)
	bad := 0
	for _, name := range order {
		d := docs[name]
		data, err := os.ReadFile(d.path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		r, err := Validate(data, ProfileRO)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := map[string]bool{}
		for _, e := range append(append([]Error(nil), r.Errors...), r.Warnings...) {
			got[e.ID+"/"+e.Flag] = true
			if e.Message == "" {
				t.Errorf("%s: %s without a message", name, e.ID)
			}
		}
		verdict := "invalid"
		if r.Valid {
			verdict = "valid"
		}
		if verdict != d.verdict || !sameSet(got, d.fired) {
			bad++
			if bad <= 10 {
				t.Errorf("%s: verdict %s (want %s), fired %v (want %v)", name, verdict, d.verdict, keys(got), keys(d.fired))
			}
		}
	}
	t.Logf("%d documents, %d differ", len(order), bad)
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestValidateShapes(t *testing.T) {
	r, err := Validate([]byte("not xml"), ProfileRO)
	if err != nil || r.Valid || len(r.Errors) != 1 || r.Errors[0].ID != "XML" || r.Errors[0].Flag != "fatal" {
		t.Fatalf("not XML: %+v %v", r, err)
	}
	if _, err := Validate([]byte("<a/>"), "xx"); err == nil {
		t.Fatal("unknown profile accepted")
	}
	doc := `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cac:InvoiceLine><cbc:ID>L-7</cbc:ID></cac:InvoiceLine>
<cac:InvoiceLine><cbc:ID> L-9 </cbc:ID><cbc:Note>x</cbc:Note></cac:InvoiceLine>
</Invoice>`
	r, err = Validate([]byte(doc), ProfileEN)
	if err != nil || r.Valid || r.DocType != "Invoice" {
		t.Fatalf("%+v %v", r, err)
	}
	var sawXSD, sawLine bool
	for _, e := range r.Errors {
		sawXSD = sawXSD || e.ID == "XSD"
		if e.Message == "" {
			t.Errorf("%s without message", e.ID)
		}
		if strings.Contains(e.Location, "InvoiceLine[2]") {
			sawLine = true
			if e.LineID != "L-9" {
				t.Errorf("%s at %s: line %q, want L-9", e.ID, e.Location, e.LineID)
			}
		}
	}
	if !sawXSD || !sawLine {
		t.Errorf("want an XSD error and one inside line 2: %+v", r.Errors)
	}
	// the report names the profile as --profile and ?profile= do; the
	// former name of en is still accepted
	for _, p := range []string{ProfileEN, "en16931"} {
		if r, err := Validate([]byte(doc), p); err != nil || r.Profile != "en" {
			t.Errorf("profile %q: report profile %q, error %v", p, r.Profile, err)
		}
	}
	if r, err := Validate([]byte(doc), ""); err != nil || r.Profile != "ro" {
		t.Errorf("default profile: report profile %q, error %v", r.Profile, err)
	}
}

// TestMessagesCoverRules: every rule id of the ANAF rule table has a
// message (the table lists the ids of ro16931-ubl-1.0.9).
func TestMessagesCoverRules(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sharedRoot, "validation", "ro-1.0.9-rules.tsv"))
	if err != nil {
		t.Skipf("rule table absent (%v): skipping", err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") || len(f) < 2 || f[0] == "rule_id" || f[0] == "id" {
			continue
		}
		n++
		if ruleMessages[ProfileRO][f[0]].Text == "" {
			t.Errorf("ro %s: no message", f[0])
		}
	}
	t.Logf("%d rule ids checked", n)
}

// FuzzValidate: any input gives a report or an error, never a panic; a
// report with no fatal error is valid.
func FuzzValidate(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join(sharedRoot, "corpus", "ciusro/anaf-eInvoice_ex-v101.xml")); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><InvoiceLine/></Invoice>`))
	f.Add([]byte("<!DOCTYPE x><x/>"))
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-2\"?><Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">\xba\xfe</Invoice>"))
	f.Add([]byte("\xff\xfe<\x00a\x00/\x00>\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Validate(data, ProfileRO)
		if err != nil {
			return
		}
		fatal := false
		for _, e := range r.Errors {
			fatal = fatal || e.Flag == "fatal"
		}
		if r.Valid == fatal {
			t.Fatalf("valid %v with fatal %v", r.Valid, fatal)
		}
	})
}

// TestShapeFromTree: the root name and line ids read from the parsed tree
// equal those of the encoding/xml scan, on every reference document.
func TestShapeFromTree(t *testing.T) {
	docs, order := loadVerdicts(t)
	n := 0
	for _, name := range order {
		data, err := os.ReadFile(docs[name].path)
		if err != nil {
			continue
		}
		d, err := Parse(data)
		if err != nil {
			continue
		}
		got, want := shapeOf(d), scan(data)
		d.release()
		if got.root != want.root || strings.Join(got.lineIDs, "\x00") != strings.Join(want.lineIDs, "\x00") || len(got.lineIDs) != len(want.lineIDs) {
			t.Errorf("%s: tree shape %+v, scan %+v", name, got, want)
		}
		n++
	}
	t.Logf("%d documents", n)
}

// TestSlabOrder: the findings of a run over the slabs (nodes in creation
// order) equal those of the tree walk, on every reference document.
func TestSlabOrder(t *testing.T) {
	docs, order := loadVerdicts(t)
	schemaRO.once.Do(schemaRO.buildDispatch)
	for _, name := range order {
		data, err := os.ReadFile(docs[name].path)
		if err != nil {
			continue
		}
		d, err := Parse(data)
		if err != nil {
			continue
		}
		bySlab := schemaRO.Run(d)
		byTree := schemaRO.Run(&Document{Root: d.Root, Nodes: d.Nodes})
		d.release()
		if !reflect.DeepEqual(bySlab, byTree) {
			t.Errorf("%s: slab order %v, tree order %v", name, bySlab, byTree)
		}
	}
}
