// Package compliance checks a company's sent invoices against what the law
// asks of them: each sent within its legal deadline (internal/deadline),
// and each numbering series without gaps or repeats. Pure logic: the
// caller (internal/gateway) loads the invoices; nothing here touches a
// database, a clock or the network.
package compliance

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// MaxPatternLen is the longest numbering pattern a company may set, in
// characters.
const MaxPatternLen = 200

// MaxNumberDigits is the longest number part that is read as a number;
// a longer run of digits does not follow the pattern.
const MaxNumberDigits = 18

// DefaultPattern splits an invoice number at its last run of digits: the
// text before it (and after it) names the series, the digits are the
// number. "FCT-2026-000123" → series "FCT-2026-", number 123;
// "A12B0034" → series "A12B", number 34; "123/A" → series "…/A", number
// 123.
const DefaultPattern = `^(?P<prefix>.*?)(?P<number>[0-9]+)(?P<suffix>[^0-9]*)$`

// The group names a pattern may use: "number" (required) and "series"
// (optional: when present, it alone names the series; otherwise the text
// around the number does).
const (
	GroupNumber = "number"
	GroupSeries = "series"
)

// Refusals of a pattern; the gateway maps them to field errors.
var (
	ErrPatternLong     = fmt.Errorf("compliance: the pattern has more than %d characters", MaxPatternLen)
	ErrPatternSyntax   = errors.New("compliance: the pattern is not a valid regular expression")
	ErrPatternNoNumber = errors.New("compliance: the pattern has no (?P<number>…) group")
	ErrPatternEncoding = errors.New("compliance: the pattern is not valid UTF-8")
	ErrPatternTwice    = errors.New("compliance: the pattern names the number or series group twice")
)

// Pattern is a compiled numbering pattern: Go's RE2 syntax, so matching
// time is linear in the input (no catastrophic backtracking whatever a
// user writes), with a named group "number".
type Pattern struct {
	re        *regexp.Regexp
	src       string
	numIdx    int
	seriesIdx int // -1 without a series group
}

// ParsePattern checks and compiles a numbering pattern; "" is
// DefaultPattern.
func ParsePattern(src string) (*Pattern, error) {
	if src == "" {
		src = DefaultPattern
	}
	if !utf8.ValidString(src) {
		return nil, ErrPatternEncoding
	}
	if utf8.RuneCountInString(src) > MaxPatternLen {
		return nil, ErrPatternLong
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrPatternSyntax, simplifySyntaxError(err))
	}
	p := &Pattern{re: re, src: src, numIdx: re.SubexpIndex(GroupNumber), seriesIdx: re.SubexpIndex(GroupSeries)}
	if p.numIdx < 0 {
		return nil, ErrPatternNoNumber
	}
	seen := map[string]bool{}
	for _, name := range re.SubexpNames() {
		if (name == GroupNumber || name == GroupSeries) && seen[name] {
			return nil, ErrPatternTwice
		}
		seen[name] = true
	}
	return p, nil
}

// simplifySyntaxError keeps the reason of a regexp error, without the
// "error parsing regexp: " prefix.
func simplifySyntaxError(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return se.Code.String()
	}
	return err.Error()
}

// String is the pattern's source.
func (p *Pattern) String() string { return p.src }

// Default reports whether p is DefaultPattern.
func (p *Pattern) Default() bool { return p.src == DefaultPattern }

// Split reads an invoice number: its series, its number's value, and
// where the number's digits sit in the text (so a missing neighbour can be
// written the same way). ok is false when the number does not follow the
// pattern: no match, a number group that is empty, not all ASCII digits,
// or longer than MaxNumberDigits.
func (p *Pattern) Split(number string) (s Series, n uint64, span [2]int, ok bool) {
	if p.src == DefaultPattern {
		return splitDefault(number)
	}
	return p.splitRE(number)
}

// splitDefault is DefaultPattern without the regular expression engine:
// the last run of ASCII digits (FuzzPattern checks that both agree).
func splitDefault(number string) (s Series, n uint64, span [2]int, ok bool) {
	b := len(number)
	for b > 0 && (number[b-1] < '0' || number[b-1] > '9') {
		b--
	}
	a := b
	for a > 0 && number[a-1] >= '0' && number[a-1] <= '9' {
		a--
	}
	// The pattern's `.*?` prefix stops at a line break (the regexp's
	// `.` excludes \n): a prefix with one does not follow it.
	if a == b || b-a > MaxNumberDigits || strings.IndexByte(number[:a], '\n') >= 0 {
		return Series{}, 0, span, false
	}
	for i := a; i < b; i++ {
		n = n*10 + uint64(number[i]-'0')
	}
	return Series{Prefix: number[:a], Suffix: number[b:]}, n, [2]int{a, b}, true
}

func (p *Pattern) splitRE(number string) (s Series, n uint64, span [2]int, ok bool) {
	m := p.re.FindStringSubmatchIndex(number)
	if m == nil {
		return Series{}, 0, span, false
	}
	a, b := m[2*p.numIdx], m[2*p.numIdx+1]
	if a < 0 || b <= a || b-a > MaxNumberDigits {
		return Series{}, 0, span, false
	}
	for i := a; i < b; i++ {
		c := number[i]
		if c < '0' || c > '9' {
			return Series{}, 0, span, false
		}
		n = n*10 + uint64(c-'0')
	}
	if p.seriesIdx >= 0 {
		if sa, sb := m[2*p.seriesIdx], m[2*p.seriesIdx+1]; sa >= 0 {
			s = Series{Prefix: number[sa:sb]}
		}
	} else {
		s = Series{Prefix: number[:a], Suffix: number[b:]}
	}
	return s, n, [2]int{a, b}, true
}

// Series names a numbering series: the text before and after the number
// (or, with a "series" group, that group's text as Prefix).
type Series struct {
	Prefix string
	Suffix string
}

// Label is how a series is written for people: "FCT-2026-", "…/A"
// (a suffix after the number), "" for bare numbers.
func (s Series) Label() string {
	if s.Suffix == "" {
		return s.Prefix
	}
	return s.Prefix + "…" + s.Suffix
}
