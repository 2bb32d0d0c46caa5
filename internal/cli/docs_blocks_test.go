package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEveryDocBlockIsRun (issue 18: the docs are followed literally by CI
// for every step it can run): every fenced block of docs/operations.md and
// docs/scaling.md follows a mark naming what runs it, and that runner
// knows it — `runbook: NAME` a runbook test reading the block by that
// name, `docs-check: NAME` deploy/docs-check.sh, `ci: NAME` .ci/run
// holding each of its lines, `smoke: NAME` deploy/smoke.sh running each of
// its deploy/ scripts. docs/operations.md §8 says where the rest runs.
func TestEveryDocBlockIsRun(t *testing.T) {
	t.Parallel()
	read := func(p string) string {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		return string(b)
	}
	tests := read("runbook_test.go") + read("runbook_install_test.go")
	docsCheck, ci, smoke := read("../../deploy/docs-check.sh"), read("../../.ci/run"), read("../../deploy/smoke.sh")
	ciLines := map[string]bool{}
	for _, l := range strings.Split(ci, "\n") {
		ciLines[strings.TrimSpace(l)] = true
	}
	mark := regexp.MustCompile(`^<!-- (runbook|docs-check|smoke|ci): ([a-z-]+) -->$`)
	blocks := 0
	for _, doc := range []string{"../../docs/operations.md", "../../docs/scaling.md"} {
		lines := strings.Split(read(doc), "\n")
		inside := false
		for i, l := range lines {
			if !strings.HasPrefix(strings.TrimSpace(l), "```") {
				continue
			}
			if inside {
				inside = false
				continue
			}
			inside = true
			blocks++
			require.Positive(t, i, doc)
			m := mark.FindStringSubmatch(strings.TrimSpace(lines[i-1]))
			require.Len(t, m, 3, "%s:%d: a block without a mark saying what runs it (see §8)", doc, i+1)
			var body []string
			for _, b := range lines[i+1:] {
				if strings.HasPrefix(strings.TrimSpace(b), "```") {
					break
				}
				body = append(body, strings.TrimSpace(b))
			}
			switch m[1] {
			case "runbook":
				require.True(t, strings.Contains(tests, `"`+m[2]+`"`), "%s:%d: no runbook test reads %q", doc, i+1, m[2])
			case "docs-check":
				require.True(t, strings.Contains(docsCheck, "docs-check: "+m[2]), "%s:%d: docs-check.sh does not run %q", doc, i+1, m[2])
			case "ci":
				for _, b := range body {
					require.True(t, b == "" || ciLines[b], "%s:%d: .ci/run does not run %q", doc, i+1, b)
				}
			case "smoke":
				for _, b := range body {
					if cmd, _, _ := strings.Cut(b, "#"); strings.HasPrefix(cmd, "deploy/") {
						require.True(t, strings.Contains(smoke, strings.TrimSpace(cmd)), "%s:%d: deploy/smoke.sh does not run %q", doc, i+1, cmd)
					}
				}
			}
		}
		require.False(t, inside, "%s: an unclosed block", doc)
	}
	require.GreaterOrEqual(t, blocks, 11)
}
