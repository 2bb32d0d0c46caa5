package invoice

import "strings"

// IsCNP reports whether s (trimmed) is shaped like a Romanian personal
// numeric code (CNP): exactly 13 ASCII digits. The check digit is not
// verified, so the placeholder "0000000000000" that ANAF accepts for
// buyers without a CNP counts too. No CIF has 13 digits (at most 10), so
// a 13-digit party id is a person.
func IsCNP(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) != 13 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MaskCNP hides a CNP for lists and exports: the first digit (sex and
// century) and the last three are kept, the nine in between become "*",
// e.g. "1850101123456" → "1*********456". A value that is not a CNP
// (IsCNP false) is returned unchanged, so it is safe on any party id.
func MaskCNP(s string) string {
	if !IsCNP(s) {
		return s
	}
	t := strings.TrimSpace(s)
	return t[:1] + strings.Repeat("*", 9) + t[10:]
}
