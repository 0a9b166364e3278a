package detectors

import (
	"math"

	"github.com/beamlens/beamlens/models/events"
)

// maxLearnable bounds the values a detector learns from. Variances square
// their inputs, and a value beyond this would overflow them to Inf and spoil
// every later verdict; such a value is still scored (and flagged), just not
// learned.
const maxLearnable = 1e100

// model is a detector split into its two halves, so that Update and the
// ensemble share one path: judge x against the state, describe the state
// when x is an anomaly, then fold x in.
type model interface {
	// peek judges x (finite) without changing any state.
	peek(x float64) Verdict
	// appendBaseline describes what normal looked like for the verdict v
	// just peeked, names prefixed with prefix.
	appendBaseline(dst []events.Metric, prefix string, v Verdict) []events.Metric
	// learn folds x into the state; v is peek's verdict on it.
	learn(x float64, v Verdict)
}

// step is Update for every univariate detector. The baseline is built only
// for anomalies, so the per-reading path allocates nothing.
func step(m model, x float64) Verdict {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return Verdict{Skipped: true}
	}
	x += 0 // turn -0 into +0, so state never depends on the sign of zero
	v := m.peek(x)
	if v.Anomaly {
		v.Baseline = m.appendBaseline(nil, "", v)
	}
	if math.Abs(x) <= maxLearnable {
		m.learn(x, v)
	}
	return v
}

// gate is what every learned detector shares: how many points it has
// learned, how many it must learn before it may flag, and its threshold.
type gate struct {
	warmUp    int
	n         uint64 // points learned
	threshold scoreThreshold
	res       []resolution // per metric: the scale floor (see resolution)
}

// newGate returns the gate of a detector judging d metrics (1 for a
// univariate one).
func newGate(s settings, d int) gate {
	return gate{warmUp: s.warmUp, threshold: newScoreThreshold(s), res: make([]resolution, d)}
}

// floor is the smallest scale metric i may be judged with (see
// resolution); centre is the detector's current centre for it.
func (g *gate) floor(i int, centre float64) float64 { return g.res[i].floor(centre) }

// judge turns a score into a verdict. ready says whether the detector's
// arithmetic has what it needs (two points for a variance, a reference
// window for hst); until then, and during warm-up, it never flags.
func (g *gate) judge(score float64, ready bool) Verdict {
	switch {
	case score > math.MaxFloat64:
		score = math.MaxFloat64 // a score, unlike Inf, survives JSON
	case score != score:
		score = 0 // only damaged state yields NaN; it is no evidence
	}
	v := Verdict{Score: score, Threshold: g.threshold.current()}
	if !ready || g.n < uint64(g.warmUp) {
		v.Warming = true
		return v
	}
	v.Anomaly = score > v.Threshold
	return v
}

// learned counts a learned point x, teaches the resolution, and lets the
// threshold see its score; warm-up scores, judged against too little data,
// are not representative.
func (g *gate) learned(x float64, v Verdict) {
	g.res[0].observe(x)
	g.count(v)
}

// learnedVector is learned for a vector detector.
func (g *gate) learnedVector(x []float64, v Verdict) {
	for i := range g.res {
		g.res[i].observe(x[i])
	}
	g.count(v)
}

func (g *gate) count(v Verdict) {
	g.n++
	if !v.Warming {
		g.threshold.observe(v.Score)
	}
}

func (g *gate) reset() {
	g.n = 0
	g.threshold.reset()
	for i := range g.res {
		g.res[i].reset()
	}
}

func (g *gate) appendState(b []byte) []byte {
	b = appendUvarint(b, g.n)
	for i := range g.res {
		b = g.res[i].appendState(b)
	}
	return g.threshold.appendState(b)
}

func (g *gate) readState(s *stateReader) {
	g.n = s.uvarint()
	for i := range g.res {
		g.res[i].readState(s)
	}
	g.threshold.readState(s)
}

// shapeFingerprint adds the gate's state-shaping parameters.
func (g *gate) shapeFingerprint(f *fingerprint) *fingerprint {
	if g.threshold.scores == nil {
		return f.int(0)
	}
	return f.int(len(g.threshold.scores.buf))
}

// scoreThreshold is fixed at floor, or, with a quantile, the rolling
// quantile of the detector's own past scores, never below floor. The floor
// keeps a quiet series from flagging its own noise: a pure quantile would
// flag a fixed share of points however normal they are.
type scoreThreshold struct {
	floor    float64
	q        float64
	minCount int
	scores   *sortedWindow // nil when fixed
}

func newScoreThreshold(s settings) scoreThreshold {
	t := scoreThreshold{floor: s.scoreThreshold}
	if s.quantile > 0 {
		w := newSortedWindow(s.quantileWindow)
		t.q, t.scores = s.quantile, &w
		// Below 1/(1-q) scores the quantile is just the maximum seen.
		t.minCount = min(s.quantileWindow, int(math.Ceil(1/(1-s.quantile))))
	}
	return t
}

func (t *scoreThreshold) current() float64 {
	if t.scores == nil || t.scores.n < t.minCount {
		return t.floor
	}
	return max(t.floor, t.scores.quantile(t.q))
}

func (t *scoreThreshold) observe(score float64) {
	if t.scores != nil {
		t.scores.push(score)
	}
}

func (t *scoreThreshold) reset() {
	if t.scores != nil {
		t.scores.reset()
	}
}

func (t *scoreThreshold) appendState(b []byte) []byte {
	if t.scores == nil {
		return b
	}
	return t.scores.appendState(b)
}

func (t *scoreThreshold) readState(s *stateReader) {
	if t.scores != nil {
		t.scores.readState(s)
	}
}

// metric builds one baseline entry, prefixing its name for ensembles.
func metric(prefix, name string, v float64) events.Metric {
	if prefix != "" {
		name = prefix + "." + name
	}
	return events.Metric{Name: name, Value: v}
}
