package detectors

import (
	"fmt"
	"math"
	"slices"

	"github.com/beamlens/beamlens/models/events"
)

// Mahalanobis scores a device's metrics together: the squared Mahalanobis
// distance (Hotelling's T² with a known covariance) of the reading from the
// exponentially weighted mean, under the exponentially weighted covariance,
// both spanning about Window readings. It sees what per-metric detectors
// cannot: two metrics that always move together suddenly disagreeing, each
// within its own normal range.
//
// The distance is mapped to a z-like score by the Wilson-Hilferty cube-root
// approximation of the chi-squared distribution with one degree of freedom
// per metric: the score is the standard normal quantile with the same upper
// tail, so it shares the univariate detectors' scale whatever the number of
// metrics. Readings beyond clipSigma teach the covariance as if they lay on
// that radius, so one wild reading does not widen it for long.
//
// The covariance is factorised afresh for every reading (Cholesky, d³/6
// multiply-adds) rather than its inverse updated by Sherman-Morrison: that
// costs little for a handful of metrics and keeps the state a pure function
// of mean and covariance, with no drift to carry across a restore.
//
// It is ready once it has seen one more reading than it has metrics. Built
// with no metrics (as New does) it is univariate: an exponentially weighted
// z-score.
//
// Baseline: each metric's mean and std ("temperature.mean", ...);
// Verdict.Metric names the metric contributing most to the distance.
type Mahalanobis struct {
	gate
	metrics   []string
	d         int
	span      float64
	mean, cov []float64 // cov is d×d, row-major, kept exactly symmetric
	names     []string  // baseline names, two per metric
	fp        uint64
	// scratch, not state
	x, dev, chol, y, sol []float64
	lastD2               float64
}

// maxMetrics bounds a vector detector's width, and with it the cubic cost
// of a factorisation and the quadratic size of the state.
const maxMetrics = 64

// NewMahalanobis returns a Mahalanobis detector over the named metrics, in
// the order UpdateVector receives them; with no metrics it is univariate,
// for Update. It panics on an invalid Config or metric list.
func NewMahalanobis(metrics []string, cfg Config) *Mahalanobis {
	mustCheckMetrics("NewMahalanobis", metrics)
	return newMahalanobis(cfg.mustResolve("NewMahalanobis"), slices.Clone(metrics))
}

func newMahalanobis(s settings, metrics []string) *Mahalanobis {
	d := max(1, len(metrics))
	m := &Mahalanobis{gate: newGate(s, d), metrics: metrics, d: d, span: s.spanWeight(),
		mean: make([]float64, d), cov: make([]float64, d*d),
		x: make([]float64, d), dev: make([]float64, d), chol: make([]float64, d*d),
		y: make([]float64, d), sol: make([]float64, d)}
	f := m.shapeFingerprint(newFingerprint(kindMahalanobis).int(s.window).int(d))
	for _, name := range metrics {
		f.str(name)
	}
	m.fp = f.sum()
	m.names = baselineNames(metrics, "mean", "std")
	return m
}

// Name implements Detector and VectorDetector.
func (m *Mahalanobis) Name() string { return "mahalanobis" }

// Metrics implements VectorDetector.
func (m *Mahalanobis) Metrics() []string { return m.metrics }

// Update implements Detector for a univariate Mahalanobis detector: an
// exponentially weighted z-score. It panics on one built for several
// metrics.
func (m *Mahalanobis) Update(v float64) Verdict {
	if m.d != 1 {
		panic(fmt.Sprintf("detectors.Mahalanobis.Update: detector has %d metrics; use UpdateVector", m.d))
	}
	return step(m, v)
}

// peek and learn let a univariate Mahalanobis detector serve as a model,
// for Update and for ensembles.
func (m *Mahalanobis) peek(x float64) Verdict {
	m.x[0] = x
	return m.peekVector(m.x)
}

func (m *Mahalanobis) learn(x float64, v Verdict) {
	m.x[0] = x
	m.learnVector(m.x, v)
}

// UpdateVector implements VectorDetector: values[i] is metric i, NaN for a
// metric the reading lacks. A reading with any NaN or Inf is skipped whole,
// since guessing the missing metric would bias the covariance.
func (m *Mahalanobis) UpdateVector(values []float64) Verdict {
	if len(values) != m.d {
		panic(fmt.Sprintf("detectors.Mahalanobis.UpdateVector: %d values for %d metrics", len(values), m.d))
	}
	return stepVector(m, values, m.x)
}

