package windowstats

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

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

// exactMax is how many values an accumulator keeps exactly before it moves
// them into a sketch. Most windows are small (a device reporting every few
// seconds fills a 5-minute window with ~100 values, the generator's with 5):
// below this count quantiles are exact and cost one slice, not the ~2 KiB
// and ~1 µs per value of a DDSketch.
const exactMax = 128

// accumulator is the mergeable state of one key's window.
type accumulator struct {
	Count    int64
	Mean, M2 float64 // Welford: M2 is the sum of squared deviations
	Min, Max float64
	// vals holds every value while Count <= exactMax and sketch is nil.
	vals   []float64
	sketch *ddsketch.DDSketch
}

func newSketch() *ddsketch.DDSketch {
	s, err := ddsketch.LogCollapsingLowestDenseDDSketch(relativeAccuracy, maxBins)
	if err != nil {
		panic(err) // constant parameters: cannot fail
	}
	return s
}

func (a *accumulator) add(v float64) {
	a.count(v)
	if a.sketch == nil && len(a.vals) < exactMax {
		a.vals = append(a.vals, v)
		return
	}
	a.toSketch()
	_ = a.sketch.Add(v) // only fails for NaN/Inf, which decoding rejects
}

// toSketch moves the exact values into a sketch, once there are too many.
func (a *accumulator) toSketch() {
	if a.sketch != nil {
		return
	}
	a.sketch = newSketch()
	for _, v := range a.vals {
		_ = a.sketch.Add(v)
	}
	a.vals = nil
}

// merge folds b into a (Chan, Golub and LeVeque's pairwise update).
func (a *accumulator) merge(b accumulator) {
	if b.Count == 0 {
		return
	}
	if a.Count == 0 {
		*a = accumulator{Count: b.Count, Mean: b.Mean, M2: b.M2, Min: b.Min, Max: b.Max,
			vals: append([]float64(nil), b.vals...), sketch: b.sketch}
		return
	}
	n := a.Count + b.Count
	d := b.Mean - a.Mean
	a.Mean += d * float64(b.Count) / float64(n)
	a.M2 += b.M2 + d*d*float64(a.Count)*float64(b.Count)/float64(n)
	a.Count = n
	a.Min = math.Min(a.Min, b.Min)
	a.Max = math.Max(a.Max, b.Max)
	switch {
	case a.sketch == nil && b.sketch == nil && len(a.vals)+len(b.vals) <= exactMax:
		a.vals = append(a.vals, b.vals...)
	case b.sketch != nil:
		a.toSketch()
		_ = a.sketch.MergeWith(b.sketch)
	default:
		a.toSketch()
		for _, v := range b.vals {
			_ = a.sketch.Add(v)
		}
	}
}

// momentsOfSorted recomputes Mean and M2 from the exact values, sorted:
// merged partials' moments depend, in their last digits, on the order the
// runner merged them in, and a window's record must not (the same input
// gives the same bytes on prism, direct and Flink, run after run). Only
// while the values are all held (sketch nil).
func (a *accumulator) momentsOfSorted() {
	if a.sketch != nil || int64(len(a.vals)) != a.Count {
		return
	}
	a.Mean, a.M2 = 0, 0
	for i, v := range a.vals {
		d := v - a.Mean
		a.Mean += d / float64(i+1)
		a.M2 += d * (v - a.Mean)
	}
}

// fromValues sets the count, extremes and moments of an accumulator that
// holds only its exact values (a decoded partial's window).
func (a *accumulator) fromValues() {
	a.Count, a.Mean, a.M2 = 0, 0, 0
	for _, v := range a.vals {
		a.count(v)
	}
}

// count adds v to the count, the extremes and the moments (Welford).
func (a *accumulator) count(v float64) {
	if a.Count == 0 {
		a.Min, a.Max = v, v
	}
	a.Count++
	d := v - a.Mean
	a.Mean += d / float64(a.Count)
	a.M2 += d * (v - a.Mean)
	a.Min = math.Min(a.Min, v)
	a.Max = math.Max(a.Max, v)
}

func (a accumulator) variance() float64 {
	if a.Count < 2 {
		return 0
	}
	return a.M2 / float64(a.Count-1)
}

func (a accumulator) quantile(q float64) float64 {
	if a.sketch == nil {
		return exactQuantile(a.vals, q)
	}
	if a.sketch.IsEmpty() {
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

// quantileSorted is quantile for an accumulator whose exact values are
// sorted (statsInto sorts them once for all quantiles).
func (a accumulator) quantileSorted(q float64) float64 {
	if a.sketch != nil {
		return a.quantile(q)
	}
	if len(a.vals) == 0 {
		return math.NaN()
	}
	return a.vals[int(q*float64(len(a.vals)-1))]
}

// exactQuantile is the value at rank floor(q*(n-1)) of vals, the rank
// DDSketch answers for, so the exact and the sketched answers agree within
// the sketch's accuracy. It sorts a copy; NaN for no values.
func exactQuantile(vals []float64, q float64) float64 {
	if len(vals) == 0 {
		return math.NaN()
	}
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	return sorted[int(q*float64(len(sorted)-1))]
}

// encodeAccumulator and decodeAccumulator are the accumulator's Beam coder:
// five fixed fields, then a tag byte: 'e' and the exact values, or 's' and
// the sketch in its own compact encoding.
func encodeAccumulator(a accumulator) []byte {
	return appendAccumulator(make([]byte, 0, 48+8*len(a.vals)), a)
}

func appendAccumulator(b []byte, a accumulator) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(a.Count))
	for _, f := range [...]float64{a.Mean, a.M2, a.Min, a.Max} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	if a.sketch != nil {
		b = append(b, 's')
		a.sketch.Encode(&b, false)
		return b
	}
	b = append(b, 'e')
	for _, v := range a.vals {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

var errShortAccumulator = errors.New("windowstats: accumulator encoding too short or corrupt")

func decodeAccumulator(b []byte) (accumulator, error) {
	if len(b) < 40 {
		return accumulator{}, errShortAccumulator
	}
	a := accumulator{Count: int64(binary.LittleEndian.Uint64(b))}
	fs := []*float64{&a.Mean, &a.M2, &a.Min, &a.Max}
	for i, f := range fs {
		*f = math.Float64frombits(binary.LittleEndian.Uint64(b[8+8*i:]))
	}
	rest := b[40:]
	if len(rest) == 0 {
		return a, nil
	}
	tag, rest := rest[0], rest[1:]
	switch {
	case tag == 'e' && len(rest)%8 == 0 && len(rest)/8 <= exactMax:
		if n := len(rest) / 8; n > 0 {
			a.vals = make([]float64, n)
		}
		for i := range a.vals {
			a.vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(rest[8*i:]))
		}
		return a, nil
	case tag != 's':
		return accumulator{}, errShortAccumulator
	}
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
