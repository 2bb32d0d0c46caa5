package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestConcurrentUse: Schematron may run on several documents at once (the
// compiled schema, its constants and the name table are read-only).
func TestConcurrentUse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedDir, "corpus", "ciusro", "*.xml"))
	if len(files) == 0 {
		t.Skip("corpus absent")
	}
	if len(files) > 6 {
		files = files[:6]
	}
	want := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fs, _ := Schematron(data, ProfileRO)
		want[f] = fmt.Sprint(fs)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, f := range files {
				data, _ := os.ReadFile(f)
				fs, _ := Schematron(data, ProfileRO)
				if got := fmt.Sprint(fs); got != want[f] {
					t.Errorf("%s: concurrent result differs", f)
				}
			}
		}()
	}
	wg.Wait()
}
