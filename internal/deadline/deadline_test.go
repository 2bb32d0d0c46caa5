package deadline

import (
	"testing"
	"time"
)

func TestOrthodoxEaster(t *testing.T) {
	for y, want := range map[int]string{
		2021: "2021-05-02", 2022: "2022-04-24", 2023: "2023-04-16", 2024: "2024-05-05",
		2025: "2025-04-20", 2026: "2026-04-12", 2027: "2027-05-02", 2028: "2028-04-16",
	} {
		if got := OrthodoxEaster(y).Format(time.DateOnly); got != want {
			t.Errorf("OrthodoxEaster(%d) = %s, want %s", y, got, want)
		}
	}
}

func TestHolidays(t *testing.T) {
	for _, tt := range []struct {
		day  string
		want bool
	}{
		{"2026-01-01", true}, {"2026-01-02", true}, {"2026-01-06", true}, {"2026-01-07", true},
		{"2023-01-06", false}, {"2026-01-24", true}, {"2026-04-10", true}, // Good Friday 2026
		{"2026-04-12", true}, {"2026-04-13", true}, {"2026-04-14", false},
		{"2026-05-31", true}, {"2026-06-01", true}, // Rusalii Sunday and Monday (and Children's day)
		{"2025-06-08", true}, {"2025-06-09", true}, {"2026-08-15", true}, {"2026-11-30", true},
		{"2026-12-01", true}, {"2026-12-25", true}, {"2026-12-26", true}, {"2026-12-24", false},
		{"2026-03-02", false},
	} {
		if got := IsHoliday(mustDate(t, tt.day)); got != tt.want {
			t.Errorf("IsHoliday(%s) = %v, want %v", tt.day, got, tt.want)
		}
	}
}

func TestDue(t *testing.T) {
	for _, tt := range []struct {
		issue, due string
		regime     Regime
	}{
		// 5 calendar days up to 31.12.2025, counted from the day after issue.
		{"2025-03-03", "2025-03-10", CalendarDays}, // Mon → Sat 8 → extended to Mon 10
		{"2025-03-04", "2025-03-10", CalendarDays}, // Tue → Sun 9 → Mon 10
		{"2025-03-05", "2025-03-10", CalendarDays}, // Wed → Mon 10
		{"2025-03-06", "2025-03-11", CalendarDays}, // Thu → Tue 11
		{"2025-04-13", "2025-04-22", CalendarDays}, // → Fri 18 Good Friday, Sat, Sun Easter, Mon → Tue 22
		{"2025-12-27", "2026-01-05", CalendarDays}, // year end: → 1 Jan (holiday), 2, Sat 3, Sun 4 → Mon 5
		{"2025-12-31", "2026-01-05", CalendarDays}, // last day of the old regime: 5 calendar days
		// 5 working days from 1.1.2026.
		{"2026-01-01", "2026-01-13", WorkingDays}, // (2 hol, 3-4 weekend) 5, (6-7 hol) 8, 9, 12, 13
		{"2026-03-02", "2026-03-09", WorkingDays}, // Mon → Tue 3, Wed 4, Thu 5, Fri 6, Mon 9
		{"2026-03-06", "2026-03-13", WorkingDays}, // Fri → Mon 9 … Fri 13
		{"2026-04-08", "2026-04-17", WorkingDays}, // Wed → Thu 9, (Fri 10 Good Friday), (Mon 13 Easter Monday), 14, 15, 16, 17
		{"2026-05-27", "2026-06-04", WorkingDays}, // Wed → Thu 28, Fri 29, (Mon 1 Jun Rusalii + Children's day), 2, 3, 4
		{"2026-12-22", "2026-12-30", WorkingDays}, // → 23, 24, (25, 26 hol, 27 Sun), 28, 29, 30
		{"2026-12-29", "2027-01-08", WorkingDays}, // year end: 30, 31, (1 hol, 2-3 weekend), 4, 5, (6-7 hol), 8
	} {
		got, regime := Due(mustDate(t, tt.issue))
		if got.Format(time.DateOnly) != tt.due || regime != tt.regime {
			t.Errorf("Due(%s) = %s %s, want %s %s", tt.issue, got.Format(time.DateOnly), regime, tt.due, tt.regime)
		}
	}
}

func TestLate(t *testing.T) {
	bucharest, _ := time.LoadLocation("Europe/Bucharest")
	issue := mustDate(t, "2026-03-02") // due Mon 9 March
	for _, tt := range []struct {
		sent time.Time
		want bool
	}{
		{time.Date(2026, 3, 9, 23, 59, 0, 0, bucharest), false},
		{time.Date(2026, 3, 9, 21, 59, 0, 0, time.UTC), false}, // 23:59 in Bucharest (EET)
		{time.Date(2026, 3, 9, 22, 0, 0, 0, time.UTC), true},   // 00:00 on the 10th in Bucharest
		{time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), false},
	} {
		if got := Late(issue, tt.sent); got != tt.want {
			t.Errorf("Late(%s) = %v, want %v", tt.sent, got, tt.want)
		}
	}
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
