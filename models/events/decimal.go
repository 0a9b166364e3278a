package events

import (
	"math"
	"strconv"
)

// MaxDecimalPlaces is the most decimal places ShortDecimal tries.
const MaxDecimalPlaces = 8

// pow10 holds 10^k for k <= MaxDecimalPlaces, each exact in a float64.
var pow10 = [MaxDecimalPlaces + 1]float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}

// ShortDecimal reports whether v is exactly float64(m) / 10^k for an integer
// m with |m| < 2^53 and 0 <= k <= MaxDecimalPlaces, and returns the m and k
// with the fewest places. Both operands are exact, and IEEE division rounds
// correctly, so v is then the float64 nearest to the decimal m·10^-k, which
// is what a sensor's "67.37" parses to. hint is the k to try first (a
// series' values mostly share their places); -0, NaN and infinities are
// never short decimals.
//
// Windows' partials carry their values this way (2-4 bytes, not 8), and
// AppendFloat prints them without the shortest-digits search.
func ShortDecimal(v float64, hint int) (m int64, k int, ok bool) {
	if hint < 0 || hint > MaxDecimalPlaces {
		hint = 0
	}
	if m, ok = decimalAt(v, hint); !ok {
		for k = 0; k <= MaxDecimalPlaces; k++ {
			if k == hint {
				continue
			}
			if m, ok = decimalAt(v, k); ok {
				break
			}
		}
		if !ok {
			return 0, 0, false
		}
	} else {
		k = hint
	}
	for k > 0 && m%10 == 0 {
		m /= 10
		k--
	}
	return m, k, true
}

// decimalAt is ShortDecimal for one k.
func decimalAt(v float64, k int) (int64, bool) {
	x := math.Round(v * pow10[k])
	if !(x > -(1<<53) && x < 1<<53) {
		return 0, false
	}
	m := int64(x)
	return m, math.Float64bits(float64(m)/pow10[k]) == math.Float64bits(v)
}

// DecimalValue is float64(m) / 10^k, ShortDecimal's inverse; k must be at
// most MaxDecimalPlaces.
func DecimalValue(m int64, k int) float64 { return float64(m) / pow10[k] }

// appendShortDecimal writes v as strconv.FormatFloat(v, 'g', -1, 64) would
// when v is a short decimal printed without an exponent (below 1e6 in
// magnitude, at least 1e-4), and reports false otherwise. The digits are
// m's: a decimal of at most 15 significant digits is the only one of its
// length or shorter that rounds to v (DBL_DIG), so the shortest digits
// that round-trip are exactly m's, less trailing zeros.
func appendShortDecimal(dst []byte, v float64) ([]byte, bool) {
	if a := math.Abs(v); !(a >= 1e-4 && a < 1e6) {
		return dst, false
	}
	// A short decimal times 10^8 is within 0.05 of an integer (below 1e14,
	// two roundings of 2^-53 each); a mean or a variance almost never is,
	// and this spares it ShortDecimal's search over every k.
	if x := v * 1e8; math.Abs(x-math.Round(x)) > 0.25 {
		return dst, false
	}
	m, k, ok := ShortDecimal(v, 2)
	if !ok || m == 0 {
		return dst, false
	}
	u := m
	if u < 0 {
		u = -u
	}
	// 'g' uses an exponent when the decimal exponent is below -4 or at
	// least 6 (the shortest form's precision is treated as 6): u·10^-k must
	// lie in [1e-4, 1e6).
	if float64(u) >= 1e6*pow10[k] || float64(u)*1e4 < pow10[k] {
		return dst, false
	}
	if m < 0 {
		dst = append(dst, '-')
	}
	var digits [24]byte
	s := strconv.AppendUint(digits[:0], uint64(u), 10)
	if k == 0 {
		return append(dst, s...), true
	}
	if len(s) <= k { // 0.0ddd
		dst = append(dst, '0', '.')
		for i := len(s); i < k; i++ {
			dst = append(dst, '0')
		}
		return append(dst, s...), true
	}
	dst = append(dst, s[:len(s)-k]...)
	dst = append(dst, '.')
	return append(dst, s[len(s)-k:]...), true
}
