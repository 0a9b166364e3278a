package detectors

import "github.com/beamlens/beamlens/models/events"

// IQR judges a value against Tukey's fences on the quartiles of the last
// Window values. To share the ensemble's z-like scale, the distance past a
// quartile is measured in sigmas estimated from the IQR (IQR/1.349) and
// added to the quartile's own z-value, 0.6745: on normal data the score is
// then |z|, and Tukey's fence at k IQRs is the threshold 0.6745 + 1.349 k
// (k = 1.5 is 2.70, k = 3 is 4.72; the default 3.5 puts the fences 2.1 IQRs
// out). Inside the box the score rises linearly from 0 at the median, each
// side scaled by its own half of the box, so skewed data is judged on the
// side it is skewed.
//
// Baseline: q1, median, q3, and lower/upper, the fences.
type IQR struct {
	gate
	win sortedWindow
	fp  uint64
}

// NewIQR returns a rolling-quartile detector; it panics on an invalid
// Config.
func NewIQR(cfg Config) *IQR { return newIQR(cfg.mustResolve("NewIQR")) }

func newIQR(s settings) *IQR {
	d := &IQR{gate: newGate(s, 1), win: newSortedWindow(s.window)}
	d.fp = d.shapeFingerprint(newFingerprint(kindIQR).int(s.window)).sum()
	return d
}

// Name implements Detector.
func (d *IQR) Name() string { return "iqr" }

// Update implements Detector.
func (d *IQR) Update(v float64) Verdict { return step(d, v) }

// minIQRPoints is the fewest points with distinct quartiles.
const minIQRPoints = 4

// box returns the quartiles and the sigma they imply; a window with more
// than half its values on one number has no IQR and falls back to the
// robust scale.
func (d *IQR) box() (q1, m, q3, sigma float64) {
	q1, m, q3 = d.win.quantile(0.25), d.win.median(), d.win.quantile(0.75)
	if q3 > q1 {
		return q1, m, q3, max((q3-q1)*iqrToSigma, d.floor(0, m))
	}
	return q1, m, q3, d.win.robustScale(m, d.floor(0, m))
}

func (d *IQR) peek(x float64) Verdict {
	if d.win.n < minIQRPoints {
		return d.judge(0, false)
	}
	q1, m, q3, sigma := d.box()
	var s float64
	switch {
	case x > q3:
		s = quartileZ + (x-q3)/sigma
	case x < q1:
		s = quartileZ + (q1-x)/sigma
	case x > m:
		s = quartileZ * (x - m) / (q3 - m)
	case x < m:
		s = quartileZ * (m - x) / (m - q1)
	}
	return d.judge(s, true)
}

func (d *IQR) appendBaseline(dst []events.Metric, p string, v Verdict) []events.Metric {
	q1, m, q3, sigma := d.box()
	t := v.Threshold
	lower, upper := q1-(t-quartileZ)*sigma, q3+(t-quartileZ)*sigma
	if t < quartileZ {
		lower, upper = m-t*(m-q1)/quartileZ, m+t*(q3-m)/quartileZ
	}
	return append(dst, metric(p, "q1", q1), metric(p, "median", m), metric(p, "q3", q3),
		metric(p, "lower", lower), metric(p, "upper", upper))
}

func (d *IQR) learn(x float64, v Verdict) {
	d.win.push(x)
	d.learned(x, v)
}

// Reset implements Detector.
func (d *IQR) Reset() {
	d.gate.reset()
	d.win.reset()
}

func (d *IQR) appendBody(b []byte) []byte { return d.win.appendState(d.gate.appendState(b)) }

func (d *IQR) readBody(r *stateReader) {
	d.gate.readState(r)
	d.win.readState(r)
}

// AppendBinary implements encoding.BinaryAppender.
func (d *IQR) AppendBinary(b []byte) ([]byte, error) {
	return marshal(b, d, kindIQR, d.fp), nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (d *IQR) MarshalBinary() ([]byte, error) { return d.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (d *IQR) UnmarshalBinary(data []byte) error {
	return restore(data, d, kindIQR, d.fp)
}
