package tz

import (
	"testing"
	"time"
)

func TestBucharest(t *testing.T) {
	loc := Bucharest()
	if loc.String() != "Europe/Bucharest" {
		t.Fatalf("location %q", loc)
	}
	// EET in winter, EEST in summer: not UTC.
	for _, tt := range []struct {
		at     time.Time
		offset int
	}{
		{time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC), 2 * 3600},
		{time.Date(2026, 7, 15, 10, 0, 0, 0, time.UTC), 3 * 3600},
	} {
		if _, off := tt.at.In(loc).Zone(); off != tt.offset {
			t.Errorf("%s: offset %d, want %d", tt.at, off, tt.offset)
		}
	}
	if Bucharest() != loc {
		t.Error("Bucharest returns a new location on each call")
	}
}
