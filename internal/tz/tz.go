// Package tz holds the one time zone of the gateway: Europe/Bucharest,
// ANAF's local time and the calendar of every page, export and quota day.
//
// The zone comes from the system database or, on hosts without one, from
// the tzdata embedded in the binary (time/tzdata). If neither has it the
// process panics at start: a silent fallback to UTC would shift every
// day boundary by two or three hours.
package tz

import (
	"time"
	_ "time/tzdata" // Europe/Bucharest resolves on any host
)

var bucharest = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Bucharest")
	if err != nil {
		panic("tz: Europe/Bucharest not available: " + err.Error())
	}
	return loc
}()

// Bucharest returns the Europe/Bucharest location.
func Bucharest() *time.Location { return bucharest }
