package validate

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// TestRuleCost prints the checks and contexts that cost the most time over
// the corpus (set EFACTURA_RULE_COST=1): where to optimise the generator next.
func TestRuleCost(t *testing.T) {
	if os.Getenv("EFACTURA_RULE_COST") == "" {
		t.Skip("set EFACTURA_RULE_COST=1 to print the costliest checks")
	}
	glob := filepath.Join(sharedDir, "corpus", "*", "*.xml")
	if g := os.Getenv("EFACTURA_RULE_COST_GLOB"); g != "" { // e.g. ciusro/oca-invoice_discount.xml
		glob = filepath.Join(sharedDir, "corpus", g)
	}
	files, _ := filepath.Glob(glob)
	if len(files) == 0 {
		t.Skip("corpus absent")
	}
	s := schemaRO
	s.once.Do(s.buildDispatch)
	cost := map[string]time.Duration{}
	var parse time.Duration
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			t0 := time.Now()
			d, err := Parse(data)
			parse += time.Since(t0)
			if err != nil {
				break
			}
			v := s.Lets(d.Root)
			var walk func(n *Node)
			walk = func(n *Node) {
				nodes := append([]*Node{n}, n.Attrs...)
				for _, m := range nodes {
					for pi := range s.Patterns {
						p := &s.Patterns[pi]
						rules, ok := s.dispatch[pi].byName[nameKey{m.ID, m.Kind == KindAttr}]
						if !ok || m.ID == 0 {
							rules = s.dispatch[pi].anyElem
							if m.Kind == KindAttr {
								rules = s.dispatch[pi].anyAttr
							}
						}
						for _, ri := range rules {
							r := &p.Rules[ri]
							t1 := time.Now()
							ok := r.Match(v, m)
							cost["context "+p.ID+"/"+r.Context] += time.Since(t1)
							if !ok {
								continue
							}
							for _, c := range r.Checks {
								t2 := time.Now()
								c.Test(v, m)
								cost[c.ID] += time.Since(t2)
							}
							break
						}
					}
				}
				for _, c := range n.Children {
					if c.Kind == KindElement {
						walk(c)
					}
				}
			}
			walk(d.Root.Children[0])
		}
	}
	type kv struct {
		k string
		v time.Duration
	}
	var all []kv
	var total time.Duration
	for k, v := range cost {
		all = append(all, kv{k, v})
		total += v
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v })
	t.Logf("parse %v, contexts+checks %v (timer overhead included)", parse, total)
	for i := 0; i < 25 && i < len(all); i++ {
		t.Logf("%8v %5.1f%%  %s", all[i].v.Round(time.Microsecond), 100*float64(all[i].v)/float64(total), all[i].k)
	}
}
