package compliance

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/efactura-gateway/efactura/internal/deadline"
)

func day(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// at is an instant given in Romanian local time.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	loc, _ := time.LoadLocation("Europe/Bucharest")
	d, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParsePattern(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want error
	}{
		{"", nil},
		{DefaultPattern, nil},
		{`^FCT (?P<number>\d+)/\d{4}$`, nil},
		{`^(?P<series>[A-Z]+)-\d{4}-(?P<number>\d+)$`, nil},
		{`^(\d+)$`, ErrPatternNoNumber},
		{`(?P<nr>\d+)`, ErrPatternNoNumber},
		{`(?P<number>\d+`, ErrPatternSyntax},
		{`(?P<number>\d+)(?P<number>x)`, ErrPatternTwice},
		{`(?P<number>a)\1`, ErrPatternSyntax}, // RE2 has no back-references
		{strings.Repeat("a", MaxPatternLen) + `(?P<number>\d+)`, ErrPatternLong},
		{"(?P<number>\\d+)\xff", ErrPatternEncoding},
	} {
		p, err := ParsePattern(tt.src)
		if !errors.Is(err, tt.want) {
			t.Errorf("ParsePattern(%q) = %v, want %v", tt.src, err, tt.want)
		}
		if err == nil && tt.src == "" && !p.Default() {
			t.Errorf("ParsePattern(\"\") is not the default")
		}
	}
}

func TestSplit(t *testing.T) {
	def, _ := ParsePattern("")
	yearSuffix, _ := ParsePattern(`^(?P<series>[A-Z]+) ?(?P<number>\d+)/\d{4}$`)
	for _, tt := range []struct {
		p      *Pattern
		in     string
		series string
		value  uint64
		ok     bool
	}{
		{def, "FCT-2026-000123", "FCT-2026-", 123, true},
		{def, "A12B0034", "A12B", 34, true},
		{def, "0007", "", 7, true},
		{def, "123/A", "…/A", 123, true},
		{def, "FCT 12/2026", "FCT 12/", 2026, true}, // the default reads the last digits: a custom pattern fixes it
		{yearSuffix, "FCT 12/2026", "FCT", 12, true},
		{yearSuffix, "FCT12/2025", "FCT", 12, true},
		{yearSuffix, "fct 12/2026", "", 0, false},
		{def, "FARA-NUMAR", "", 0, false},
		{def, "", "", 0, false},
		{def, "X" + strings.Repeat("9", MaxNumberDigits), "X", 999999999999999999, true},
		{def, "X" + strings.Repeat("9", MaxNumberDigits+1), "", 0, false}, // would overflow: not a number
		{def, "Ф-٣٤", "", 0, false},                                       // Arabic-Indic digits are not ASCII digits
	} {
		s, v, _, ok := tt.p.Split(tt.in)
		if ok != tt.ok || ok && (s.Label() != tt.series || v != tt.value) {
			t.Errorf("%s.Split(%q) = %q %d %v, want %q %d %v", tt.p, tt.in, s.Label(), v, ok, tt.series, tt.value, tt.ok)
		}
	}
}

