package events

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// TestAppendFloatMatchesStrconv holds AppendFloat's short-decimal path to
// strconv's shortest 'g' form on sensor-like values, edges of the exponent
// rule, and values that are not short decimals.
func TestAppendFloatMatchesStrconv(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 100, 1e5, 999999, 1e6, 1e6 - 0.5, 999999.99999999,
		0.0001, 0.00012, 0.00001, 1e-4 * 1.5, 67.37, -67.37, 49.7, 0.1, 0.2, 0.3, 0.1 + 0.2, 1.0 / 3,
		123456.78901234, 9007199254740993, 1e21, 5e-324, math.MaxFloat64, 12.5e-3, 0.05, 100.5, 1234567.8}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		k := rng.IntN(MaxDecimalPlaces + 3)
		m := rng.Int64N(1e9) - 5e8
		vals = append(vals, float64(m)/math.Pow(10, float64(k)), rng.NormFloat64()*math.Pow(10, float64(rng.IntN(20)-10)))
	}
	for _, v := range vals {
		want := strconv.AppendFloat(nil, v, 'g', -1, 64)
		if got := AppendFloat(nil, v); string(got) != string(want) {
			t.Fatalf("AppendFloat(%v) = %s, strconv says %s", v, got, want)
		}
	}
}

// TestShortDecimalRoundTrips: what ShortDecimal finds gives v back bit for
// bit, with the fewest places.
func TestShortDecimalRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200000 {
		v := float64(rng.Int64N(2e7)-1e7) / math.Pow(10, float64(rng.IntN(7)))
		m, k, ok := ShortDecimal(v, rng.IntN(12)-2)
		if !ok {
			if v != 0 || !math.Signbit(v) {
				t.Fatalf("ShortDecimal(%v) = not short", v)
			}
			continue
		}
		if math.Float64bits(DecimalValue(m, k)) != math.Float64bits(v) {
			t.Fatalf("ShortDecimal(%v) = %d, %d: gives %v", v, m, k, DecimalValue(m, k))
		}
		if k > 0 && m%10 == 0 {
			t.Fatalf("ShortDecimal(%v) = %d, %d: not the fewest places", v, m, k)
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Copysign(0, -1), 1.0 / 3, 1e300} {
		if _, _, ok := ShortDecimal(v, 0); ok {
			t.Errorf("ShortDecimal(%v) = ok", v)
		}
	}
}

func FuzzAppendFloatMatchesStrconv(f *testing.F) {
	f.Add(67.37)
	f.Add(0.0001)
	f.Add(999999.5)
	f.Fuzz(func(t *testing.T, v float64) {
		if v != v || math.IsInf(v, 0) {
			return
		}
		want := strconv.AppendFloat(nil, v, 'g', -1, 64)
		if got := AppendFloat(nil, v); string(got) != string(want) {
			t.Fatalf("AppendFloat(%v) = %s, strconv says %s", v, got, want)
		}
	})
}

// TestAppendUTCMillisMatchesTime compares the arithmetic date with package
// time's across 1970-9999 and on both sides of that range.
func TestAppendUTCMillisMatchesTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ms := []int64{0, -1, 1, 999, 1000, 951782400000, 951868800000, 253402300799999, 253402300800000, -62135596800000}
	for range 300000 {
		ms = append(ms, rng.Int64N(253402300800000), rng.Int64N(1e12)*1000, rng.Int64N(4e12)-1e12)
	}
	for _, m := range ms {
		want := time.UnixMilli(m).UTC().AppendFormat(nil, time.RFC3339Nano)
		if got := AppendUTCMillis(nil, m); string(got) != string(want) {
			t.Fatalf("AppendUTCMillis(%d) = %s, time says %s", m, got, want)
		}
	}
}
