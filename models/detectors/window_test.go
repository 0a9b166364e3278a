package detectors

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortedWindow checks the incremental window against sorting the last
// n values from scratch, with many ties.
func TestSortedWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, capacity := range []int{1, 2, 5, 64} {
		w := newSortedWindow(capacity)
		var all []float64
		for i := range 500 {
			x := float64(rng.IntN(20)) // ties galore
			if i%7 == 0 {
				x = rng.NormFloat64()
			}
			w.push(x)
			all = append(all, x)
			last := slices.Clone(all[max(0, len(all)-capacity):])
			slices.Sort(last)
			if !slices.Equal(w.sorted, last) {
				t.Fatalf("cap %d step %d: sorted %v, want %v", capacity, i, w.sorted, last)
			}
			if got, want := w.median(), quantile7(last, 0.5); got != want {
				t.Fatalf("median %v, want %v", got, want)
			}
			if got, want := w.quantile(0.25), quantile7(last, 0.25); math.Abs(got-want) > 1e-12 {
				t.Fatalf("q1 %v, want %v", got, want)
			}
			m := w.median()
			dev := make([]float64, len(last))
			for j, v := range last {
				dev[j] = math.Abs(v - m)
			}
			slices.Sort(dev)
			if got, want := w.mad(m), quantile7(dev, 0.5); math.Abs(got-want) > 1e-12 {
				t.Fatalf("cap %d step %d: mad %v, want %v", capacity, i, got, want)
			}
		}
	}
}

func quantile7(sorted []float64, q float64) float64 {
	h := q * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// TestZScoreMomentsStayExact: after a million slides of a series with a
// large offset, the running moments still match a two-pass computation.
func TestZScoreMomentsStayExact(t *testing.T) {
	d := NewZScore(Config{Window: 50})
	values := gaussian(8, 1_000_003, 1e6, 0.01)
	for _, v := range values {
		d.Update(v)
	}
	tail := values[len(values)-50:]
	var mean, m2 float64
	for _, v := range tail {
		mean += v
	}
	mean /= 50
	for _, v := range tail {
		m2 += (v - mean) * (v - mean)
	}
	if math.Abs(d.mean-mean) > 1e-9 || math.Abs(d.m2-m2) > 1e-6*m2 {
		t.Errorf("mean %v m2 %v; two-pass %v %v", d.mean, d.m2, mean, m2)
	}
}

// TestQuantileThreshold: on heavy-tailed data the rolling-quantile
// threshold rises above the fixed one and flags fewer points, and it never
// drops below ScoreThreshold.
func TestQuantileThreshold(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	values := make([]float64, 5000)
	for i := range values {
		values[i] = rng.ExpFloat64() - rng.ExpFloat64() // Laplace: heavier tails than a Gaussian
	}
	fixed := run(NewZScore(Config{}), values)
	adaptive := run(NewZScore(Config{Quantile: 0.995}), values)
	count := func(vs []Verdict) (n int) {
		for _, v := range vs {
			if v.Anomaly {
				n++
			}
		}
		return n
	}
	raised := false
	for _, v := range adaptive {
		if v.Threshold < DefaultScoreThreshold {
			t.Fatalf("threshold %v below the floor", v.Threshold)
		}
		raised = raised || v.Threshold > DefaultScoreThreshold
	}
	if !raised || count(adaptive) >= count(fixed) {
		t.Errorf("quantile threshold raised=%v, flagged %d vs fixed %d", raised, count(adaptive), count(fixed))
	}
}

// TestBaselineBrackets: an anomaly's lower/upper bound the values that
// would have passed, and the flagged value lies outside them.
func TestBaselineBrackets(t *testing.T) {
	for _, n := range []string{"zscore", "robust_zscore", "iqr", "ewma"} {
		d, _ := New(n, Config{})
		run(d, gaussian(6, 300, 100, 3))
		for _, x := range []float64{160, 40} {
			v := d.Update(x)
			if !v.Anomaly {
				t.Fatalf("%s: %v not flagged", n, x)
			}
			b := map[string]float64{}
			for _, m := range v.Baseline {
				b[m.Name] = m.Value
			}
			lo, hi := b["lower"], b["upper"]
			if !(lo < 100 && 100 < hi) || (x >= lo && x <= hi) {
				t.Errorf("%s: %v flagged with bounds [%v, %v]: %v", n, x, lo, hi, v.Baseline)
			}
		}
	}
}
