package validate

import (
	"math/rand"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"
)

// TestDecimalFastPath: every operation of the int64 fast path gives the
// value (and text) the big decimal gives, on random and edge operands
// (and powers of ten as divisors, div's fast case).
func TestDecimalFastPath(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	edge := []string{"0", "-0", "1", "-1", "0.5", "-0.5", "1.5", "-1.5", "2.5", "-2.5", "0.05", "99999999999999999",
		"-99999999999999999", "9999999999999999.9", "0.00000000000000001", "12345678.901234567", "100", "1.50", "+7", "007.10"}
	random := func() string {
		digits := 1 + rng.Intn(17)
		s := ""
		for i := 0; i < digits; i++ {
			s += strconv.Itoa(rng.Intn(10))
		}
		if k := rng.Intn(digits + 1); k > 0 && k < digits {
			s = s[:k] + "." + s[k:]
		}
		if rng.Intn(2) == 0 {
			s = "-" + s
		}
		return s
	}
	vals := append([]string{}, edge...)
	for range 400 {
		vals = append(vals, random())
	}
	big := func(s string) Item {
		d, ok := parseBigDecimal(s)
		if !ok {
			t.Fatalf("%q: not a decimal", s)
		}
		return Item{K: iDecimal, D: d}
	}
	same := func(what string, fast, slow Seq) {
		t.Helper()
		if len(fast) != len(slow) || len(fast) == 1 && (fast[0].K != slow[0].K || decCmp(fast[0], slow[0]) != 0 || itemString(fast[0]) != itemString(slow[0])) {
			t.Fatalf("%s: fast %v (%s), big %v (%s)", what, fast, str(fast), slow, str(slow))
		}
	}
	for i, a := range vals {
		fa, _ := parseDecimal(a)
		ba := big(a)
		if fa.dec().Cmp(ba.D) != 0 || itemString(fa) != ba.D.String() {
			t.Fatalf("parse %q: %s, big %s", a, itemString(fa), ba.D.String())
		}
		if f, _ := ba.D.Float64(); decFloat(fa) != f {
			t.Fatalf("double of %q: %v, big %v", a, decFloat(fa), f)
		}
		same("round "+a, fnRound(Seq{fa}), Seq{{K: iDecimal, D: ba.D.Add(decimal.New(5, -1)).Floor()}})
		same("abs "+a, fnAbs(Seq{fa}), Seq{{K: iDecimal, D: ba.D.Abs()}})
		same("neg "+a, neg(Seq{fa}), Seq{{K: iDecimal, D: ba.D.Neg()}})
		tens := []string{"1", "10", "100", "-100", "0.1", "0.01", "1.00", "100.0", "-0.001", "1000000000000000", "0.00000000000000001", "10000000000000000.0"}
		for _, b := range []string{vals[(i*7+3)%len(vals)], vals[(i*13+1)%len(vals)], edge[i%len(edge)], tens[i%len(tens)], tens[(i/len(tens))%len(tens)]} {
			fb, _ := parseDecimal(b)
			bb := big(b)
			for _, op := range []int{opAdd, opSub, opMul, opDiv} {
				same(a+" op"+strconv.Itoa(op)+" "+b, arith(Seq{fa}, Seq{fb}, op), arith(Seq{ba}, Seq{bb}, op))
			}
			if got, want := decCmp(fa, fb), ba.D.Cmp(bb.D); got != want {
				t.Fatalf("cmp %s %s: %d, big %d", a, b, got, want)
			}
		}
	}
}
