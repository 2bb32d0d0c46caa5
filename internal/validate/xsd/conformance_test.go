package xsd

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sharedDir is ../shared next to the repository (it exists only on the
// project's machines).
var sharedDir = filepath.Join("..", "..", "..", "..", "shared")

// refOutcome is the reference validator's XSD/XML outcome for one document.
type refOutcome struct {
	file string // as in expected-rules.tsv
	path string // on disk
	want string // "XML", "XML-DOCTYPE", "XSD" or "" (schema-valid)
}

// loadReference reads expected-rules.tsv: per document, whether XML or XSD fired.
func loadReference(t testing.TB) []refOutcome {
	t.Helper()
	tsv := filepath.Join(sharedDir, "validation", "expected-rules.tsv")
	f, err := os.Open(tsv)
	if err != nil {
		t.Skipf("reference table not found at %s (../shared exists only on the project's machines): %v", tsv, err)
	}
	defer f.Close()
	byFile := map[string]*refOutcome{}
	var order []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	header := true
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if header {
			header = false
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 6 {
			t.Fatalf("short row %q", line)
		}
		o, ok := byFile[cols[0]]
		if !ok {
			o = &refOutcome{file: cols[0], path: docPath(t, cols[0])}
			byFile[cols[0]] = o
			order = append(order, cols[0])
		}
		switch id := cols[3]; id {
		case IDXML, IDDoctype, IDSchema:
			if cols[5] == "1" && (o.want == "" || o.want == IDSchema) {
				o.want = id
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	out := make([]refOutcome, 0, len(order))
	for _, k := range order {
		out = append(out, *byFile[k])
	}
	return out
}

// docPath maps the table's file column to the document on disk.
func docPath(t testing.TB, file string) string {
	if rest, ok := strings.CutPrefix(file, "corpus/"); ok {
		return filepath.Join(sharedDir, "corpus", filepath.FromSlash(rest))
	}
	rest, ok := strings.CutPrefix(file, "en16931-unit-tests/")
	name, num, ok2 := strings.Cut(rest, "#")
	n, err := strconv.Atoi(num)
	if !ok || !ok2 || err != nil {
		t.Fatalf("unknown file %q", file)
	}
	name = strings.TrimSuffix(name, ".xml")
	return filepath.Join(sharedDir, "validation", "unit-docs", filepath.FromSlash(fmt.Sprintf("%s__t%02d.xml", name, n)))
}

// outcome is Check's answer in the table's terms.
func outcome(issues []Issue) string {
	if len(issues) == 0 {
		return ""
	}
	return issues[0].ID
}

var quoted = regexp.MustCompile(`"[^"]*"`)

// cause is a message with its particulars blanked, to group disagreements.
func cause(msg string) string {
	msg = quoted.ReplaceAllString(msg, `"…"`)
	if i := strings.Index(msg, "; expected"); i > 0 {
		msg = msg[:i]
	}
	return msg
}

// TestConformance reports how often Check agrees with the reference
// validator on "XSD fired or not" (and XML) over the 1,195 documents of
// expected-rules.tsv. It requires only the agreement already reached.
func TestConformance(t *testing.T) {
	ref := loadReference(t)
	agree, corpus, corpusAgree := 0, 0, 0
	causes := map[string][]string{}
	for _, r := range ref {
		doc, err := os.ReadFile(r.path)
		if err != nil {
			t.Fatalf("%s: %v", r.file, err)
		}
		issues, _ := Check(doc)
		got := outcome(issues)
		isCorpus := strings.HasPrefix(r.file, "corpus/")
		if isCorpus {
			corpus++
		}
		if got == r.want {
			agree++
			if isCorpus {
				corpusAgree++
			}
			continue
		}
		var key string
		switch {
		case r.want == "":
			key = "we fire " + got + ", reference valid: " + cause(issues[0].Message)
		case got == "":
			key = "reference fires " + r.want + ", we find nothing"
		default:
			key = fmt.Sprintf("reference %s, we %s: %s", r.want, got, cause(issues[0].Message))
		}
		causes[key] = append(causes[key], r.file)
	}
	t.Logf("XSD/XML agreement: %d/%d documents (corpus %d/%d)", agree, len(ref), corpusAgree, corpus)
	keys := make([]string, 0, len(causes))
	for k := range causes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(causes[keys[i]]) > len(causes[keys[j]]) })
	for _, k := range keys {
		files := causes[k]
		t.Logf("  %4d  %s  (e.g. %s)", len(files), k, strings.Join(files[:min(3, len(files))], ", "))
	}
	if agree < minAgreement {
		t.Errorf("agreement fell to %d, below %d", agree, minAgreement)
	}
}

// minAgreement is the agreement reached when the test was written.
const minAgreement = 1195
