package gateway

import (
	"strings"
	"testing"
)

// FuzzParseSecondFactor: what a user types at the second step never
// panics; an accepted input is six digits or sixteen letters of the
// recovery alphabet (never both), and a recovery code made here parses
// back to itself however it is typed (case, dashes, spaces).
func FuzzParseSecondFactor(f *testing.F) {
	codes, _, err := newRecoveryCodes()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"123456", " 123 456 ", "12345", "1234567", codes[0], strings.ToUpper(codes[1]), "abcd-efgh-ijkl-mnop",
		"abcd-efgh-ijkl-mno1", "ǅ23456", "１２３４５６", strings.Repeat("a", 70), "", "-", "12345\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		digits, recovery, ok := parseSecondFactor(in)
		if !ok {
			if digits != "" || recovery != "" {
				t.Fatalf("parseSecondFactor(%q) refused but returned %q %q", in, digits, recovery)
			}
			return
		}
		switch {
		case digits != "" && recovery != "", digits == "" && recovery == "":
			t.Fatalf("parseSecondFactor(%q) = %q, %q: want exactly one", in, digits, recovery)
		case digits != "" && (len(digits) != 6 || strings.Trim(digits, "0123456789") != ""):
			t.Fatalf("parseSecondFactor(%q): digits %q", in, digits)
		case recovery != "" && (len(recovery) != 16 || strings.Trim(recovery, "abcdefghijklmnopqrstuvwxyz234567") != ""):
			t.Fatalf("parseSecondFactor(%q): recovery %q", in, recovery)
		}
	})
}

func TestRecoveryCodesParseBack(t *testing.T) {
	t.Parallel()
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, c := range codes {
		for _, typed := range []string{c, strings.ToUpper(c), strings.ReplaceAll(c, "-", ""), strings.ReplaceAll(c, "-", " ")} {
			_, rec, ok := parseSecondFactor(typed)
			if !ok || string(hashRecoveryCode(rec)) != string(hashes[i]) {
				t.Fatalf("%q (typed %q) does not parse back to its hash", c, typed)
			}
		}
		if seen[c] {
			t.Fatalf("code %q twice", c)
		}
		seen[c] = true
	}
	if len(codes) != RecoveryCodeCount {
		t.Fatalf("%d codes", len(codes))
	}
}
