package validate

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestParseMatchesEncodingXML: the scanner builds the same model as the
// encoding/xml-based parser on every reference document (attribute values
// compared after XML's whitespace normalisation, which encoding/xml skips).
func TestParseMatchesEncodingXML(t *testing.T) {
	docs := loadReference(t)
	diffs := 0
	for _, d := range docs {
		data, err := os.ReadFile(d.path)
		if err != nil {
			continue
		}
		a, errA := Parse(data)
		b, errB := parseStd(data)
		if (errA == nil) != (errB == nil) {
			diffs++
			t.Errorf("%s: scanner error %v, encoding/xml error %v", d.file, errA, errB)
			continue
		}
		if errA != nil {
			continue
		}
		if msg := sameTree(a.Root, b.Root); msg != "" {
			diffs++
			t.Errorf("%s: %s", d.file, msg)
		}
		if diffs > 10 {
			t.Fatal("too many differences")
		}
	}
}

func sameTree(a, b *Node) string {
	bd := b.Data
	if b.Kind == KindAttr {
		bd = strings.NewReplacer("\t", " ", "\n", " ").Replace(bd)
	}
	if a.Kind != b.Kind || a.Space != b.Space || a.Local != b.Local || a.Prefix != b.Prefix || a.Data != bd || a.Line != b.Line {
		return fmt.Sprintf("node differs: %+v vs %+v", *a, *b)
	}
	if len(a.Attrs) != len(b.Attrs) || len(a.Children) != len(b.Children) {
		return fmt.Sprintf("%s: %d/%d attrs, %d/%d children", a.Name(), len(a.Attrs), len(b.Attrs), len(a.Children), len(b.Children))
	}
	for i := range a.Attrs {
		if m := sameTree(a.Attrs[i], b.Attrs[i]); m != "" {
			return m
		}
	}
	for i := range a.Children {
		if m := sameTree(a.Children[i], b.Children[i]); m != "" {
			return m
		}
	}
	return ""
}
