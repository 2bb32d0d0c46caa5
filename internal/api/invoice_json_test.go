package api

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecimalJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"1190.00", "1190.00"},
		{"190.00", "190.00"},
		{"-5.10", "-5.10"},
		{"0.00", "0.00"},
		{"-0.00", "-0.00"},
		{"0", "0"},
		{"12345678901234567890.123456789", "12345678901234567890.123456789"}, // beyond float64, kept as written
		{"007.50", "7.50"},
		{"000", "0"},
		{"00.50", "0.50"},
		{"-007.5", "-7.5"},
		{".5", "0.5"},
		{"-.5", "-0.5"},
		{"5.", "5"},
		{"+3", "3"},
		{"+3.00", "3.00"},
		{" 12.30 ", "12.30"},
		{"1e3", "null"}, // not an xs:decimal: never a float
		{"1E-2", "null"},
		{"abc", "null"},
		{"", "null"},
		{".", "null"},
		{"+", "null"},
		{"-", "null"},
		{"+-3", "null"},
		{"--3", "null"},
		{"1,190.00", "null"},
		{"1190,00", "null"},
		{"1 190.00", "null"},
		{"0x10", "null"},
		{"NaN", "null"},
		{"Infinity", "null"},
		{"1.2.3", "null"},
		{"١٢٣", "null"}, // Arabic-Indic digits
	} {
		require.Equal(t, tc.want, string(decimalJSON(tc.in)), "decimalJSON(%q)", tc.in)
	}
}

// decimalJSONRegexp is decimalJSON as it was written first, with a
// regular expression: the reference FuzzDecimalJSON checks the scanner
// against.
func decimalJSONRegexp(s string) string {
	m := regexp.MustCompile(`^([+-]?)([0-9]*)(?:\.([0-9]*))?$`).FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || m[2] == "" && m[3] == "" {
		return "null"
	}
	sign, ip, frac := m[1], strings.TrimLeft(m[2], "0"), m[3]
	if sign == "+" {
		sign = ""
	}
	if ip == "" {
		ip = "0"
	}
	out := sign + ip
	if frac != "" {
		out += "." + frac
	}
	return out
}

func FuzzDecimalJSON(f *testing.F) {
	for _, s := range []string{"1190.00", "-0.00", "007.50", ".5", "5.", "+3", " 12.30 ", "1e3", "", ".", "+-3", "1.2.3", "١٢٣", "\u00a01.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, want := string(decimalJSON(s)), decimalJSONRegexp(s)
		if got != want {
			t.Fatalf("decimalJSON(%q) = %s, want %s", s, got, want)
		}
		if got != "null" && !json.Valid([]byte(got)) {
			t.Fatalf("decimalJSON(%q) = %s: not JSON", s, got)
		}
	})
}
