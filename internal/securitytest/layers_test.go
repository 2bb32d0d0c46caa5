package securitytest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDoorsDoNotReachTheStore: the pages and the API call use cases; the
// depguard rule of `make verify` keeps them from importing the store, and
// this test keeps them from reaching it through a field either (any
// selector named Store in their production code, e.g. a.gw().Store).
func TestDoorsDoNotReachTheStore(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"../web", "../api"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, f, src, 0)
			require.NoError(t, err)
			ast.Inspect(file, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Store" {
					t.Errorf("%s: %s reaches a Store: call a gateway use case instead", fset.Position(sel.Pos()), f)
				}
				return true
			})
		}
	}
}
