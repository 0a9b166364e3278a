package detectors

import (
	"math"

	"github.com/beamlens/beamlens/models/events"
)

// EWMA is Roberts' exponentially weighted moving-average control chart: the
// chart statistic c = Alpha x + (1-Alpha) c' smooths the series, and a point
// is scored by how far c lies from the centre line in units of c's own
// standard deviation, sigma sqrt(Alpha/(2-Alpha)). Smoothing lets a small
// sustained shift accumulate until it crosses the limit, which a per-point
// z-score never sees. Smoothing also dilutes a single spike, so, as in
// Lucas and Saccucci's combined Shewhart-EWMA scheme, the score is the
// larger of the chart's and the point's own distance from the centre in
// sigmas: the chart for small shifts, the point for spikes.
//
// A textbook chart fixes its centre and sigma from an in-control phase.
// Streams drift, so here both are exponentially weighted over an effective
// Window points: after a level shift the chart alarms while the centre
// catches up, then falls quiet. Residuals beyond clipSigma are clipped
// before they reach sigma, so one spike cannot widen the limits for the
// next hundred points.
//
// Baseline: ewma (the centre line), sigma, chart (the statistic before this
// point), and lower/upper, centre ± threshold sigma: the range of a normal
// reading. (The chart's own limit on this reading would be empty whenever
// the chart is still high from a recent excursion.)
type EWMA struct {
	gate
	lambda, span float64 // chart weight (Alpha), centre/sigma weight
	centre, vari float64
	chart        float64
	fp           uint64
}

// clipSigma bounds how far from the centre a residual counts when learning
// sigma.
const clipSigma = 5

// NewEWMA returns an EWMA control chart; it panics on an invalid Config.
func NewEWMA(cfg Config) *EWMA { return newEWMA(cfg.mustResolve("NewEWMA")) }

func newEWMA(s settings) *EWMA {
	d := &EWMA{gate: newGate(s, 1), lambda: s.alpha, span: s.spanWeight()}
	d.fp = d.shapeFingerprint(newFingerprint(kindEWMA).int(s.window).float(s.alpha)).sum()
	return d
}

// Name implements Detector.
func (d *EWMA) Name() string { return "ewma" }

// Update implements Detector.
func (d *EWMA) Update(v float64) Verdict { return step(d, v) }

func (d *EWMA) sigma() float64 { return max(math.Sqrt(d.vari), d.floor(0, d.centre)) }

// chartSigma is the asymptotic standard deviation of the chart statistic.
func (d *EWMA) chartSigma() float64 { return d.sigma() * math.Sqrt(d.lambda/(2-d.lambda)) }

// next is the chart statistic once x is folded in.
func (d *EWMA) next(x float64) float64 {
	if d.n == 0 {
		return x
	}
	return d.lambda*x + (1-d.lambda)*d.chart
}

func (d *EWMA) peek(x float64) Verdict {
	chart := math.Abs(d.next(x)-d.centre) / d.chartSigma()
	point := math.Abs(x-d.centre) / d.sigma()
	return d.judge(max(chart, point), d.n >= 2)
}

func (d *EWMA) appendBaseline(dst []events.Metric, p string, v Verdict) []events.Metric {
	sigma := d.sigma()
	return append(dst, metric(p, "ewma", d.centre), metric(p, "sigma", sigma), metric(p, "chart", d.chart),
		metric(p, "lower", d.centre-v.Threshold*sigma), metric(p, "upper", d.centre+v.Threshold*sigma))
}

// learn moves the centre and variance with weight max(1/n, span): exact
// running moments while fewer than Window points have been seen, so the
// start is not biased towards the first value, exponential after.
func (d *EWMA) learn(x float64, v Verdict) {
	d.chart = d.next(x)
	w := max(1/float64(d.n+1), d.span)
	r := x - d.centre
	rv := r
	if !v.Warming {
		limit := clipSigma * d.sigma()
		rv = max(-limit, min(limit, r))
	}
	d.centre += w * r
	d.vari = (1 - w) * (d.vari + w*rv*rv)
	d.learned(x, v)
}

// Reset implements Detector.
func (d *EWMA) Reset() {
	d.gate.reset()
	d.centre, d.vari, d.chart = 0, 0, 0
}

func (d *EWMA) appendBody(b []byte) []byte {
	b = d.gate.appendState(b)
	b = appendFloat(b, d.centre)
	b = appendFloat(b, d.vari)
	return appendFloat(b, d.chart)
}

func (d *EWMA) readBody(r *stateReader) {
	d.gate.readState(r)
	d.centre, d.vari, d.chart = r.float(), r.float(), r.float()
	if d.vari < 0 {
		r.fail("negative variance")
	}
}

// AppendBinary implements encoding.BinaryAppender.
func (d *EWMA) AppendBinary(b []byte) ([]byte, error) {
	return marshal(b, d, kindEWMA, d.fp), nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (d *EWMA) MarshalBinary() ([]byte, error) { return d.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (d *EWMA) UnmarshalBinary(data []byte) error {
	return restore(data, d, kindEWMA, d.fp)
}
