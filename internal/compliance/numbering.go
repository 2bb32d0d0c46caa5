package compliance

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Caps of a numbering report.
const (
	// DefaultMaxRanges is how many missing ranges a series lists at most;
	// MissingCount still counts every missing number.
	DefaultMaxRanges = 50
	// DefaultMaxUnmatched is how many invoices whose number does not
	// follow the pattern are listed at most; UnmatchedCount counts all.
	DefaultMaxUnmatched = 100
)

// NumberingOptions are the period and the caps of CheckNumbering.
type NumberingOptions struct {
	From, To     time.Time // first and last issue day checked; zero: open
	MaxRanges    int       // 0: DefaultMaxRanges
	MaxUnmatched int       // 0: DefaultMaxUnmatched
}

// Range is a run of missing numbers, Lo to Hi, written as the series
// writes its numbers (First, Last).
type Range struct {
	Lo, Hi      uint64
	First, Last string
}

// Count is how many numbers the range holds.
func (r Range) Count() uint64 { return r.Hi - r.Lo + 1 }

// SeriesReport is one run of one numbering series: its numbers in the
// period, from the lowest to the highest, and what is missing between
// them. A series whose numbers restart in a new year gives one run per
// year; one that carries on across years, one run.
type SeriesReport struct {
	SellerCIF        string
	Series           Series
	FromYear, ToYear int     // issue years the run covers
	Count            int     // invoices in the run
	First, Last      string  // lowest and highest number, as written
	Missing          []Range // at most MaxRanges, lowest first
	MissingCount     uint64  // every missing number
	MissingTruncated bool    // Missing lists fewer ranges than there are
}

// Repeat is one number of a series used by more than one invoice
// identity (the same number on two issue dates, say).
type Repeat struct {
	SellerCIF string
	Series    Series
	Value     uint64
	Invoices  []Invoice // two or more, by issue date
}

// NumberingReport is the numbering check of a set of sent invoices.
type NumberingReport struct {
	Checked        int // invoices checked (in the period)
	Series         []SeriesReport
	Repeats        []Repeat
	Unmatched      []Invoice // numbers that do not follow the pattern, at most MaxUnmatched
	UnmatchedCount int
}

// MissingCount is how many numbers are missing across all series.
func (r *NumberingReport) MissingCount() uint64 {
	var n uint64
	for _, s := range r.Series {
		n += s.MissingCount
	}
	return n
}

type numbered struct {
	inv   Invoice
	value uint64
	span  [2]int
	year  int
}

type seriesKey struct {
	seller string
	series Series
}

// CheckNumbering groups the invoices issued in the period by seller and
// series (pattern p) and reports, per series, the missing numbers between
// the lowest and the highest, the numbers used twice, and the invoices
// whose number does not follow the pattern. Invoices must be distinct
// identities (ANAF's re-publications left out by the caller); a repeated
// identity is counted once. Refused invoices are left out: ANAF does not
// hold their number, so it is missing.
//
// Yearly restarts: when the numbers of a year start at or below the
// highest number of the previous year, the series restarted and each
// year is its own run (not a gap, not repeats); the restarted run is
// missing the numbers from 1 to its lowest. Numbers compare by value:
// "A0034" and "A34" are the same number of series "A".
func CheckNumbering(invs []Invoice, p *Pattern, o NumberingOptions) NumberingReport {
	if o.MaxRanges <= 0 {
		o.MaxRanges = DefaultMaxRanges
	}
	if o.MaxUnmatched <= 0 {
		o.MaxUnmatched = DefaultMaxUnmatched
	}
	var r NumberingReport
	groups := map[seriesKey][]numbered{}
	seen := map[string]bool{}
	for _, inv := range invs {
		if inv.Refused || !o.From.IsZero() && inv.IssueDate.Before(o.From) || !o.To.IsZero() && inv.IssueDate.After(o.To) {
			continue
		}
		id := inv.SellerCIF + "\x00" + inv.Number + "\x00" + inv.IssueDate.Format(time.DateOnly)
		if seen[id] {
			continue
		}
		seen[id] = true
		r.Checked++
		s, v, span, ok := p.Split(inv.Number)
		if !ok {
			r.UnmatchedCount++
			if len(r.Unmatched) < o.MaxUnmatched {
				r.Unmatched = append(r.Unmatched, inv)
			}
			continue
		}
		k := seriesKey{inv.SellerCIF, s}
		groups[k] = append(groups[k], numbered{inv: inv, value: v, span: span, year: inv.IssueDate.Year()})
	}
	keys := make([]seriesKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b seriesKey) int {
		return cmp.Or(strings.Compare(a.seller, b.seller), strings.Compare(a.series.Prefix, b.series.Prefix),
			strings.Compare(a.series.Suffix, b.series.Suffix))
	})
	for _, k := range keys {
		for _, run := range runs(groups[k]) {
			sr, reps := checkRun(k, run.items, run.restarted, o.MaxRanges)
			r.Series = append(r.Series, sr)
			r.Repeats = append(r.Repeats, reps...)
		}
	}
	return r
}

