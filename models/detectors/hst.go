package detectors

import (
	"fmt"
	"math"
	"slices"

	"github.com/beamlens/beamlens/models/events"
)

// HalfSpaceTrees is the streaming tree ensemble of Tan, Ting and Liu
// (2011): random trees halve the space, each node counting the points of
// the last full window (the reference) that fell in it, and a point is
// anomalous where the reference put little mass. It assumes no
// distribution, so it finds points in empty regions of a multi-modal series,
// or between metrics that move together, that mean and spread miss. Memory
// is fixed: Trees × (2^(Depth+1)-1) counts and one window of points.
//
// Four changes make the paper's algorithm a detector for unbounded sensor
// values with a z-like score:
//
//   - Trees cut the unit cube, so each window's points are standardised by
//     their own centre and spread (spanCentreScale; ±4 sigma spans the
//     cube) before they become the reference, and new points are judged in
//     that frame. The frame follows level shifts window by window, where
//     the paper's fixed bounds leave a shifted series piled in one corner.
//     Rebuilding the reference from the buffered window costs the same as
//     the paper's counting as points arrive, and needs no second profile.
//   - The reference is trimmed of the points it would itself flag (see
//     rotate), so one spike does not mask the next.
//   - A point is scored at the first node on its path holding no reference
//     point, or at its leaf (hsForest.logMass), not at the paper's mass
//     limit, so a far outlier and a point in the thin tail differ.
//   - The log-mass deficit below the median of the last TreeWindow
//     log-masses is read as a log-density ratio and mapped as for one
//     Gaussian variable: 2 ln 2 per bit added to the median of
//     chi-squared(1), then to a z-like score as mahalanobis maps distances.
//     On Gaussian noise its quantiles then match |z|'s. With several
//     metrics each gets only Depth/d cuts, so deficits grow more slowly
//     than a Gaussian's, and one degree of freedom, measured, keeps false
//     alarms as rare (about 5 in 10,000 for one to three metrics).
//
// A window of W points cannot tell "rarer than 1 in W" from "never seen",
// so scores saturate near 4 (TreeWindow 250): hst flags points in empty
// regions at the default threshold, but a ScoreThreshold above about 3.7
// silences it. With three or more metrics a spike in just one may escape
// the trees, which cut each metric only a few times; hst is for joint
// anomalies, beside a per-metric detector. Warm-up is the first TreeWindow
// points (the first reference) and 16 scores, or WarmUp if longer.
// Everything random is drawn from Seed, so equal Configs build equal
// trees.
//
// Baseline: log_mass of the point and median_log_mass of recent points.
// Verdict.Metric names the metric furthest, in sigmas, from the
// reference's centre.
type HalfSpaceTrees struct {
	gate
	metrics       []string
	d, window     int
	forest        hsForest
	buf           []float64 // the current window's points, window×d
	inBuf         int
	suspect       []bool // which buffered points scored above trimSuspect on arrival
	hasRef        bool
	centre, width []float64 // the reference's standardisation
	median        []float64 // the reference's median, per metric
	logs          sortedWindow
	fp            uint64
	// scratch, not state
	x, u, column []float64
	lastLog      float64
}

const (
	// minLogs is how many log-masses make a median worth trusting.
	minLogs = 16
	// unitSigmas is how many sigmas span the unit cube. The trees'
	// work space reaches at least half a cube beyond each face, ±8 sigma,
	// room for outliers to land in empty nodes; wider would cost
	// resolution, which with several metrics Depth shares between them.
	unitSigmas = 8
	// trimSuspect is the arrival score above which a point is checked for
	// trimming from its own window's reference: about the least dense
	// sixth of points. It sits well below any useful threshold because
	// scores after a level shift run low until two references have passed.
	trimSuspect = 1
)

// NewHalfSpaceTrees returns Half-Space Trees over the named metrics, in the
// order UpdateVector receives them; with no metrics it is univariate, for
// Update. It panics on an invalid Config or metric list.
func NewHalfSpaceTrees(metrics []string, cfg Config) *HalfSpaceTrees {
	mustCheckMetrics("NewHalfSpaceTrees", metrics)
	return newHalfSpaceTrees(cfg.mustResolve("NewHalfSpaceTrees"), slices.Clone(metrics))
}

