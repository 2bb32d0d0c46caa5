package xsd

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// mutantsOf is how many mutants of a source testdata/jaxp/mutations.tsv
// judges: 25 of each schema-valid corpus invoice, 300 of signed.xml (a
// UBL invoice with an XAdES signature in its extension).
func mutantsOf(file string) int {
	if strings.HasPrefix(file, "testdata/") {
		return 300
	}
	return 25
}

// sourcePath is where a mutation source is: the package's testdata, or
// the corpus in ../shared.
func sourcePath(file string) string {
	if strings.HasPrefix(file, "testdata/") {
		return filepath.FromSlash(file)
	}
	return filepath.Join(sharedDir, "corpus", filepath.FromSlash(file))
}

// elemSpan is an element's place in the raw document.
type elemSpan struct {
	start, end       int // the element, from '<' to after its end tag
	tagEnd, endStart int // after the start tag's '>', at the end tag's '<'
	name             string
	attrs            []xml.Attr
	parent           int
	children         []int
	selfClosing      bool
}

// spans indexes every element of doc (UTF-8, no BOM).
func spans(doc []byte) ([]elemSpan, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var out []elemSpan
	var stack []int
	for {
		before := int(dec.InputOffset())
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		after := int(dec.InputOffset())
		switch t := tok.(type) {
		case xml.StartElement:
			s := elemSpan{start: before, tagEnd: after, name: rawName(t.Name), attrs: t.Attr, parent: -1}
			if len(stack) > 0 {
				s.parent = stack[len(stack)-1]
				out[s.parent].children = append(out[s.parent].children, len(out))
			}
			s.selfClosing = bytes.HasSuffix(doc[before:after], []byte("/>"))
			stack = append(stack, len(out))
			out = append(out, s)
		case xml.EndElement:
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			out[i].end, out[i].endStart = after, before
			if out[i].selfClosing {
				out[i].endStart = after
			}
		}
	}
}

var (
	mutantValues = []string{"", "x", "2026-02-30", "1,5", "12:00", "2026-01-01T00:00:00", "true", "1e3", " 5 ", "-0.5",
		"+1.", "2026-1-1", "QUJD", "abc=", "24:00:00", "2026-01-01Z", "0", "false ", "FALSE", "2024-02-29", "ro", "en_US"}
	mutantAttrs = []string{"foo", "currencyID", "unitCode", "languageID", "listID", "schemeID", "mimeCode", "filename", "format", "name"}
)

func splice(doc []byte, from, to int, with ...[]byte) []byte {
	out := make([]byte, 0, len(doc)+64)
	out = append(out, doc[:from]...)
	for _, w := range with {
		out = append(out, w...)
	}
	return append(out, doc[to:]...)
}

func startTag(name string, attrs []xml.Attr, selfClosing bool) []byte {
	var b bytes.Buffer
	b.WriteString("<" + name)
	for _, a := range attrs {
		b.WriteString(" " + rawName(a.Name) + `="`)
		_ = xml.EscapeText(&b, []byte(a.Value))
		b.WriteString(`"`)
	}
	if selfClosing {
		b.WriteString("/")
	}
	b.WriteString(">")
	return b.Bytes()
}

// mutate makes the n-th mutant of doc: one random change of one element.
// It returns nil when the drawn change does not apply.
func mutate(doc []byte, els []elemSpan, rng *rand.Rand) []byte {
	i := 1 + rng.IntN(len(els)-1) // never the root
	e := els[i]
	switch rng.IntN(8) {
	case 0: // delete
		return splice(doc, e.start, e.end)
	case 1: // duplicate
		return splice(doc, e.end, e.end, doc[e.start:e.end])
	case 2: // swap with the next sibling
		sib := els[e.parent].children
		for k, c := range sib {
			if c == i && k+1 < len(sib) {
				n := els[sib[k+1]]
				return splice(doc, e.start, n.end, doc[n.start:n.end], doc[e.end:n.start], doc[e.start:e.end])
			}
		}
	case 3: // a leaf's value
		if len(e.children) == 0 && !e.selfClosing {
			var b bytes.Buffer
			_ = xml.EscapeText(&b, []byte(mutantValues[rng.IntN(len(mutantValues))]))
			return splice(doc, e.tagEnd, e.endStart, b.Bytes())
		}
	case 4: // drop an attribute (not a namespace declaration)
		var keep []xml.Attr
		dropped := false
		for _, a := range e.attrs {
			if !dropped && a.Name.Space != "xmlns" && a.Name.Local != "xmlns" {
				dropped = true
				continue
			}
			keep = append(keep, a)
		}
		if dropped {
			return splice(doc, e.start, e.tagEnd, startTag(e.name, keep, e.selfClosing))
		}
	case 5: // add an attribute
		attrs := append(append([]xml.Attr(nil), e.attrs...), xml.Attr{
			Name:  xml.Name{Local: mutantAttrs[rng.IntN(len(mutantAttrs))]},
			Value: mutantValues[rng.IntN(len(mutantValues))],
		})
		seen := map[string]bool{}
		for _, a := range attrs {
			if seen[rawName(a.Name)] {
				return nil
			}
			seen[rawName(a.Name)] = true
		}
		return splice(doc, e.start, e.tagEnd, startTag(e.name, attrs, e.selfClosing))
	case 6: // a foreign element before it
		return splice(doc, e.start, e.start, []byte(`<x:Foo xmlns:x="urn:x"/>`))
	case 7: // renamed as another element of the document
		other := els[1+rng.IntN(len(els)-1)].name
		if e.selfClosing {
			return splice(doc, e.start, e.tagEnd, startTag(other, e.attrs, true))
		}
		return splice(doc, e.start, e.end, startTag(other, e.attrs, false), doc[e.tagEnd:e.endStart], []byte("</"+other+">"))
	}
	return nil
}

