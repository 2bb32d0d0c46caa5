package anaf

import "time"

// Listing limits of listaMesajePaginatieFactura (API.md §3.5).
const (
	// MaxLookback is how far back ANAF accepts startTime.
	MaxLookback = 60 * 24 * time.Hour
	// WindowMargin keeps startTime safely inside MaxLookback despite the
	// delay between computing a window and ANAF receiving the request.
	WindowMargin = time.Hour
	// EndLag keeps endTime in the past ("endTime … nu poate in viitor").
	EndLag = time.Minute
)

// Window returns an ANAF-acceptable [start, end] for the paginated list,
// both truncated to milliseconds (they travel as Unix ms):
//   - end = now − 1 minute (never in the future);
//   - start = lastEnd − overlap, but not before now − 60 days + 1 hour;
//   - a first sync (zero lastEnd) starts at now − 60 days + 1 hour;
//   - start < end always (when lastEnd − overlap is not before end, start
//     becomes end − 1 minute).
//
// With overlap ≥ 0 consecutive windows (lastEnd = previous end) leave no gap,
// except what is older than ANAF's 60 days and cannot be listed anyway.
// A negative overlap counts as 0. Unix ms are absolute, so no time zone is
// involved; Europe/Bucharest matters only for ANAF's texts.
func Window(lastEnd, now time.Time, overlap time.Duration) (start, end time.Time) {
	if overlap < 0 {
		overlap = 0
	}
	end = now.Add(-EndLag).Truncate(time.Millisecond)
	oldest := now.Add(-MaxLookback + WindowMargin)
	// Truncate rounds down: bump by 1 ms so the floor stays inside the limit.
	oldest = oldest.Truncate(time.Millisecond)
	if oldest.Before(now.Add(-MaxLookback + WindowMargin)) {
		oldest = oldest.Add(time.Millisecond)
	}
	if lastEnd.IsZero() {
		start = oldest
	} else {
		start = lastEnd.Add(-overlap).Truncate(time.Millisecond)
		if start.Before(oldest) {
			start = oldest
		}
	}
	if !start.Before(end) {
		start = end.Add(-EndLag)
	}
	return start.UTC(), end.UTC()
}
