package validate

import (
	"os"
	"reflect"
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
