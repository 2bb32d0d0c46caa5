// Package deadline is the one calculator of the legal deadline for sending
// an invoice through RO e-Factura, used by uploads (the "late" mark) and by
// the compliance checks.
//
// The regime is chosen by the invoice's issue date (BT-2):
//
//   - issued up to 31.12.2025: 5 calendar days (OG 120/2021 as amended by
//     OUG 115/2023); counting starts the day after issue. A term that ends
//     on a non-working day ends on the next working day (Codul de
//     procedură fiscală, art. 181 alin. (4)).
//   - issued from 1.1.2026: 5 working days (OUG 89/2025), counted from the
//     day after issue.
//
// Non-working days are Saturdays, Sundays and the legal holidays of Codul
// muncii art. 139: 1–2 January, 6–7 January (from 2024), 24 January,
// Orthodox Good Friday, Easter Sunday and Monday, 1 May, 1 June, Orthodox
// Pentecost (Rusalii) Sunday and Monday, 15 August, 30 November,
// 1 December, 25–26 December.
//
// Dates are calendar dates: a time.Time whose year, month and day are read
// and whose clock and zone are ignored; results are at 00:00 UTC.
package deadline

import (
	"fmt"
	"time"

	"github.com/efactura-gateway/efactura/internal/tz"
)

// Regime is the legal rule an invoice falls under.
type Regime string

// The two regimes.
const (
	CalendarDays Regime = "5_calendar_days" // issued up to 31.12.2025
	WorkingDays  Regime = "5_working_days"  // issued from 1.1.2026
)

// Days is the length of the term in both regimes.
const Days = 5

var workingDaysFrom = date(2026, time.January, 1)

// Due returns the last day on which an invoice issued on issue is sent on
// time, and the regime that decided it.
func Due(issue time.Time) (time.Time, Regime) {
	issue = dateOf(issue)
	if issue.Before(workingDaysFrom) {
		d := issue.AddDate(0, 0, Days)
		for !IsWorkingDay(d) {
			d = d.AddDate(0, 0, 1)
		}
		return d, CalendarDays
	}
	d, n := issue, 0
	for n < Days {
		d = d.AddDate(0, 0, 1)
		if IsWorkingDay(d) {
			n++
		}
	}
	return d, WorkingDays
}

// Late reports whether an invoice issued on issue and sent at the instant
// sent (any zone; the day counts in Europe/Bucharest) was sent after its
// deadline.
func Late(issue time.Time, sent time.Time) bool {
	due, _ := Due(issue)
	s := sent.In(tz.Bucharest())
	return date(s.Year(), s.Month(), s.Day()).After(due)
}

// ParseDate reads a YYYY-MM-DD date (BT-2).
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("deadline: issue date %q is not YYYY-MM-DD", s)
	}
	return d, nil
}

// IsWorkingDay reports whether d is neither a Saturday, a Sunday nor a
// legal holiday.
func IsWorkingDay(d time.Time) bool {
	d = dateOf(d)
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !IsHoliday(d)
}

// IsHoliday reports whether d is a legal holiday (Codul muncii art. 139).
func IsHoliday(d time.Time) bool {
	d = dateOf(d)
	y, m, day := d.Date()
	switch {
	case m == time.January && (day == 1 || day == 2 || day == 24):
		return true
	case m == time.January && (day == 6 || day == 7) && y >= 2024:
		return true
	case m == time.May && day == 1, m == time.June && day == 1, m == time.August && day == 15,
		m == time.November && day == 30, m == time.December && (day == 1 || day == 25 || day == 26):
		return true
	}
	easter := OrthodoxEaster(y)
	for _, off := range []int{-2, 0, 1, 49, 50} { // Good Friday, Easter, Easter Monday, Rusalii Sunday and Monday
		if d.Equal(easter.AddDate(0, 0, off)) {
			return true
		}
	}
	return false
}

// OrthodoxEaster returns the date of Orthodox Easter Sunday in year y
// (Meeus' Julian algorithm, converted to the Gregorian calendar; valid for
// 1900–2099).
func OrthodoxEaster(y int) time.Time {
	a, b, c := y%4, y%7, y%19
	d := (19*c + 15) % 30
	e := (2*a + 4*b - d + 34) % 7
	month := (d + e + 114) / 31
	day := (d+e+114)%31 + 1
	return date(y, time.Month(month), day).AddDate(0, 0, 13) // Julian → Gregorian (1900–2099)
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func dateOf(t time.Time) time.Time { y, m, d := t.Date(); return date(y, m, d) }