type run struct {
	items     []numbered
	restarted bool // begins where the series restarted its numbers
}

// runs splits a series into runs at each year whose lowest number is not
// above the previous year's highest (a yearly restart).
func runs(items []numbered) []run {
	slices.SortFunc(items, func(a, b numbered) int {
		return cmp.Or(cmp.Compare(a.year, b.year), cmp.Compare(a.value, b.value), a.inv.IssueDate.Compare(b.inv.IssueDate),
			strings.Compare(a.inv.Number, b.inv.Number))
	})
	var out []run
	start := 0
	var prevMax uint64
	for i := 0; i < len(items); {
		j := i
		for j < len(items) && items[j].year == items[i].year {
			j++
		}
		// items[i:j] is one year, lowest number first.
		if i > 0 && items[i].value <= prevMax {
			out = append(out, run{items: items[start:i], restarted: start > 0})
			start = i
		}
		prevMax = items[j-1].value
		i = j
	}
	return append(out, run{items: items[start:], restarted: start > 0})
}

func checkRun(k seriesKey, items []numbered, restarted bool, maxRanges int) (SeriesReport, []Repeat) {
	byValue := slices.Clone(items)
	slices.SortStableFunc(byValue, func(a, b numbered) int {
		return cmp.Or(cmp.Compare(a.value, b.value), a.inv.IssueDate.Compare(b.inv.IssueDate))
	})
	sr := SeriesReport{
		SellerCIF: k.seller, Series: k.series, Count: len(items),
		FromYear: items[0].year, ToYear: items[len(items)-1].year,
		First: byValue[0].inv.Number, Last: byValue[len(byValue)-1].inv.Number,
	}
	add := func(lo, hi uint64, near numbered) {
		sr.MissingCount += hi - lo + 1
		if len(sr.Missing) >= maxRanges {
			sr.MissingTruncated = true
			return
		}
		sr.Missing = append(sr.Missing, Range{Lo: lo, Hi: hi, First: writeLike(near, lo), Last: writeLike(near, hi)})
	}
	if first := byValue[0]; restarted && first.value > 1 {
		add(1, first.value-1, first)
	}
	var reps []Repeat
	for i := 0; i < len(byValue); {
		j := i + 1
		for j < len(byValue) && byValue[j].value == byValue[i].value {
			j++
		}
		if j-i > 1 {
			rep := Repeat{SellerCIF: k.seller, Series: k.series, Value: byValue[i].value}
			for _, it := range byValue[i:j] {
				rep.Invoices = append(rep.Invoices, it.inv)
			}
			reps = append(reps, rep)
		}
		if j < len(byValue) && byValue[j].value > byValue[i].value+1 {
			add(byValue[i].value+1, byValue[j].value-1, byValue[i])
		}
		i = j
	}
	return sr, reps
}

// writeLike writes number v the way near's number is written: the same
// text around it, and zero-padded to its width when near's digits are.
func writeLike(near numbered, v uint64) string {
	s, a, b := near.inv.Number, near.span[0], near.span[1]
	digits := strconv.FormatUint(v, 10)
	if b-a > 1 && s[a] == '0' && len(digits) < b-a {
		digits = strings.Repeat("0", b-a-len(digits)) + digits
	}
	return s[:a] + digits + s[b:]
}
