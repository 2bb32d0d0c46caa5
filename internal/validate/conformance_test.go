package validate

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const sharedDir = "../../../shared"

// pseudo ids the XSD layer produces, not the Schematron.
var pseudoIDs = map[string]bool{"XSD": true, "XML": true, "XML-DOCTYPE": true, "-": true}

type refDoc struct {
	file string
	path string
	want map[string]bool // "id/flag"
}

func loadReference(t *testing.T) []*refDoc {
	t.Helper()
	val := filepath.Join(sharedDir, "validation")
	if _, err := os.Stat(filepath.Join(val, "expected-rules.tsv")); err != nil {
		t.Skipf("reference tables absent (%v): skipping", err)
	}
	unit := map[string]string{}
	mf, err := os.Open(filepath.Join(val, "unit-docs", "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	sc := bufio.NewScanner(mf)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 || f[0] == "testfile" {
			continue
		}
		unit["en16931-unit-tests/"+f[0]+"#"+f[1]] = filepath.Join(val, "unit-docs", f[2])
	}
	ef, err := os.Open(filepath.Join(val, "expected-rules.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	byFile := map[string]*refDoc{}
	var docs []*refDoc
	sc = bufio.NewScanner(ef)
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
		d := byFile[f[0]]
		if d == nil {
			d = &refDoc{file: f[0], want: map[string]bool{}}
			if strings.HasPrefix(f[0], "corpus/") {
				d.path = filepath.Join(sharedDir, f[0])
			} else {
				d.path = unit[f[0]]
			}
			byFile[f[0]] = d
			docs = append(docs, d)
		}
		if f[5] == "1" && !pseudoIDs[f[3]] {
			d.want[f[3]+"/"+f[4]] = true
		}
	}
	return docs
}

// TestConformance compares, per reference document, the fired (id, flag)
// set with the reference validator's (ignoring the XSD layer's pseudo ids)
// and reports the agreement. It requires only what already holds.
func TestConformance(t *testing.T) {
	docs := loadReference(t)
	var okCorpus, nCorpus, okUnit, nUnit int
	missing := map[string]int{} // reference fired, we did not
	extra := map[string]int{}   // we fired, reference did not
	var corpusBad []string
	for _, d := range docs {
		corpus := strings.HasPrefix(d.file, "corpus/")
		if corpus {
			nCorpus++
		} else {
			nUnit++
		}
		got := map[string]bool{}
		data, err := os.ReadFile(d.path)
		if err == nil {
			fs, err := Schematron(data, ProfileRO)
			if err == nil {
				for _, f := range fs {
					got[f.ID+"/"+f.Flag] = true
				}
			}
		}
		same := len(got) == len(d.want)
		for k := range d.want {
			if !got[k] {
				same = false
				missing[k]++
			}
		}
		for k := range got {
			if !d.want[k] {
				same = false
				extra[k]++
			}
		}
		switch {
		case same && corpus:
			okCorpus++
		case same:
			okUnit++
		case corpus:
			corpusBad = append(corpusBad, d.file)
		}
	}
	t.Logf("agreement (fired id/flag sets, XSD pseudo ids ignored): corpus %d/%d, unit docs %d/%d", okCorpus, nCorpus, okUnit, nUnit)
	for _, f := range corpusBad {
		t.Logf("corpus mismatch: %s", f)
	}
	t.Logf("top missing (reference fired, we did not): %s", top(missing, 15))
	t.Logf("top extra (we fired, reference did not): %s", top(extra, 15))
	if okCorpus < minCorpus || okUnit < minUnit {
		t.Errorf("regression: corpus %d (floor %d), unit %d (floor %d)", okCorpus, minCorpus, okUnit, minUnit)
	}
}

// Floors: the agreement already reached; raise them as it improves.
const (
	minCorpus = 64
	minUnit   = 1131
)

func top(m map[string]int, n int) string {
	type kv struct {
		k string
		v int
	}
	var s []kv
	for k, v := range m {
		s = append(s, kv{k, v})
	}
	sort.Slice(s, func(i, j int) bool { return s[i].v > s[j].v || s[i].v == s[j].v && s[i].k < s[j].k })
	if len(s) > n {
		s = s[:n]
	}
	var b strings.Builder
	for _, x := range s {
		fmt.Fprintf(&b, "%s×%d ", x.k, x.v)
	}
	return b.String()
}
