package web

// The times on every page are shown in Europe/Bucharest, whatever the host has.
import _ "time/tzdata"