func TestCheckDeadlines(t *testing.T) {
	today := at(t, "2026-03-20 10:00")
	for _, tt := range []struct {
		name, issue string
		sent        string // Bucharest local time; "" not sent
		status      DeadlineStatus
		days        int
		regime      deadline.Regime
	}{
		// Up to 31.12.2025: 5 calendar days from the day after issue.
		{"calendar on the last day", "2025-03-05", "2025-03-10 23:59", OnTime, 0, deadline.CalendarDays},
		{"calendar one day late", "2025-03-05", "2025-03-11 00:00", Late, 1, deadline.CalendarDays},
		{"calendar, deadline on a Saturday moves to Monday", "2025-03-03", "2025-03-10 12:00", OnTime, 0, deadline.CalendarDays},
		{"calendar, late by a week", "2025-03-06", "2025-03-18 09:00", Late, 7, deadline.CalendarDays},
		// The boundary: issued 31.12.2025 is the old regime, 1.1.2026 the new.
		{"31.12.2025 old regime", "2025-12-31", "2026-01-05 18:00", OnTime, 0, deadline.CalendarDays},
		{"31.12.2025 old regime late", "2025-12-31", "2026-01-06 08:00", Late, 1, deadline.CalendarDays},
		{"1.1.2026 new regime", "2026-01-01", "2026-01-13 18:00", OnTime, 0, deadline.WorkingDays},
		{"1.1.2026 new regime late", "2026-01-01", "2026-01-14 08:00", Late, 1, deadline.WorkingDays},
		// From 1.1.2026: 5 working days; weekends and holidays do not count.
		{"working days over a weekend", "2026-03-06", "2026-03-13 16:00", OnTime, 0, deadline.WorkingDays},
		{"working days, late over a weekend", "2026-03-06", "2026-03-16 09:00", Late, 3, deadline.WorkingDays},
		{"Easter holidays 2026", "2026-04-08", "2026-04-17 12:00", OnTime, 0, deadline.WorkingDays},
		{"Rusalii and 1 June 2026", "2026-05-27", "2026-06-04 12:00", OnTime, 0, deadline.WorkingDays},
		{"Rusalii and 1 June 2026, a day late", "2026-05-27", "2026-06-05 12:00", Late, 1, deadline.WorkingDays},
		// The day is Romania's: 23:30 UTC on the due day is already the next day in Bucharest.
		{"UTC evening is the next Bucharest day", "2026-03-02", "2026-03-10 01:30", Late, 1, deadline.WorkingDays},
		// Not accepted by ANAF.
		{"not sent, overdue", "2026-03-02", "", Overdue, 11, deadline.WorkingDays},
		{"not sent, still in time", "2026-03-18", "", Open, 0, deadline.WorkingDays},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv := Invoice{InvoiceID: 1, SellerCIF: "123", Number: "F1", IssueDate: day(t, tt.issue)}
			if tt.sent != "" {
				inv.Submitted = at(t, tt.sent).UTC()
			}
			r := CheckDeadlines([]Invoice{inv}, today)
			var row *DeadlineRow
			switch tt.status {
			case Late:
				if len(r.Late) == 1 {
					row = &r.Late[0]
				}
			case Overdue:
				if len(r.Overdue) == 1 {
					row = &r.Overdue[0]
				}
			case OnTime:
				if r.OnTime != 1 {
					t.Fatalf("report %+v, want on time", r)
				}
				return
			case Open:
				if r.Open != 1 {
					t.Fatalf("report %+v, want open", r)
				}
				return
			}
			if row == nil {
				t.Fatalf("report %+v, want one %s row", r, tt.status)
			}
			if row.DaysLate != tt.days || row.Regime != tt.regime || row.Status != tt.status {
				t.Errorf("row %+v, want %d days %s %s", *row, tt.days, tt.regime, tt.status)
			}
		})
	}
}

func TestCheckDeadlinesOrder(t *testing.T) {
	invs := []Invoice{
		{InvoiceID: 1, Number: "1", IssueDate: day(t, "2026-03-02"), Submitted: at(t, "2026-03-11 10:00")}, // 2 days
		{InvoiceID: 2, Number: "2", IssueDate: day(t, "2026-03-02"), Submitted: at(t, "2026-03-19 10:00")}, // 10 days
		{InvoiceID: 3, Number: "3"}, // no issue date: not checked
	}
	r := CheckDeadlines(invs, at(t, "2026-04-01 10:00"))
	if r.Checked != 2 || len(r.Late) != 2 || r.Late[0].InvoiceID != 2 || r.Late[0].DaysLate != 10 {
		t.Fatalf("report %+v", r)
	}
}

// inv makes a sent invoice of seller 123 numbered num issued on date.
func inv(t *testing.T, id int64, num, date string) Invoice {
	return Invoice{InvoiceID: id, SellerCIF: "123", Number: num, IssueDate: day(t, date)}
}

