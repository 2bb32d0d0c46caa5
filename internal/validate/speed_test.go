package validate

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestIndexFromSlabs: the name index built by one loop over the node slabs
// equals the one built by walking the tree, on every reference document.
func TestIndexFromSlabs(t *testing.T) {
	docs, order := loadVerdicts(t)
	schemaRO.once.Do(schemaRO.buildDispatch)
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
		bySlab := d.Root.index().seqs
		tree := &Node{Kind: KindDocument, Children: d.Root.Children}
		byTree := tree.index().seqs
		if len(bySlab) != len(byTree) {
			t.Fatalf("%s: %d slots by slab, %d by tree", name, len(bySlab), len(byTree))
		}
		for k := range bySlab {
			if len(bySlab[k]) != len(byTree[k]) || (len(bySlab[k]) > 0 && !reflect.DeepEqual(bySlab[k], byTree[k])) {
				t.Errorf("%s: slot %d: %d nodes by slab, %d by tree", name, k, len(bySlab[k]), len(byTree[k]))
			}
		}
		tree.x.doc.releaseIndex()
		d.release()
		n++
	}
	t.Logf("%d documents: same index", n)
}

// TestEndTagInPlace: end tags matched against the open element's name in
// place are still checked as before (a longer or shorter name, a prefix,
// white space, a document that ends inside the end tag).
func TestEndTagInPlace(t *testing.T) {
	for doc, ok := range map[string]bool{
		`<a></a>`:                       true,
		`<a></a >`:                      true,
		"<a></a\n\t>":                   true,
		`<a></ab>`:                      false,
		`<ab></a>`:                      false,
		`<a></a`:                        false,
		`<a></`:                         false,
		`<a></a/>`:                      false,
		`<p:a xmlns:p="urn:x"></p:a>`:   true,
		`<p:a xmlns:p="urn:x"></p:ab>`:  false,
		`<p:a xmlns:p="urn:x"></a>`:     false,
		`<a><b></b><b></b></a>`:         true,
		`<a><b></a></b>`:                false,
		`<a xmlns="urn:x"><a></a></a>`:  true,
		`<a:b xmlns:a="urn:x"></a:b:c>`: false,
		`<a.b-c></a.b-c>`:               true,
		`<a.b-c></a.b-c.>`:              false,
	} {
		d, err := Parse([]byte(doc))
		if (err == nil) != ok {
			t.Errorf("%s: error %v, want ok=%v", doc, err, ok)
		}
		if d != nil {
			d.release()
		}
	}
}

// TestCRLFIndent: the shortcut for CR LF indentation gives the text that
// decoding and normalising it gives, and declines anything else.
func TestCRLFIndent(t *testing.T) {
	for _, raw := range []string{"\r\n", "\r\n ", "\r\n    ", "\r\n\t\t", "\r\n" + strings.Repeat(" ", maxIndent),
		"\r\n" + strings.Repeat(" ", maxIndent+1), "\r\n \t", "\r\n\t ", "\r\nx", "\n  ", "\r", "\r\r\n", " \r\n", "\r\n  \r\n", ""} {
		s, ok := crlfIndent([]byte(raw))
		want, err := decodeText(nil, []byte(raw), false, true)
		if err != nil {
			t.Fatal(err)
		}
		if ok && s != string(want) {
			t.Errorf("%q: %q, decoded %q", raw, s, want)
		}
		simple := len(raw) >= 2 && raw[:2] == "\r\n" && len(raw)-2 <= maxIndent &&
			(strings.Trim(raw[2:], " ") == "" || strings.Trim(raw[2:], "\t") == "")
		if ok != simple {
			t.Errorf("%q: ok %v, want %v", raw, ok, simple)
		}
	}
}

// TestTrimXMLSpace: the byte loop trims as strings.TrimFunc(s, xmlSpace).
func TestTrimXMLSpace(t *testing.T) {
	for _, s := range []string{"", " ", "a", " 1.5 ", "\t\r\n a b \n", "\u00a0a\u00a0", "a\v", "\xff \xff", " \xff ", "x\n\ny", "\u2003a"} {
		if got, want := trimXMLSpace(s), strings.TrimFunc(s, xmlSpace); got != want {
			t.Errorf("%q: %q, want %q", s, got, want)
		}
	}
}
