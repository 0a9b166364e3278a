package events

import (
	"strconv"

	"github.com/valyala/fastjson"
)

// metricNumber reads a metric value: a finite JSON number, or a string
// holding a plain decimal number (-12, 1520.5, 1.2e3: JSON's own number
// syntax, nothing else), which devices that quote every value send;
// coerced reports the latter. "nan", "inf", "0x10", " 5", "hot" and other
// strings are errors, as are null, booleans, objects and arrays.
func metricNumber(v *fastjson.Value, field string) (f float64, coerced bool, err error) {
	switch v.Type() {
	case fastjson.TypeNumber:
		f, err = finiteNumber(v, field)
		return f, false, err
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		if !isPlainDecimal(b) {
			return 0, false, fieldErr(field, "must be a number, got string %q (only a plain decimal string counts as a number)", shorten(string(b), 32))
		}
		f, ok := decimalString(b)
		if !ok {
			return 0, false, fieldErr(field, "is not a finite number: %q", shorten(string(b), 32))
		}
		return f, true, nil
	case fastjson.TypeArray:
		return 0, false, fieldErr(field, "must be a number, got array (metric paths do not index arrays)")
	}
	return 0, false, fieldErr(field, "must be a number, got %s", v.Type())
}

// decimalString reads b, a number in JSON's grammar, as a finite float64
// (strconv: correctly rounded, and no string is allocated for b); false
// when it is beyond float64's range.
func decimalString(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// isPlainDecimal reports whether b is a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isPlainDecimal(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}
