// Package cif normalises and checks Romanian fiscal codes (CIF / CUI).
//
// A CIF is 2 to 10 digits whose last digit is a check digit computed with
// the key 753217532 (ANAF's published algorithm). It may be written with a
// leading "RO" (VAT registered) and with spaces; Normalize returns the digits.
package cif

import (
	"errors"
	"strings"
)

// ErrInvalid is returned for a string that is not a CIF.
var ErrInvalid = errors.New("not a CIF: expected 2 to 10 digits, optionally prefixed by RO")

// ErrCheckDigit is returned by Check when the check digit does not match.
var ErrCheckDigit = errors.New("the CIF check digit is wrong")

// Normalize strips spaces, an optional "RO" prefix (any case) and leading
// zeros, and returns the digits, or ErrInvalid when what is left is not
// 2..10 digits. "RO0012345674" and "12345674" are the same CIF.
func Normalize(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\u00a0' {
			return -1
		}
		return r
	}, s)
	if len(s) >= 2 && strings.EqualFold(s[:2], "RO") {
		s = s[2:]
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", ErrInvalid
		}
	}
	if len(s) > 10 {
		return "", ErrInvalid
	}
	s = strings.TrimLeft(s, "0")
	if len(s) < 2 {
		return "", ErrInvalid
	}
	return s, nil
}

// Check normalises s and verifies its check digit. It returns the digits.
func Check(s string) (string, error) {
	d, err := Normalize(s)
	if err != nil {
		return "", err
	}
	if !ValidCheckDigit(d) {
		return "", ErrCheckDigit
	}
	return d, nil
}

// ValidCheckDigit reports whether the digit string d (already normalised)
// carries a correct check digit.
func ValidCheckDigit(d string) bool {
	const key = "753217532"
	if len(d) < 2 || len(d) > 10 {
		return false
	}
	body := d[:len(d)-1]
	// Right-align the body against the key.
	pad := len(key) - len(body)
	sum := 0
	for i := 0; i < len(body); i++ {
		sum += int(body[i]-'0') * int(key[pad+i]-'0')
	}
	c := sum * 10 % 11
	if c == 10 {
		c = 0
	}
	return int(d[len(d)-1]-'0') == c
}
