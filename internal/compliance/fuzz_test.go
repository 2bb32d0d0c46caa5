package compliance

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzPattern: whatever a user types as a numbering pattern, and whatever
// an invoice number holds, parsing and splitting never panic, a longer
// pattern than MaxPatternLen is refused, an accepted one has the number
// group, and a split number's digits are where Split says they are.
func FuzzPattern(f *testing.F) {
	for _, s := range []string{"", DefaultPattern, `^FCT (?P<number>\d+)/\d{4}$`, `(?P<series>.*)(?P<number>\d*)`,
		`(?P<number>(a|aa)*)`, `((((((((((x))))))))))(?P<number>\d+)`, `(?P<number>\d{1000})`, `[`, `(?P<number>`, "\xff"} {
		f.Add(s, "FCT-2026-000123")
	}
	f.Add(`(?P<number>.*)`, "99999999999999999999")
	f.Fuzz(func(t *testing.T, src, number string) {
		p, err := ParsePattern(src)
		if err != nil {
			return
		}
		if src != "" && utf8.RuneCountInString(src) > MaxPatternLen {
			t.Fatalf("accepted a pattern of %d characters", utf8.RuneCountInString(src))
		}
		if p.re.SubexpIndex(GroupNumber) < 0 {
			t.Fatal("accepted a pattern without the number group")
		}
		if p.Default() {
			// The fast path and the regular expression agree.
			s1, v1, sp1, ok1 := p.Split(number)
			s2, v2, sp2, ok2 := p.splitRE(number)
			if ok1 != ok2 || ok1 && (s1 != s2 || v1 != v2 || sp1 != sp2) {
				t.Fatalf("default split of %q: fast %v %d %v %v, regexp %v %d %v %v", number, s1, v1, sp1, ok1, s2, v2, sp2, ok2)
			}
		}
		s, v, span, ok := p.Split(number)
		if !ok {
			return
		}
		digits := number[span[0]:span[1]]
		if len(digits) == 0 || len(digits) > MaxNumberDigits || strings.TrimLeft(digits, "0123456789") != "" {
			t.Fatalf("Split(%q) took %q as the number", number, digits)
		}
		_ = s.Label()
		near := numbered{inv: Invoice{Number: number}, value: v, span: span}
		if got := writeLike(near, v); got != number && strings.TrimLeft(digits, "0") == digits {
			t.Fatalf("writeLike(%q, %d) = %q", number, v, got)
		}
		CheckNumbering([]Invoice{{Number: number, IssueDate: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)}}, p, NumberingOptions{})
	})
}
