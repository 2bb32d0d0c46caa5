package validate

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
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
	runtime.LockOSThread() // thread CPU time: wall time is meaningless on a loaded machine
	defer runtime.UnlockOSThread()
	now := func() time.Duration {
		var ts syscall.Timespec // CLOCK_THREAD_CPUTIME_ID (getrusage counts in ticks)
		_, _, _ = syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&ts)), 0)
		return time.Duration(ts.Nano())
	}
	s := schemaRO
	s.once.Do(s.buildDispatch)
	cost := map[string]time.Duration{}
	var parse time.Duration
	const reps = 20
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		d, err := Parse(data)
		parse += time.Since(t0) * reps
		if err != nil {
			continue
		}
		v := s.Lets(d.Root)
		// which rule applies to which nodes (first matching rule per pattern),
		// then each context and each check timed over all its nodes at once
		type use struct {
			p, r  int
			nodes []*Node
		}
		uses := map[[2]int]*use{}
		tried := map[[2]int][]*Node{}
		var order [][2]int
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
						k := [2]int{pi, ri}
						tried[k] = append(tried[k], m)
						if !p.Rules[ri].Match(v, m) {
							continue
						}
						u := uses[k]
						if u == nil {
							u = &use{p: pi, r: ri}
							uses[k] = u
							order = append(order, k)
						}
						u.nodes = append(u.nodes, m)
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
		// warm: the caches built on first use are not charged to one check
		for k, nodes := range tried {
			for _, m := range nodes {
				if s.Patterns[k[0]].Rules[k[1]].Match(v, m) {
					for _, c := range s.Patterns[k[0]].Rules[k[1]].Checks {
						c.Test(v, m)
					}
				}
			}
		}
		for k, nodes := range tried {
			r := &s.Patterns[k[0]].Rules[k[1]]
			t1 := now()
			for range reps {
				for _, m := range nodes {
					r.Match(v, m)
				}
			}
			cost["context "+s.Patterns[k[0]].ID+"/"+r.Context] += now() - t1
		}
		for _, k := range order {
			u := uses[k]
			for _, c := range s.Patterns[u.p].Rules[u.r].Checks {
				t2 := now()
				for range reps {
					for _, m := range u.nodes {
						c.Test(v, m)
					}
				}
				cost[c.ID] += now() - t2
			}
		}
	}
	type kv struct {
		k string
		v time.Duration
	}
	var all []kv
	var total, contexts time.Duration
	for k, v := range cost {
		all = append(all, kv{k, v})
		total += v
		if strings.HasPrefix(k, "context ") {
			contexts += v
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v })
	t.Logf("parse %v, contexts+checks %v (thread CPU time, %d runs; contexts %v)", parse, total, reps, contexts)
	for i := 0; i < 25 && i < len(all); i++ {
		t.Logf("%8v %5.1f%%  %s", all[i].v.Round(time.Microsecond), 100*float64(all[i].v)/float64(total), all[i].k)
	}
}