// describe writes a report compactly: "series[years] count first..last missing(ranges) N" per run.
func describe(r NumberingReport) string {
	var b strings.Builder
	for _, s := range r.Series {
		fmt.Fprintf(&b, "%s|%s[%d-%d] %d %s..%s", s.SellerCIF, s.Series.Label(), s.FromYear, s.ToYear, s.Count, s.First, s.Last)
		if s.MissingCount > 0 {
			var rs []string
			for _, m := range s.Missing {
				if m.Lo == m.Hi {
					rs = append(rs, m.First)
				} else {
					rs = append(rs, m.First+"-"+m.Last)
				}
			}
			fmt.Fprintf(&b, " missing %d (%s)", s.MissingCount, strings.Join(rs, ","))
			if s.MissingTruncated {
				b.WriteString(" truncated")
			}
		}
		b.WriteString("; ")
	}
	for _, rep := range r.Repeats {
		var ids []string
		for _, i := range rep.Invoices {
			ids = append(ids, fmt.Sprint(i.InvoiceID))
		}
		fmt.Fprintf(&b, "repeat %s%d [%s]; ", rep.Series.Label(), rep.Value, strings.Join(ids, ","))
	}
	if r.UnmatchedCount > 0 {
		fmt.Fprintf(&b, "unmatched %d; ", r.UnmatchedCount)
	}
	return strings.TrimSuffix(b.String(), "; ")
}

