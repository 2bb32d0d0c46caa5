package validate

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformanceEN checks the EN 16931 profile against the CEN unit tests'
// own expectations (expected-rules.tsv rows with scoped=1): success = the
// rule did not fire, error = it fired as fatal, warning = it fired as a
// warning. It reports the agreement and fails only below the floor.
func TestConformanceEN(t *testing.T) {
	val := filepath.Join(sharedDir, "validation")
	docs := loadReference(t) // skips without ../shared
	paths := map[string]string{}
	for _, d := range docs {
		paths[d.file] = d.path
	}
	f, err := os.Open(filepath.Join(val, "expected-rules.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cache := map[string]map[string]string{} // file -> id -> flag fired
	var n, ok int
	bad := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 8 || c[6] != "1" || strings.HasPrefix(c[0], "#") {
			continue
		}
		fired, seen := cache[c[0]]
		if !seen {
			fired = map[string]string{}
			if data, err := os.ReadFile(paths[c[0]]); err == nil {
				fs, _ := Schematron(data, ProfileEN)
				for _, x := range fs {
					fired[x.ID] = x.Flag
				}
			}
			cache[c[0]] = fired
		}
		n++
		flag, did := fired[c[3]]
		switch {
		case c[7] == "success" && !did, c[7] == "error" && did && flag == "fatal", c[7] == "warning" && did && flag == "warning":
			ok++
		default:
			bad[c[3]+"/"+c[7]]++
		}
	}
	t.Logf("EN 16931 1.3.16 profile: %d/%d scoped unit-test expectations met", ok, n)
	t.Logf("top unmet: %s", top(bad, 15))
	if ok < minScopedEN {
		t.Errorf("regression: %d expectations met (floor %d)", ok, minScopedEN)
	}
}

const minScopedEN = 1131 // all, today
