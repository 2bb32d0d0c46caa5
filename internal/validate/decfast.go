package validate

import (
	"github.com/shopspring/decimal"
)

// The xs:decimal fast path: a value with at most maxFastDigits digits is
// held as an int64 coefficient and a scale (Item.I, Item.sc), and +, -, *
// and comparisons stay in int64 while the result fits; anything else (a
// longer value, an overflow, div) goes through the exact big decimal, with
// the same result.

// maxFast bounds a fast coefficient: two of them, each scaled by up to
// the difference of their scales, add without overflowing int64 (checked).
const maxFast = int64(1e17)

const maxFastDigits = 17

// pow10[k] is 10^k.
var pow10 = func() [19]int64 {
	var p [19]int64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// fastDec is I / 10^scale as an item.
func fastDec(i int64, scale int) Item { return Item{K: iDecimal, sc: uint8(scale + 1), I: i} }

// dec is the item's decimal value as a big decimal.
func (it Item) dec() decimal.Decimal {
	if it.sc == 0 {
		return it.D
	}
	return decimal.New(it.I, -int32(it.sc-1))
}

func abs64(i int64) int64 {
	if i < 0 {
		return -i
	}
	return i
}

// parseFastDecimal reads [+-]digits[.digits] with at most maxFastDigits
// digits (as parseBigDecimal would read it, to the same value and scale).
func parseFastDecimal(s string) (Item, bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var v int64
	digits, intDigits, scale := 0, 0, -1
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if digits > maxFastDigits {
				return Item{}, false
			}
			v = v*10 + int64(c-'0')
			if scale >= 0 {
				scale++
			} else {
				intDigits++
			}
		case c == '.' && scale < 0:
			scale = 0
		default:
			return Item{}, false
		}
	}
	if intDigits == 0 || scale == 0 { // ".5", "5." and "": the big path decides
		return Item{}, false
	}
	if scale < 0 {
		scale = 0
	}
	if neg {
		v = -v
	}
	return fastDec(v, scale), true
}

// align brings two fast values to the larger scale; ok is false when a
// coefficient would leave maxFast.
func align(a, b Item) (x, y int64, scale int, ok bool) {
	sa, sb := int(a.sc)-1, int(b.sc)-1
	x, y, scale = a.I, b.I, sa
	switch {
	case sa < sb:
		k := sb - sa
		if k >= len(pow10) || abs64(x) > maxFast/pow10[k] {
			return 0, 0, 0, false
		}
		x *= pow10[k]
		scale = sb
	case sb < sa:
		k := sa - sb
		if k >= len(pow10) || abs64(y) > maxFast/pow10[k] {
			return 0, 0, 0, false
		}
		y *= pow10[k]
	}
	return x, y, scale, true
}

// decCmp compares two decimals.
func decCmp(a, b Item) int {
	if a.sc != 0 && b.sc != 0 {
		if x, y, _, ok := align(a, b); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return a.dec().Cmp(b.dec())
}

// decArith is +, -, * of two fast decimals when the result stays fast, and
// div by a power of ten.
func decArith(a, b Item, op int) (Item, bool) {
	if a.sc == 0 || b.sc == 0 {
		return Item{}, false
	}
	switch op {
	case opAdd, opSub:
		x, y, scale, ok := align(a, b)
		if !ok {
			return Item{}, false
		}
		if op == opSub {
			y = -y
		}
		r := x + y // |x|, |y| <= maxFast: no overflow
		if abs64(r) > maxFast {
			return Item{}, false
		}
		return fastDec(r, scale), true
	case opMul:
		scale := int(a.sc) - 1 + int(b.sc) - 1
		x, y := abs64(a.I), abs64(b.I)
		if scale >= len(pow10) || x != 0 && y > maxFast/x {
			return Item{}, false
		}
		return fastDec(a.I*b.I, scale), true
	case opDiv:
		// by a power of ten (the rules' "div 100"): exact, only the scale
		// moves; DivRound to 20 places gives the same value
		y, x := b.I, a.I
		if y < 0 {
			y, x = -y, -x
		}
		k := 0
		for k < len(pow10) && pow10[k] != y {
			k++
		}
		scale := int(a.sc) - 1 + k - (int(b.sc) - 1)
		if k == len(pow10) || scale < 0 || scale >= len(pow10) {
			return Item{}, false
		}
		return fastDec(x, scale), true
	}
	return Item{}, false
}

// decFloat is the decimal as the nearest double. For a fast value whose
// coefficient is below 2^53 one IEEE division of two exact doubles is
// correctly rounded, as big.Rat's conversion is.
func decFloat(it Item) float64 {
	if it.sc != 0 && abs64(it.I) < 1<<53 {
		return float64(it.I) / float64(pow10[it.sc-1])
	}
	f, _ := it.dec().Float64()
	return f
}
