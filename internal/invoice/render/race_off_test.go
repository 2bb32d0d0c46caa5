//go:build !race

package render_test

// raceEnabled: built with -race (sync.Pool then drops items at random).
const raceEnabled = false
