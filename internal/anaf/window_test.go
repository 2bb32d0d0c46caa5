package anaf

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func checkWindow(t *testing.T, start, end, now time.Time) {
	t.Helper()
	require.True(t, start.Before(end), "start %v < end %v", start, end)
	require.False(t, end.After(now.Add(-EndLag)), "end %v not in the future (now %v)", end, now)
	require.False(t, start.Before(now.Add(-MaxLookback)), "start %v within 60 days of %v", start, now)
	require.Equal(t, start, start.Truncate(time.Millisecond))
	require.Equal(t, end, end.Truncate(time.Millisecond))
	require.Equal(t, time.UTC, start.Location())
}

func TestWindowFirstSync(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 15, 10, 0, 0, 123_456_789, time.UTC)
	start, end := Window(time.Time{}, now, 5*time.Minute)
	checkWindow(t, start, end, now)
	require.Equal(t, time.Date(2026, 1, 15, 9, 59, 0, 123_000_000, time.UTC), end)
	require.Equal(t, now.Add(-60*24*time.Hour+time.Hour).Truncate(time.Millisecond).Add(time.Millisecond), start)
}

func TestWindowCases(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC) // the Bucharest DST night changes nothing
	for _, tt := range []struct {
		name      string
		lastEnd   time.Time
		overlap   time.Duration
		wantStart time.Time
	}{
		{"Incremental", now.Add(-10 * time.Minute), 5 * time.Minute, now.Add(-15 * time.Minute)},
		{"NegativeOverlapIsZero", now.Add(-10 * time.Minute), -time.Hour, now.Add(-10 * time.Minute)},
		{"TooOldClamped", now.Add(-90 * 24 * time.Hour), 5 * time.Minute, now.Add(-MaxLookback + WindowMargin)},
		{"LastEndAfterEnd", now.Add(time.Hour), 0, now.Add(-2 * time.Minute)},
		{"LastEndEqualsEnd", now.Add(-time.Minute), 0, now.Add(-2 * time.Minute)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start, end := Window(tt.lastEnd, now, tt.overlap)
			checkWindow(t, start, end, now)
			require.Equal(t, tt.wantStart, start)
			require.Equal(t, now.Add(-time.Minute), end)
		})
	}
}

func TestWindowConsecutiveNoGaps(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	var lastEnd time.Time
	for i := range 2000 {
		// Steps from 1 ms to ~3 days, sometimes a long outage of 70 days.
		step := time.Duration(r.Int64N(int64(72*time.Hour))) + time.Millisecond
		if i%500 == 499 {
			step = 70 * 24 * time.Hour
		}
		now = now.Add(step).Add(time.Duration(r.Int64N(1000)) * time.Microsecond)
		start, end := Window(lastEnd, now, 5*time.Minute)
		checkWindow(t, start, end, now)
		if !lastEnd.IsZero() {
			oldest := now.Add(-MaxLookback + WindowMargin)
			if lastEnd.Add(-5 * time.Minute).Before(oldest) {
				// Only an outage longer than 60 days may leave a gap, and
				// then the window starts as early as ANAF allows.
				require.WithinDuration(t, oldest, start, time.Millisecond)
			} else {
				require.False(t, start.After(lastEnd), "gap: start %v after previous end %v", start, lastEnd)
			}
			require.False(t, end.Before(lastEnd), "end moves forward")
		}
		lastEnd = end
	}
}
