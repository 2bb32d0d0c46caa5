package api

import (
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
