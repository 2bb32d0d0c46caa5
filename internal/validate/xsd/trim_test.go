package xsd

import (
	"strings"
	"testing"
)

// TestTrimSpace: trimSpace is strings.Trim with XML's white space.
func TestTrimSpace(t *testing.T) {
	for _, s := range []string{"", " ", "a", " a ", "\t\r\n a b \n", "\u00a0a\u00a0", "a\v", "  \r\n", "x\n\ny"} {
		if got, want := trimSpace(s), strings.Trim(s, " \t\r\n"); got != want {
			t.Errorf("%q: %q, want %q", s, got, want)
		}
	}
}