func (m *Mahalanobis) peekVector(x []float64) Verdict {
	d := m.d
	for i := range d {
		m.dev[i] = x[i] - m.mean[i]
	}
	m.factor()
	// Forward substitution: y = L⁻¹ dev, and |y|² = devᵀ Σ⁻¹ dev.
	var d2 float64
	for i := range d {
		s := m.dev[i]
		for k := range i {
			s -= m.chol[i*d+k] * m.y[k]
		}
		m.y[i] = s / m.chol[i*d+i]
		d2 += m.y[i] * m.y[i]
	}
	m.lastD2 = d2
	return m.judge(max(0, chiSquaredZ(d2, d)), m.n > uint64(d))
}

// factor writes the Cholesky factor of the covariance into chol. A ridge of
// a billionth of each variance plus the scale floor keeps it positive
// definite when metrics are constant or exactly collinear; a pivot that
// rounding still drives below the ridge is raised to it.
func (m *Mahalanobis) factor() {
	d := m.d
	for i := range d {
		for j := 0; j <= i; j++ {
			s := m.cov[i*d+j]
			for k := range j {
				s -= m.chol[i*d+k] * m.chol[j*d+k]
			}
			if i == j {
				f := m.floor(i, m.mean[i])
				ridge := 1e-9*m.cov[i*d+i] + f*f
				m.chol[i*d+i] = math.Sqrt(max(s+ridge, ridge))
			} else {
				m.chol[i*d+j] = s / m.chol[j*d+j]
			}
		}
	}
}

// chiSquaredZ maps a chi-squared variate with k degrees of freedom to the
// standard normal quantile of equal upper tail (Wilson and Hilferty, 1931).
func chiSquaredZ(x float64, k int) float64 {
	v := 2 / (9 * float64(k))
	return (math.Cbrt(x/float64(k)) - (1 - v)) / math.Sqrt(v)
}

// chiSquaredAt inverts chiSquaredZ.
func chiSquaredAt(z float64, k int) float64 {
	v := 2 / (9 * float64(k))
	c := 1 - v + z*math.Sqrt(v)
	return float64(k) * c * c * c
}

// blame names the metric with the largest term dev_i (Σ⁻¹ dev)_i of the
// distance: back substitution Lᵀ s = y gives s = Σ⁻¹ dev.
func (m *Mahalanobis) blame() string {
	if len(m.metrics) < 2 {
		return ""
	}
	d := m.d
	s := m.sol
	for i := d - 1; i >= 0; i-- {
		v := m.y[i]
		for k := i + 1; k < d; k++ {
			v -= m.chol[k*d+i] * s[k]
		}
		s[i] = v / m.chol[i*d+i]
	}
	best, bestTerm := 0, math.Inf(-1)
	for i := range d {
		if t := m.dev[i] * s[i]; t > bestTerm {
			best, bestTerm = i, t
		}
	}
	return m.metrics[best]
}

func (m *Mahalanobis) appendBaseline(dst []events.Metric, p string, _ Verdict) []events.Metric {
	for i := range m.d {
		dst = append(dst, metric(p, m.names[2*i], m.mean[i]),
			metric(p, m.names[2*i+1], math.Sqrt(m.cov[i*m.d+i])))
	}
	return dst
}

// learnVector updates mean and covariance with weight max(1/n, span), exact
// running moments until Window readings are in, exponential after.
func (m *Mahalanobis) learnVector(x []float64, v Verdict) {
	d := m.d
	w := max(1/float64(m.n+1), m.span)
	shrink := 1.0
	if !v.Warming {
		if limit := chiSquaredAt(clipSigma, d); m.lastD2 > limit {
			shrink = math.Sqrt(limit / m.lastD2)
		}
	}
	learnMoments(m.mean, m.cov, m.dev, x, w, shrink)
	m.learnedVector(x, v)
}

// Reset implements Detector and VectorDetector.
func (m *Mahalanobis) Reset() {
	m.gate.reset()
	clear(m.mean)
	clear(m.cov)
}

func (m *Mahalanobis) appendBody(b []byte) []byte {
	b = m.gate.appendState(b)
	for _, v := range m.mean {
		b = appendFloat(b, v)
	}
	for i := range m.d {
		for j := 0; j <= i; j++ {
			b = appendFloat(b, m.cov[i*m.d+j])
		}
	}
	return b
}

func (m *Mahalanobis) readBody(r *stateReader) {
	m.gate.readState(r)
	for i := range m.mean {
		m.mean[i] = r.float()
	}
	for i := range m.d {
		for j := 0; j <= i; j++ {
			c := r.float()
			m.cov[i*m.d+j], m.cov[j*m.d+i] = c, c
		}
		if m.cov[i*m.d+i] < 0 {
			r.fail("negative variance")
		}
	}
}

// AppendBinary implements encoding.BinaryAppender.
func (m *Mahalanobis) AppendBinary(b []byte) ([]byte, error) {
	return marshal(b, m, kindMahalanobis, m.fp), nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (m *Mahalanobis) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (m *Mahalanobis) UnmarshalBinary(data []byte) error {
	return restore(data, m, kindMahalanobis, m.fp)
}
