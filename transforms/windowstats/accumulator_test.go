package windowstats

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestMergeEqualsSequential(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var all accumulator
	parts := make([]accumulator, 7)
	var xs []float64
	for i := 0; i < 10000; i++ {
		v := 1e9 + rng.NormFloat64()*0.01 // large offset, tiny spread: cancels naive sums
		xs = append(xs, v)
		all.add(v)
		parts[rng.IntN(len(parts))].add(v)
	}
	var merged accumulator
	for _, p := range parts {
		merged.merge(p)
	}
	mean, variance := exact(xs)
	for name, a := range map[string]accumulator{"sequential": all, "merged": merged} {
		if a.Count != int64(len(xs)) {
			t.Errorf("%s count %d", name, a.Count)
		}
		if math.Abs(a.Mean-mean) > 1e-4 { // 1e-13 relative at 1e9
			t.Errorf("%s mean %v, want %v", name, a.Mean, mean)
		}
		if rel := math.Abs(a.variance()-variance) / variance; rel > 1e-6 {
			t.Errorf("%s variance %v, want %v (rel err %g)", name, a.variance(), variance, rel)
		}
	}
}

func exact(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs)-1)
}

func TestQuantilesWithinRelativeAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var a accumulator
	var xs []float64
	for i := 0; i < 20000; i++ {
		v := 20 + rng.ExpFloat64()*15
		xs = append(xs, v)
		a.add(v)
	}
	sort.Float64s(xs)
	for _, q := range []float64{0.5, 0.9, 0.99} {
		want := xs[int(q*float64(len(xs)-1))]
		if got := a.quantile(q); math.Abs(got-want)/want > 0.011 {
			t.Errorf("p%v = %v, want %v within 1%%", q*100, got, want)
		}
	}
}

func TestCoderRoundTrip(t *testing.T) {
	var a accumulator
	for _, v := range []float64{-40, -3.5, 0, 12.25, 99, 1e6} {
		a.add(v)
	}
	b, err := decodeAccumulator(encodeAccumulator(a))
	if err != nil {
		t.Fatal(err)
	}
	if b.Count != a.Count || b.Mean != a.Mean || b.M2 != a.M2 || b.Min != a.Min || b.Max != a.Max {
		t.Errorf("round trip %+v -> %+v", a, b)
	}
	for _, q := range []float64{0.1, 0.5, 0.9} {
		if a.quantile(q) != b.quantile(q) {
			t.Errorf("quantile %v: %v -> %v", q, a.quantile(q), b.quantile(q))
		}
	}
	empty, err := decodeAccumulator(encodeAccumulator(accumulator{}))
	if err != nil || empty.Count != 0 || !math.IsNaN(empty.quantile(0.5)) {
		t.Errorf("empty round trip: %+v %v", empty, err)
	}
	if _, err := decodeAccumulator([]byte{1, 2}); err == nil {
		t.Error("short encoding accepted")
	}
}

func TestParseWindow(t *testing.T) {
	if s, p, err := ParseWindow("30m/5m"); err != nil || s.Minutes() != 30 || p.Minutes() != 5 {
		t.Errorf("30m/5m = %v %v %v", s, p, err)
	}
	for _, bad := range []string{"", "5", "5m/10m", "5m/", "-1m", "x/y"} {
		if _, _, err := ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q) accepted", bad)
		}
	}
	if k := metricKey("a:b", "c"); k != "3:a:bc" {
		t.Errorf("metricKey = %q", k)
	}
	if d, m := splitMetricKey(metricKey("dev\x00:1", "temp:x")); d != "dev\x00:1" || m != "temp:x" {
		t.Errorf("split = %q %q", d, m)
	}
}
