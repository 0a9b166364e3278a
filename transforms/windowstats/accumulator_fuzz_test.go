package windowstats

import (
	"math"
	"testing"
)

// FuzzDecodeAccumulator feeds the accumulator coder arbitrary bytes, as a
// corrupted checkpoint or shuffle would: it must fail cleanly, or decode to
// an accumulator that still merges, adds and encodes.
func FuzzDecodeAccumulator(f *testing.F) {
	var a accumulator
	f.Add(encodeAccumulator(a))
	for _, v := range []float64{1, 2, 3, 1e9, -4, 0.5} {
		a.add(v)
	}
	f.Add(encodeAccumulator(a))
	f.Add(make([]byte, 40))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := decodeAccumulator(b)
		if err != nil {
			return
		}
		var other accumulator
		other.add(42)
		a.merge(other)
		a.add(-1)
		if _, err := decodeAccumulator(encodeAccumulator(a)); err != nil {
			t.Fatalf("re-encoded accumulator does not decode: %v", err)
		}
		for _, q := range []float64{0, 0.5, 0.99, 1} {
			_ = a.quantile(q)
		}
		_ = math.Sqrt(a.variance())
	})
}