func newHalfSpaceTrees(s settings, metrics []string) *HalfSpaceTrees {
	d := max(1, len(metrics))
	w := s.treeWindow
	h := &HalfSpaceTrees{gate: newGate(s, d), metrics: metrics, d: d, window: w,
		forest:  newHSForest(s.seed, d, s.trees, s.depth, w),
		buf:     make([]float64, w*d),
		suspect: make([]bool, w),
		centre:  make([]float64, d), width: make([]float64, d), median: make([]float64, d),
		logs: newSortedWindow(w),
		x:    make([]float64, d), u: make([]float64, d), column: make([]float64, w)}
	f := h.shapeFingerprint(newFingerprint(kindHST).int(w).int(d).
		int(s.trees).int(s.depth).int(int(s.seed)))
	for _, m := range metrics {
		f.str(m)
	}
	h.fp = f.sum()
	return h
}

// Name implements Detector and VectorDetector.
func (h *HalfSpaceTrees) Name() string { return "hst" }

// Metrics implements VectorDetector.
func (h *HalfSpaceTrees) Metrics() []string { return h.metrics }

// Update implements Detector for univariate trees. It panics on trees
// built for several metrics.
func (h *HalfSpaceTrees) Update(v float64) Verdict {
	if h.d != 1 {
		panic(fmt.Sprintf("detectors.HalfSpaceTrees.Update: detector has %d metrics; use UpdateVector", h.d))
	}
	return step(h, v)
}

// UpdateVector implements VectorDetector: values[i] is metric i, NaN for a
// metric the reading lacks; a reading with any NaN or Inf is skipped whole.
func (h *HalfSpaceTrees) UpdateVector(values []float64) Verdict {
	if len(values) != h.d {
		panic(fmt.Sprintf("detectors.HalfSpaceTrees.UpdateVector: %d values for %d metrics", len(values), h.d))
	}
	return stepVector(h, values, h.x)
}

func (h *HalfSpaceTrees) peek(x float64) Verdict {
	h.x[0] = x
	return h.peekVector(h.x)
}

func (h *HalfSpaceTrees) learn(x float64, v Verdict) {
	h.x[0] = x
	h.learnVector(h.x, v)
}

func (h *HalfSpaceTrees) standardise(x []float64) {
	for i, v := range x {
		h.u[i] = 0.5 + (v-h.centre[i])/h.width[i]
	}
}

func (h *HalfSpaceTrees) peekVector(x []float64) Verdict {
	if !h.hasRef {
		return h.judge(0, false)
	}
	h.standardise(x)
	h.lastLog = h.forest.logMass(h.u, 0)
	if h.logs.n < minLogs {
		return h.judge(0, false)
	}
	return h.judge(h.withinResolution(x, h.zOf(h.lastLog)), true)
}

// withinResolution caps the score of a point no more than one resolution
// step, in every metric, from the reference's median or from the previous
// reading at 2, as the scale floor caps the distance detectors': density
// alone would call a value rare that a quantised sensor shows 2% of the
// time, yet one step is never an anomaly on its own.
func (h *HalfSpaceTrees) withinResolution(x []float64, score float64) float64 {
	const oneStep = 1 / resolutionSigmas
	if score <= oneStep {
		return score
	}
	for i, v := range x {
		r := &h.res[i]
		step := r.current() * (1 + 1e-9)
		if !(math.Abs(v-h.median[i]) <= step || math.Abs(v-r.last) <= step) {
			return score
		}
	}
	return oneStep
}

// zOf maps a log-mass to the score: the squared distance of one Gaussian
// variable whose density deficit below the median's equals the log-mass
// deficit (2 ln 2 per bit), then its z, as mahalanobis maps distances.
func (h *HalfSpaceTrees) zOf(logMass float64) float64 {
	d2 := max(0, chiSquaredAt(0, 1)+2*math.Ln2*(h.logs.median()-logMass))
	return max(0, chiSquaredZ(d2, 1))
}

func (h *HalfSpaceTrees) blame() string {
	if len(h.metrics) < 2 {
		return ""
	}
	best := 0
	for i, u := range h.u {
		if math.Abs(u-0.5) > math.Abs(h.u[best]-0.5) {
			best = i
		}
	}
	return h.metrics[best]
}

func (h *HalfSpaceTrees) appendBaseline(dst []events.Metric, p string, _ Verdict) []events.Metric {
	return append(dst, metric(p, "log_mass", h.lastLog), metric(p, "median_log_mass", h.logs.median()))
}

// learnVector relies on peekVector having just run on the same x: it keeps
// the log-mass peek computed rather than walking the trees twice.
func (h *HalfSpaceTrees) learnVector(x []float64, v Verdict) {
	if h.hasRef {
		h.logs.push(h.lastLog)
	}
	copy(h.buf[h.inBuf*h.d:], x)
	h.suspect[h.inBuf] = v.Score > trimSuspect
	if h.inBuf++; h.inBuf == h.window {
		h.rotate()
	}
	h.learnedVector(x, v)
}

