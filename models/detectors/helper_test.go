package detectors

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// stream is a synthetic sensor series with anomalies at known places.
type stream struct {
	values []float64
	spikes []int // injected spikes, ±8 sd
	shift  int   // first index after a +6 sd level shift
}

// gaussian returns n draws of level + sd·N(0,1) from a seeded generator,
// so every run sees the same series.
func gaussian(seed uint64, n int, level, sd float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]float64, n)
	for i := range out {
		out[i] = level + sd*rng.NormFloat64()
	}
	return out
}

// spiky is 2,000 points of N(20, 1) with spikes every 150 points from 300,
// alternating up and down, and a level shift of +6 at 1,200.
func spiky(seed uint64) stream {
	s := stream{values: gaussian(seed, 2000, 20, 1), shift: 1200}
	for i := s.shift; i < len(s.values); i++ {
		s.values[i] += 6
	}
	for k, i := 0, 300; i < len(s.values)-100; k, i = k+1, i+150 {
		if i >= s.shift && i < s.shift+250 {
			continue // keep spikes out of the shift's own alarm stretch
		}
		sign := 1.0
		if k%2 == 1 {
			sign = -1
		}
		s.values[i] += sign * 8
		s.spikes = append(s.spikes, i)
	}
	return s
}

// run feeds values to d and returns every verdict.
func run(d Detector, values []float64) []Verdict {
	out := make([]Verdict, len(values))
	for i, v := range values {
		out[i] = d.Update(v)
	}
	return out
}

// flavour is one detector configuration the shared suite runs.
type flavour struct {
	name string // detector name for New
	cfg  Config
	// warm is how many points the detector needs before it may flag: its
	// warm-up plus whatever its arithmetic needs on top.
	warm int
	// maxFalse is the largest tolerated share of false alarms on normal
	// stretches after warm-up.
	maxFalse float64
	// static detectors learn nothing: the quality checks do not apply.
	static bool
	// spikeSigmas, when set, makes the spikes this many sd instead of 8:
	// for detectors built to let moderate spikes pass as noise of a
	// heavy-tailed series (likelihood's lone-spike path starts at 15).
	spikeSigmas float64
	// shiftWithin is how many points after the level shift starts one of
	// them must be flagged. Default 5; likelihood averages ten raw scores
	// and takes up to 10.
	shiftWithin int
	// recovery is how many points after a level shift the detector may
	// take to settle: rolling windows need about half a window to move,
	// hst two reference windows.
	recovery int
}

func flavours() []flavour {
	hstWarm := DefaultTreeWindow + minLogs
	fs := []flavour{
		{name: "threshold", cfg: Config{Threshold: 30}, static: true},
		{name: "zscore", warm: DefaultWarmUp, maxFalse: 0.005},
		{name: "robust_zscore", warm: DefaultWarmUp, maxFalse: 0.01},
		{name: "iqr", warm: DefaultWarmUp, maxFalse: 0.01},
		{name: "ewma", warm: DefaultWarmUp, maxFalse: 0.005},
		{name: "mahalanobis", warm: DefaultWarmUp, maxFalse: 0.005},
		{name: "hst", warm: hstWarm, maxFalse: 0.005},
		{name: "ensemble", warm: DefaultWarmUp, maxFalse: 0.005, spikeSigmas: 30, shiftWithin: 10},
		{name: "ensemble", cfg: Config{Combine: CombineVote, Members: []string{"robust_zscore", "ewma", "hst"}},
			warm: DefaultWarmUp, maxFalse: 0.005},
		{name: "likelihood", warm: DefaultWarmUp, maxFalse: 0.005, spikeSigmas: 30, shiftWithin: 10},
		// stuck judges runs of equal values, not values: the value checks
		// do not apply (sensorhealth_test.go tests it).
		{name: "stuck", static: true},
		{name: "zscore", cfg: Config{Quantile: 0.99, QuantileWindow: 200}, warm: DefaultWarmUp, maxFalse: 0.005},
		{name: "ensemble", cfg: Config{Combine: CombineMax, Members: []string{"zscore", "iqr", "mahalanobis"}},
			warm: DefaultWarmUp, maxFalse: 0.01},
	}
	for i := range fs {
		fs[i].recovery = 5 * DefaultWindow / 2
		if fs[i].name == "hst" || (fs[i].name == "ensemble" && slices.Contains(fs[i].cfg.Members, "hst")) {
			fs[i].recovery = 2*DefaultTreeWindow + 50
		}
	}
	return fs
}

func (f flavour) label() string {
	l := f.name
	if f.cfg.Quantile > 0 {
		l += "/quantile"
	}
	if len(f.cfg.Members) > 0 {
		l += "/" + f.cfg.Combine.String()
	}
	return l
}

func (f flavour) build(t testing.TB) Detector {
	t.Helper()
	d, err := New(f.name, f.cfg)
	if err != nil {
		t.Fatalf("New(%q): %v", f.name, err)
	}
	return d
}
