package xsd

import "strings"

// validValue reports whether s is in the lexical space of kind, after the
// whitespace processing XSD applies to it (collapse for every kind but
// xsd:string, whose values are always valid).
func validValue(kind valueKind, s string) bool {
	switch kind {
	case vNone, vString:
		return true
	case vURI:
		return isURI(s)
	}
	s = trimSpace(s)
	switch kind {
	case vDecimal:
		return isDecimal(s)
	case vDate:
		return isDate(s)
	case vTime:
		return isTime(s)
	case vDateTime:
		d, t, ok := strings.Cut(s, "T")
		return ok && isDateNoTZ(d) && isTime(t)
	case vBoolean:
		return s == "true" || s == "false" || s == "1" || s == "0"
	case vBase64:
		return isBase64(s)
	case vLanguage:
		return isLanguage(s)
	case vID:
		return isNCName(s)
	case vInteger:
		if s != "" && (s[0] == '+' || s[0] == '-') {
			s = s[1:]
		}
		return s != "" && allDigits(s)
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isDecimal: [+-]?(d+(.d*)?|.d+)
func isDecimal(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(intPart) || !allDigits(frac) {
		return false
	}
	if hasDot {
		return intPart != "" || frac != ""
	}
	return intPart != ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// num2 reads two digits at s[i:].
func num2(s string, i int) (int, bool) {
	if i+2 > len(s) || !isDigit(s[i]) || !isDigit(s[i+1]) {
		return 0, false
	}
	return int(s[i]-'0')*10 + int(s[i+1]-'0'), true
}

// isTimezone: "", Z or (+|-)hh:mm with hh:mm <= 14:00.
func isTimezone(s string) bool {
	switch {
	case s == "" || s == "Z":
		return true
	case len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':':
		return false
	}
	h, ok1 := num2(s, 1)
	m, ok2 := num2(s, 4)
	return ok1 && ok2 && m < 60 && (h < 14 || h == 14 && m == 0)
}

// splitDate splits -?YYYY-MM-DD from what follows.
func splitDate(s string) (year, month, day int, rest string, ok bool) {
	s = strings.TrimPrefix(s, "-")
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i < 4 || (i > 4 && s[0] == '0') || i > 9 {
		return 0, 0, 0, "", false
	}
	for _, c := range s[:i] {
		year = year*10 + int(c-'0')
	}
	if year == 0 || len(s) < i+6 || s[i] != '-' || s[i+3] != '-' {
		return 0, 0, 0, "", false
	}
	month, ok1 := num2(s, i+1)
	day, ok2 := num2(s, i+4)
	if !ok1 || !ok2 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return 0, 0, 0, "", false
	}
	return year, month, day, s[i+6:], true
}

// daysIn is the length of the month; a negative year is a leap year when its
// absolute value is one (as the reference's Xerces counts it: -0004 is leap).
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func isDate(s string) bool {
	_, _, _, rest, ok := splitDate(s)
	return ok && isTimezone(rest)
}

func isDateNoTZ(s string) bool {
	_, _, _, rest, ok := splitDate(s)
	return ok && rest == ""
}

// isTime: hh:mm:ss(.s+)?(timezone)?, 24:00:00 allowed.
func isTime(s string) bool {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return false
	}
	h, ok1 := num2(s, 0)
	m, ok2 := num2(s, 3)
	sec, ok3 := num2(s, 6)
	if !ok1 || !ok2 || !ok3 || m > 59 || sec > 59 || h > 24 {
		return false
	}
	rest := s[8:]
	zeroFrac := true
	if strings.HasPrefix(rest, ".") {
		i := 1
		for i < len(rest) && isDigit(rest[i]) {
			if rest[i] != '0' {
				zeroFrac = false
			}
			i++
		}
		if i == 1 {
			return false
		}
		rest = rest[i:]
	}
	if h == 24 && (m != 0 || sec != 0 || !zeroFrac) {
		return false
	}
	return isTimezone(rest)
}

func isLanguage(s string) bool {
	for i, part := range strings.Split(s, "-") {
		if len(part) < 1 || len(part) > 8 {
			return false
		}
		for j := 0; j < len(part); j++ {
			c := part[j]
			alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if !alpha && (i == 0 || !isDigit(c)) {
				return false
			}
		}
	}
	return true
}

func base64Index(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case isDigit(c):
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

// isBase64 follows XSD 1.0's base64Binary grammar: groups of four, padding
// only at the end, and the bits a padded group drops must be zero.
// Whitespace anywhere is accepted (the reference's Xerces does).
func isBase64(s string) bool {
	n, pad := 0, 0
	var last byte // the last character before the padding
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		case c == '=':
			if pad++; pad > 2 {
				return false
			}
		case pad > 0 || base64Index(c) < 0:
			return false
		default:
			last = c
		}
		n++
	}
	switch {
	case n%4 != 0:
		return false
	case pad == 1:
		return base64Index(last)&0x03 == 0
	case pad == 2:
		return base64Index(last)&0x0f == 0
	}
	return true
}

// isURI is the part of the reference's xsd:anyURI check that matters in
// practice: Xerces escapes spaces and non-ASCII characters and accepts most
// strings, but refuses a malformed %-escape, an empty or malformed scheme
// (text before a ':' that comes before any '/', '?' or '#') and an
// unclosed IPv6 literal.
func isURI(s string) bool {
	s = trimSpace(s)
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
			return false
		}
	}
	if end := strings.IndexAny(s, ":/?#"); end >= 0 && s[end] == ':' {
		scheme := s[:end]
		if scheme == "" || !isAlpha(scheme[0]) {
			return false
		}
		for i := 1; i < len(scheme); i++ {
			if c := scheme[i]; !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
				return false
			}
		}
	}
	if i := strings.Index(s, "//["); i >= 0 && !strings.Contains(s[i:], "]") {
		return false
	}
	return true
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isNCName: a name without a colon (non-ASCII letters accepted as name
// characters; the reference's finer Unicode classes are not copied).
func isNCName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c) || c == '_' || c >= 0x80:
		case i > 0 && (isDigit(c) || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// trimSpace is strings.Trim(s, " \t\r\n") without building the cutset's
// set on every call.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t' || s[j-1] == '\r' || s[j-1] == '\n') {
		j--
	}
	return s[i:j]
}
