// Package locale writes numbers, amounts and dates the way a page in
// Romanian or English shows them: "33.957,36 lei" and "07.01.2026" in
// Romanian, "33,957.36 RON" and "7 Jan 2026" in English. Stored values
// stay as they are (decimal strings, ISO dates, UTC times); only what
// people read goes through here. The language is "en" for English and
// anything else for Romanian.
package locale

import (
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/efactura-gateway/efactura/internal/tz"
)

// separators returns the thousands and decimal separators of lang.
func separators(lang string) (thousands, dec string) {
	if lang == "en" {
		return ",", "."
	}
	return ".", ","
}

// groupDigits puts the thousands separator into a run of digits.
func groupDigits(digits, sep string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// fixed writes d with places decimals in lang; a zero is never "-0".
func fixed(lang string, d decimal.Decimal, places int32) string {
	s := d.StringFixed(places)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	th, dec := separators(lang)
	out := groupDigits(intPart, th)
	if frac != "" {
		out += dec + frac
	}
	if neg && strings.Trim(s, "0.") != "" {
		out = "-" + out
	}
	return out
}

// Decimal writes d in lang with at least two decimals (more when d has
// them): "1.234,56" (ro), "1,234.56" (en). Zero is "0,00", never "-0,00".
func Decimal(lang string, d decimal.Decimal) string {
	places := int32(2)
	if e := -d.Exponent(); e > places {
		places = e
	}
	return fixed(lang, d, places)
}

// Number writes a decimal string as written in a document ("2.000",
// "1234.5", "19.00") in lang without trailing zeros: "2", "1.234,5",
// "19". Text that is not a number is returned as is.
func Number(lang, s string) string {
	s = strings.TrimSpace(s)
	d, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	places := max(-d.Exponent(), 0)
	str := d.StringFixed(places)
	if i := strings.IndexByte(str, '.'); i >= 0 {
		str = strings.TrimRight(strings.TrimRight(str, "0"), ".")
	}
	_, frac, _ := strings.Cut(str, ".")
	return fixed(lang, d, int32(len(frac)))
}

// CurrencyLabel is "lei" for RON in Romanian, else the ISO code.
func CurrencyLabel(lang, currency string) string {
	if lang != "en" && currency == "RON" {
		return "lei"
	}
	return currency
}

// Money writes an amount as written in an invoice ("1234.5") with its ISO
// currency in lang: "1.234,50 lei" (ro, RON), "1.234,50 EUR" (ro),
// "1,234.50 RON" (en). Text that is not a number is returned as is, with
// the currency; "" stays "".
func Money(lang, amount, currency string) string {
	amount = strings.TrimSpace(amount)
	if amount == "" {
		return ""
	}
	d, err := decimal.NewFromString(amount)
	if err != nil {
		return strings.TrimSpace(amount + " " + currency)
	}
	return strings.TrimSpace(Decimal(lang, d) + " " + CurrencyLabel(lang, currency))
}

// Int writes an integer with lang's thousands separator.
func Int(lang string, n int) string {
	th, _ := separators(lang)
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + groupDigits(s[1:], th)
	}
	return groupDigits(s, th)
}

// Layouts of a day and of a time of day, by language.
const (
	dayRO = "02.01.2006"
	dayEN = "2 Jan 2006"
)

func dayLayout(lang string) string {
	if lang == "en" {
		return dayEN
	}
	return dayRO
}

// Day writes a "YYYY-MM-DD" day (as invoices and the API write them):
// "07.01.2026" (ro), "7 Jan 2026" (en). Anything else is returned as is.
func Day(lang, day string) string {
	day = strings.TrimSpace(day)
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return d.Format(dayLayout(lang))
}

// Date writes the day of t in Romanian time (Europe/Bucharest); "" for
// the zero time.
func Date(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(tz.Bucharest()).Format(dayLayout(lang))
}

// DateTime writes t in Romanian time to the minute: "07.01.2026 14:05"
// (ro), "7 Jan 2026 14:05" (en); "" for the zero time.
func DateTime(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(tz.Bucharest()).Format(dayLayout(lang) + " 15:04")
}

// ParseDay reads a day typed into a filter: "07.01.2026" or "7.1.2026"
// (as Romanian pages show days, also with "/" or "-"), "7 Jan 2026" (as
// English pages show them), or ISO "2026-01-07" (as the API writes). It
// returns the day as "YYYY-MM-DD", ok false for anything else.
func ParseDay(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.Format(time.DateOnly), true
	}
	norm := strings.NewReplacer("/", ".", "-", ".").Replace(s)
	if d, err := time.Parse("2.1.2006", norm); err == nil {
		return d.Format(time.DateOnly), true
	}
	if d, err := time.Parse(dayEN, strings.Join(strings.Fields(s), " ")); err == nil {
		return d.Format(time.DateOnly), true
	}
	return "", false
}