func TestCheckNumbering(t *testing.T) {
	def, _ := ParsePattern("")
	yearSuffix, _ := ParsePattern(`^(?P<series>[A-Z]+) ?(?P<number>\d+)/\d{4}$`)
	for _, tt := range []struct {
		name string
		p    *Pattern
		invs []Invoice
		o    NumberingOptions
		want string
	}{
		{"contiguous", def, []Invoice{
			inv(t, 1, "FCT-2026-000001", "2026-01-05"), inv(t, 2, "FCT-2026-000002", "2026-01-06"), inv(t, 3, "FCT-2026-000003", "2026-01-07"),
		}, NumberingOptions{}, "123|FCT-2026-[2026-2026] 3 FCT-2026-000001..FCT-2026-000003"},
		{"gaps keep leading zeros", def, []Invoice{
			inv(t, 1, "FCT-2026-000120", "2026-01-05"), inv(t, 2, "FCT-2026-000123", "2026-01-06"), inv(t, 3, "FCT-2026-000125", "2026-01-07"),
		}, NumberingOptions{}, "123|FCT-2026-[2026-2026] 3 FCT-2026-000120..FCT-2026-000125 missing 3 (FCT-2026-000121-FCT-2026-000122,FCT-2026-000124)"},
		{"leading zeros across a width: 0099 then 0101", def, []Invoice{
			inv(t, 1, "A0099", "2026-01-05"), inv(t, 2, "A0101", "2026-01-06"),
		}, NumberingOptions{}, "123|A[2026-2026] 2 A0099..A0101 missing 1 (A0100)"},
		{"no leading zeros: 9 then 11", def, []Invoice{
			inv(t, 1, "B9", "2026-01-05"), inv(t, 2, "B11", "2026-01-06"),
		}, NumberingOptions{}, "123|B[2026-2026] 2 B9..B11 missing 1 (B10)"},
		{"digits inside the prefix", def, []Invoice{
			inv(t, 1, "A12B0034", "2026-01-05"), inv(t, 2, "A12B0036", "2026-01-06"), inv(t, 3, "A13B0035", "2026-01-07"),
		}, NumberingOptions{}, "123|A12B[2026-2026] 2 A12B0034..A12B0036 missing 1 (A12B0035); 123|A13B[2026-2026] 1 A13B0035..A13B0035"},
		{"mixed series are checked apart", def, []Invoice{
			inv(t, 1, "FA1", "2026-01-05"), inv(t, 2, "NC1", "2026-01-05"), inv(t, 3, "FA2", "2026-01-06"), inv(t, 4, "NC3", "2026-01-07"), inv(t, 5, "FA3", "2026-01-07"),
		}, NumberingOptions{}, "123|FA[2026-2026] 3 FA1..FA3; 123|NC[2026-2026] 2 NC1..NC3 missing 1 (NC2)"},
		{"two sellers (self-billing) are apart", def, []Invoice{
			inv(t, 1, "F1", "2026-01-05"), {InvoiceID: 2, SellerCIF: "999", Number: "F5", IssueDate: day(t, "2026-01-05")}, inv(t, 3, "F2", "2026-01-06"),
		}, NumberingOptions{}, "123|F[2026-2026] 2 F1..F2; 999|F[2026-2026] 1 F5..F5"},
		{"yearly restart is not a gap", def, []Invoice{
			inv(t, 1, "F0099", "2025-12-29"), inv(t, 2, "F0100", "2025-12-30"), inv(t, 3, "F0001", "2026-01-05"), inv(t, 4, "F0002", "2026-01-06"),
		}, NumberingOptions{}, "123|F[2025-2025] 2 F0099..F0100; 123|F[2026-2026] 2 F0001..F0002"},
		{"yearly restart missing its first numbers", def, []Invoice{
			inv(t, 1, "F0100", "2025-12-30"), inv(t, 2, "F0003", "2026-01-05"), inv(t, 3, "F0004", "2026-01-06"),
		}, NumberingOptions{}, "123|F[2025-2025] 1 F0100..F0100; 123|F[2026-2026] 2 F0003..F0004 missing 2 (F0001-F0002)"},
		{"yearly restart: the same number in two years is no repeat", def, []Invoice{
			inv(t, 1, "F1", "2025-06-01"), inv(t, 2, "F2", "2025-07-01"), inv(t, 3, "F1", "2026-01-05"), inv(t, 4, "F2", "2026-02-01"),
		}, NumberingOptions{}, "123|F[2025-2025] 2 F1..F2; 123|F[2026-2026] 2 F1..F2"},
		{"numbering carried over the year, with a gap at the turn", def, []Invoice{
			inv(t, 1, "F100", "2025-12-30"), inv(t, 2, "F101", "2025-12-31"), inv(t, 3, "F103", "2026-01-05"),
		}, NumberingOptions{}, "123|F[2025-2026] 3 F100..F103 missing 1 (F102)"},
		{"year in the prefix: each year its own series", def, []Invoice{
			inv(t, 1, "FCT-2025-0500", "2025-12-30"), inv(t, 2, "FCT-2026-0001", "2026-01-05"), inv(t, 3, "FCT-2026-0002", "2026-01-05"),
		}, NumberingOptions{}, "123|FCT-2025-[2025-2025] 1 FCT-2025-0500..FCT-2025-0500; 123|FCT-2026-[2026-2026] 2 FCT-2026-0001..FCT-2026-0002"},
		{"repeat: same number, two issue dates", def, []Invoice{
			inv(t, 1, "F1", "2026-01-05"), inv(t, 2, "F2", "2026-01-06"), inv(t, 3, "F2", "2026-01-07"), inv(t, 4, "F3", "2026-01-08"),
		}, NumberingOptions{}, "123|F[2026-2026] 4 F1..F3; repeat F2 [2,3]"},
		{"repeat by value: A0034 and A34", def, []Invoice{
			inv(t, 1, "A0034", "2026-01-05"), inv(t, 2, "A34", "2026-01-06"),
		}, NumberingOptions{}, "123|A[2026-2026] 2 A0034..A34; repeat A34 [1,2]"},
		{"one identity given twice counts once", def, []Invoice{
			inv(t, 1, "F1", "2026-01-05"), {InvoiceID: 0, UploadID: 7, SellerCIF: "123", Number: "F1", IssueDate: day(t, "2026-01-05")},
		}, NumberingOptions{}, "123|F[2026-2026] 1 F1..F1"},
		{"a number ANAF refused is missing", def, []Invoice{
			inv(t, 1, "F1", "2026-01-05"), {UploadID: 9, SellerCIF: "123", Number: "F2", IssueDate: day(t, "2026-01-06"), Refused: true}, inv(t, 3, "F3", "2026-01-07"),
		}, NumberingOptions{}, "123|F[2026-2026] 2 F1..F3 missing 1 (F2)"},
		{"numbers not following the pattern", def, []Invoice{
			inv(t, 1, "F1", "2026-01-05"), inv(t, 2, "FARA NUMAR", "2026-01-06"), inv(t, 3, "F2", "2026-01-06"),
		}, NumberingOptions{}, "123|F[2026-2026] 2 F1..F2; unmatched 1"},
		{"custom pattern with a year suffix", yearSuffix, []Invoice{
			inv(t, 1, "FCT 1/2026", "2026-01-05"), inv(t, 2, "FCT 2/2026", "2026-01-06"), inv(t, 3, "FCT 4/2026", "2026-01-07"), inv(t, 4, "12-X", "2026-01-07"),
		}, NumberingOptions{}, "123|FCT[2026-2026] 3 FCT 1/2026..FCT 4/2026 missing 1 (FCT 3/2026); unmatched 1"},
		{"the period limits what is checked", def, []Invoice{
			inv(t, 1, "F1", "2026-01-05"), inv(t, 2, "F5", "2026-02-05"), inv(t, 3, "F7", "2026-02-06"), inv(t, 4, "F20", "2026-03-01"),
		}, NumberingOptions{From: day(t, "2026-02-01"), To: day(t, "2026-02-28")}, "123|F[2026-2026] 2 F5..F7 missing 1 (F6)"},
		{"a huge gap is one range, counted", def, []Invoice{
			inv(t, 1, "F1", "2026-01-05"), inv(t, 2, "F1000000", "2026-01-06"),
		}, NumberingOptions{}, "123|F[2026-2026] 2 F1..F1000000 missing 999998 (F2-F999999)"},
		{"ranges are capped, the count is not", def, []Invoice{
			inv(t, 1, "F1", "2026-01-05"), inv(t, 2, "F3", "2026-01-05"), inv(t, 3, "F5", "2026-01-05"), inv(t, 4, "F7", "2026-01-05"),
		}, NumberingOptions{MaxRanges: 2}, "123|F[2026-2026] 4 F1..F7 missing 3 (F2,F4) truncated"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(CheckNumbering(tt.invs, tt.p, tt.o)); got != tt.want {
				t.Errorf("got\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
}

func TestUnmatchedCap(t *testing.T) {
	def, _ := ParsePattern("")
	var invs []Invoice
	for i := range 150 {
		invs = append(invs, inv(t, int64(i+1), fmt.Sprintf("NR-%c", 'A'+i%26)+strings.Repeat("X", i), "2026-01-05"))
	}
	r := CheckNumbering(invs, def, NumberingOptions{})
	if r.UnmatchedCount != 150 || len(r.Unmatched) != DefaultMaxUnmatched || r.Checked != 150 {
		t.Fatalf("unmatched %d listed %d checked %d", r.UnmatchedCount, len(r.Unmatched), r.Checked)
	}
}

func TestMerge(t *testing.T) {
	d := day(t, "2026-03-02")
	sync := at(t, "2026-03-05 10:05")
	up := at(t, "2026-03-05 10:00")
	got := Merge([]Invoice{
		{InvoiceID: 10, SellerCIF: "1", Number: "F1", IssueDate: d, Submitted: sync}, // seen through sync
		{UploadID: 3, SellerCIF: "1", Number: "F1", IssueDate: d, Refused: true},     // an upload ANAF refused
		{UploadID: 4, InvoiceID: 10, SellerCIF: "1", Number: "F1", IssueDate: d, Submitted: up},
		{UploadID: 5, SellerCIF: "1", Number: "F2", IssueDate: d, Refused: true}, // only refused
		{InvoiceID: 11, SellerCIF: "2", Number: "F1", IssueDate: d, Submitted: sync},
	})
	if len(got) != 3 {
		t.Fatalf("merged %d identities, want 3: %+v", len(got), got)
	}
	if g := got[0]; g.InvoiceID != 10 || g.UploadID != 4 || !g.Submitted.Equal(up) || g.Refused {
		t.Errorf("F1 merged as %+v", g)
	}
	if g := got[1]; g.UploadID != 5 || !g.Submitted.IsZero() || !g.Refused {
		t.Errorf("F2 merged as %+v", g)
	}
}
