package windowstats

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
)

// Sketch parameters: 1% relative accuracy; at most 1024 bins per sign, which
// covers ~9 decades of values at that accuracy before the lowest bins
// collapse.
const (
	relativeAccuracy = 0.01
	maxBins          = 1024
)

// accumulator is the mergeable state of one key's window.
type accumulator struct {
	Count    int64
	Mean, M2 float64 // Welford: M2 is the sum of squared deviations
	Min, Max float64
	sketch   *ddsketch.DDSketch
}

func newSketch() *ddsketch.DDSketch {
	s, err := ddsketch.LogCollapsingLowestDenseDDSketch(relativeAccuracy, maxBins)
	if err != nil {
		panic(err) // constant parameters: cannot fail
	}
	return s
}

func (a *accumulator) add(v float64) {
	if a.Count == 0 {
		a.Min, a.Max = v, v
	}
	a.Count++
	d := v - a.Mean
	a.Mean += d / float64(a.Count)
	a.M2 += d * (v - a.Mean)
	a.Min = math.Min(a.Min, v)
	a.Max = math.Max(a.Max, v)
	if a.sketch == nil {
		a.sketch = newSketch()
	}
	_ = a.sketch.Add(v) // only fails for NaN/Inf, which decoding rejects
}

// merge folds b into a (Chan, Golub and LeVeque's pairwise update).
func (a *accumulator) merge(b accumulator) {
	if b.Count == 0 {
		return
	}
	if a.Count == 0 {
		*a = accumulator{Count: b.Count, Mean: b.Mean, M2: b.M2, Min: b.Min, Max: b.Max, sketch: b.sketch}
		return
	}
	n := a.Count + b.Count
	d := b.Mean - a.Mean
	a.Mean += d * float64(b.Count) / float64(n)
	a.M2 += b.M2 + d*d*float64(a.Count)*float64(b.Count)/float64(n)
	a.Count = n
	a.Min = math.Min(a.Min, b.Min)
	a.Max = math.Max(a.Max, b.Max)
	if b.sketch != nil {
		if a.sketch == nil {
			a.sketch = newSketch()
		}
		_ = a.sketch.MergeWith(b.sketch)
	}
}

func (a accumulator) variance() float64 {
	if a.Count < 2 {
		return 0
	}
	return a.M2 / float64(a.Count-1)
}

func (a accumulator) quantile(q float64) float64 {
	if a.sketch == nil || a.sketch.IsEmpty() {
		return math.NaN()
	}
	v, err := a.sketch.GetValueAtQuantile(q)
	if err != nil {
		return math.NaN()
	}
	// The sketch's answer is within 1% of a true value; clamp so it never
	// falls outside the exact range.
	return math.Min(math.Max(v, a.Min), a.Max)
}

// encodeAccumulator and decodeAccumulator are the accumulator's Beam coder:
// five fixed fields, then the sketch in its own compact encoding.
func encodeAccumulator(a accumulator) []byte {
	b := make([]byte, 0, 48+64)
	b = binary.LittleEndian.AppendUint64(b, uint64(a.Count))
	for _, f := range []float64{a.Mean, a.M2, a.Min, a.Max} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	if a.sketch != nil {
		a.sketch.Encode(&b, false)
	}
	return b
}

var errShortAccumulator = errors.New("windowstats: accumulator encoding too short")

func decodeAccumulator(b []byte) (accumulator, error) {
	if len(b) < 40 {
		return accumulator{}, errShortAccumulator
	}
	a := accumulator{Count: int64(binary.LittleEndian.Uint64(b))}
	fs := []*float64{&a.Mean, &a.M2, &a.Min, &a.Max}
	for i, f := range fs {
		*f = math.Float64frombits(binary.LittleEndian.Uint64(b[8+8*i:]))
	}
	if rest := b[40:]; len(rest) > 0 {
		m, err := mapping.NewLogarithmicMapping(relativeAccuracy)
		if err != nil {
			return accumulator{}, err
		}
		// A sparse store: its size follows the bins encoded, where a dense
		// or paginated one follows their index range, and a corrupt index
		// range once asked for hundreds of GiB (found by fuzzing).
		s, err := ddsketch.DecodeDDSketch(rest, store.SparseStoreConstructor, m)
		if err != nil {
			return accumulator{}, fmt.Errorf("windowstats: decoding sketch: %w", err)
		}
		if err := checkBins(s, m); err != nil {
			return accumulator{}, err
		}
		// Re-home the decoded bins in a collapsing store so merged state
		// stays bounded.
		a.sketch = newSketch()
		_ = a.sketch.MergeWith(s)
	}
	return a, nil
}

// checkBins rejects a decoded sketch whose bins no float64 could have made:
// an index beyond the mapping's range, or a count that is not a positive
// finite number. The collapsing store indexes arrays by bin and panics on
// such bins (found by fuzzing).
func checkBins(s *ddsketch.DDSketch, m mapping.IndexMapping) error {
	lo, hi := m.Index(m.MinIndexableValue()), m.Index(m.MaxIndexableValue())
	var bad error
	check := func(index int, count float64) bool {
		if index < lo || index > hi || !(count > 0) || math.IsInf(count, 0) {
			bad = fmt.Errorf("windowstats: corrupt sketch: bin %d holds %g", index, count)
		}
		return bad != nil
	}
	s.GetPositiveValueStore().ForEach(check)
	if bad == nil {
		s.GetNegativeValueStore().ForEach(check)
	}
	if z := s.GetZeroCount(); bad == nil && (z < 0 || math.IsNaN(z) || math.IsInf(z, 0)) {
		bad = fmt.Errorf("windowstats: corrupt sketch: zero count %g", z)
	}
	return bad
}