// rotate makes the full window the reference: its own standardisation,
// then its points counted into fresh masses, then the points that this
// reference would itself flag taken out again. Without that trimming one
// spike masks the next: a second spike landing near the first finds mass
// there and looks normal. A level shift or a minor mode, many points
// together, is not trimmed, so the reference still follows the series.
// Only points that scored above trimSuspect on arrival are checked: a
// point typical of the last reference is hardly ever alone in its own
// window, and checking every point would double the cost of a rotation.
func (h *HalfSpaceTrees) rotate() {
	for i := range h.d {
		for j := range h.window {
			h.column[j] = h.buf[j*h.d+i]
		}
		h.centre[i], h.width[i] = spanCentreScale(h.column, h.res[i].floor(0))
		h.median[i] = h.column[h.window/2] // spanCentreScale sorted it
		h.width[i] *= unitSigmas
	}
	h.forest.reset()
	for j := range h.window {
		h.standardise(h.buf[j*h.d : (j+1)*h.d])
		h.forest.add(h.u, 1)
	}
	if h.logs.n >= minLogs {
		limit := h.threshold.current()
		for j := range h.window {
			if !h.suspect[j] {
				continue
			}
			h.standardise(h.buf[j*h.d : (j+1)*h.d])
			if h.zOf(h.forest.logMass(h.u, 1)) > limit {
				h.forest.add(h.u, ^uint16(0)) // subtract one
			}
		}
	}
	h.inBuf, h.hasRef = 0, true
}

// spanCentreScale sorts column and returns the middle of its central 98%
// and that span in Gaussian sigmas. Unlike median and MAD, the span sees
// every mode: for two clusters the MAD measures the gap and blurs both
// into a few cells. Trimming 1% at each end keeps a spike or two from
// stretching it. A column mostly on one value falls back to the robust
// scale.
func spanCentreScale(column []float64, floor float64) (centre, sigma float64) {
	slices.Sort(column)
	w := sortedWindow{ring: ring{buf: column, n: len(column)}, sorted: column}
	lo, hi := w.quantile(0.01), w.quantile(0.99)
	if hi > lo {
		return (lo + hi) / 2, max((hi-lo)/centralSpan98, floor, scaleFloor(lo))
	}
	m := w.median()
	return m, w.robustScale(m, floor)
}

// centralSpan98 is the width of a standard normal's central 98%.
const centralSpan98 = 4.652695748081682

// Reset implements Detector and VectorDetector.
func (h *HalfSpaceTrees) Reset() {
	h.gate.reset()
	h.forest.reset()
	h.inBuf, h.hasRef = 0, false
	clear(h.centre)
	clear(h.median)
	clear(h.width)
	h.logs.reset()
}

func (h *HalfSpaceTrees) appendBody(b []byte) []byte {
	b = h.gate.appendState(b)
	b = appendBool(b, h.hasRef)
	for i := range h.centre {
		b = appendFloat(appendFloat(appendFloat(b, h.centre[i]), h.width[i]), h.median[i])
	}
	b = appendUvarint(b, uint64(h.inBuf))
	for _, v := range h.buf[:h.inBuf*h.d] {
		b = appendFloat(b, v)
	}
	for _, f := range h.suspect[:h.inBuf] {
		b = appendBool(b, f)
	}
	b = h.logs.appendState(b)
	return h.forest.appendState(b)
}

func (h *HalfSpaceTrees) readBody(r *stateReader) {
	h.gate.readState(r)
	h.hasRef = r.bool()
	for i := range h.centre {
		h.centre[i], h.width[i], h.median[i] = r.float(), r.float(), r.float()
		if h.hasRef && !(h.width[i] > 0) {
			r.fail("bad standardisation width")
		}
	}
	h.inBuf = r.count(h.window - 1)
	for i := range h.buf[:h.inBuf*h.d] {
		h.buf[i] = r.float()
	}
	for i := range h.suspect[:h.inBuf] {
		h.suspect[i] = r.bool()
	}
	h.logs.readState(r)
	h.forest.readState(r, h.window)
}

// AppendBinary implements encoding.BinaryAppender.
func (h *HalfSpaceTrees) AppendBinary(b []byte) ([]byte, error) {
	return marshal(b, h, kindHST, h.fp), nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (h *HalfSpaceTrees) MarshalBinary() ([]byte, error) { return h.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (h *HalfSpaceTrees) UnmarshalBinary(data []byte) error {
	return restore(data, h, kindHST, h.fp)
}
