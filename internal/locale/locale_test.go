package locale_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/locale"
)

func TestMoney(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ lang, amount, cur, want string }{
		{"ro", "33957.36", "RON", "33.957,36 lei"},
		{"ro", "1234.5", "EUR", "1.234,50 EUR"},
		{"en", "33957.36", "RON", "33,957.36 RON"},
		{"en", "6598592.6", "RON", "6,598,592.60 RON"},
		{"ro", "-0.00", "RON", "0,00 lei"},
		{"en", "-0", "EUR", "0.00 EUR"},
		{"ro", "-0.001", "RON", "-0,001 lei"},
		{"ro", "-12.5", "RON", "-12,50 lei"},
		{"ro", "1.2345", "RON", "1,2345 lei"},
		{"ro", "", "RON", ""},
		{"ro", "n/a", "RON", "n/a RON"},
	} {
		require.Equal(t, c.want, locale.Money(c.lang, c.amount, c.cur), "%+v", c)
	}
	require.Equal(t, "0,00", locale.Decimal("ro", decimal.RequireFromString("-0.00")))
	require.Equal(t, "-1.000", locale.Int("ro", -1000))
}

func TestNumber(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ lang, in, want string }{
		{"ro", "2.000", "2"}, {"ro", "1234.5", "1.234,5"}, {"en", "1234.50", "1,234.5"},
		{"ro", "19.00", "19"}, {"ro", "-0.0", "0"}, {"ro", "abc", "abc"}, {"ro", "1000", "1.000"},
	} {
		require.Equal(t, c.want, locale.Number(c.lang, c.in), "%+v", c)
	}
}

func TestDays(t *testing.T) {
	t.Parallel()
	require.Equal(t, "07.01.2026", locale.Day("ro", "2026-01-07"))
	require.Equal(t, "7 Jan 2026", locale.Day("en", "2026-01-07"))
	require.Equal(t, "2026-13-01", locale.Day("ro", "2026-13-01"), "not a day: as written")
	// 22:30 UTC on 6 January is already 7 January in Bucharest.
	at := time.Date(2026, 1, 6, 22, 30, 0, 0, time.UTC)
	require.Equal(t, "07.01.2026", locale.Date("ro", at))
	require.Equal(t, "7 Jan 2026 00:30", locale.DateTime("en", at))
	require.Equal(t, "07.01.2026 00:30", locale.DateTime("ro", at))
	require.Empty(t, locale.Date("ro", time.Time{}))
	require.Empty(t, locale.DateTime("ro", time.Time{}))

	for in, want := range map[string]string{
		"07.01.2026": "2026-01-07", "7.1.2026": "2026-01-07", "2026-01-07": "2026-01-07",
		" 07/01/2026 ": "2026-01-07", "07-01-2026": "2026-01-07",
	} {
		got, ok := locale.ParseDay(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "31.02.2026", "2026-02-31", "01.13.2026", "ieri", "7 Jan 2026x"} {
		_, ok := locale.ParseDay(bad)
		require.False(t, ok, bad)
	}
}