// mutants makes the mutants of one corpus file, seeded by its name.
func mutants(file string, doc []byte) ([][]byte, error) {
	doc = bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf"))
	els, err := spans(doc)
	if err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte(file))
	rng := rand.New(rand.NewPCG(h.Sum64(), 13))
	var out [][]byte
	for len(out) < mutantsOf(file) {
		if m := mutate(doc, els, rng); m != nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// TestJAXPMutations replays testdata/jaxp/mutations.tsv: for each
// schema-valid corpus invoice and for signed.xml, mutantsOf random one-element changes (deleted,
// duplicated, swapped, renamed, a value or an attribute changed, a foreign
// element inserted) with JAXP's verdict. XSD_DUMP_MUTANTS=dir writes the
// mutants instead, for Validate.java.
func TestJAXPMutations(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 1,475 mutants take a few seconds")
	}
	dump := os.Getenv("XSD_DUMP_MUTANTS")
	want := map[string]string{}
	wantLine := map[string]int{} // JAXP's line of the first XSD error
	var files []string
	if dump == "" {
		f, err := os.Open(filepath.Join("testdata", "jaxp", "mutations.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			cols := strings.Split(sc.Text(), "\t")
			if strings.HasPrefix(cols[0], "#") || cols[0] == "file" {
				continue
			}
			if _, ok := want[cols[0]+"#0"]; !ok {
				files = append(files, cols[0])
			}
			want[cols[0]+"#"+cols[1]] = cols[2]
			if len(cols) > 3 && cols[3] != "" {
				wantLine[cols[0]+"#"+cols[1]], _ = strconv.Atoi(cols[3])
			}
		}
	} else {
		files = append(files, "testdata/jaxp/signed.xml")
		for _, r := range loadReference(t) { // the schema-valid corpus files
			if rel, ok := strings.CutPrefix(r.file, "corpus/"); ok && r.want == "" {
				files = append(files, rel)
			}
		}
	}
	agree, n, lines, skipped := 0, 0, 0, 0
	for _, file := range files {
		doc, err := os.ReadFile(sourcePath(file))
		if err != nil && !strings.HasPrefix(file, "testdata/") {
			skipped++ // the corpus exists only on the project's machines
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ms, err := mutants(file, doc)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for k, m := range ms {
			key := file + "#" + strconv.Itoa(k)
			if dump != "" {
				name := fmt.Sprintf("%s__%02d.xml", strings.ReplaceAll(file, "/", "__"), k)
				if err := os.WriteFile(filepath.Join(dump, name), m, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			issues, _ := Check(m)
			got, exp := outcome(issues), want[key]
			if exp == "valid" {
				exp = ""
			}
			n++
			if got == exp {
				agree++
				if l, ok := wantLine[key]; ok && issues[0].Line != l {
					t.Errorf("%s: JAXP reports line %d, Check %d (%v)", key, l, issues[0].Line, issues[0])
				} else if ok {
					lines++
				}
				continue
			}
			t.Errorf("%s: JAXP %q, Check %q %v", key, want[key], got, issues)
		}
	}
	if skipped > 0 {
		t.Logf("../shared/corpus absent: %d corpus sources skipped, signed.xml's mutants checked", skipped)
	}
	if dump == "" {
		t.Logf("agreement with JAXP on corpus mutants: %d/%d (first XSD error on JAXP's line: %d/%d)", agree, n, lines, len(wantLine))
	}
}
