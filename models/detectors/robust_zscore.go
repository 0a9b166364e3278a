package detectors

import (
	"math"

	"github.com/beamlens/beamlens/models/events"
)

// RobustZScore scores a value by its distance from the median of the last
// Window values in units of their median absolute deviation, scaled to read
// like a z-score (Iglewicz and Hoaglin's modified z-score). Up to half the
// window may be outliers before the baseline moves, so a spike does not
// blind the detector to the next one, and a level shift is flagged until
// the new level fills half the window.
//
// Baseline: median, mad (as a standard deviation: 1.4826 MAD, or the scaled
// mean absolute deviation when the MAD is zero), lower and upper.
type RobustZScore struct {
	gate
	win sortedWindow
	fp  uint64
}

// NewRobustZScore returns a rolling median/MAD detector; it panics on an
// invalid Config.
func NewRobustZScore(cfg Config) *RobustZScore {
	return newRobustZScore(cfg.mustResolve("NewRobustZScore"))
}

func newRobustZScore(s settings) *RobustZScore {
	d := &RobustZScore{gate: newGate(s, 1), win: newSortedWindow(s.window)}
	d.fp = d.shapeFingerprint(newFingerprint(kindRobustZScore).int(s.window)).sum()
	return d
}

// Name implements Detector.
func (d *RobustZScore) Name() string { return "robust_zscore" }

// Update implements Detector.
func (d *RobustZScore) Update(v float64) Verdict { return step(d, v) }

// minRobustPoints is the fewest points whose median and MAD mean anything.
const minRobustPoints = 3

func (d *RobustZScore) peek(x float64) Verdict {
	if d.win.n < minRobustPoints {
		return d.judge(0, false)
	}
	m := d.win.median()
	return d.judge(math.Abs(x-m)/d.win.robustScale(m, d.floor(0, m)), true)
}

func (d *RobustZScore) appendBaseline(dst []events.Metric, p string, v Verdict) []events.Metric {
	m := d.win.median()
	sc := d.win.robustScale(m, d.floor(0, m))
	return append(dst, metric(p, "median", m), metric(p, "mad", sc),
		metric(p, "lower", m-v.Threshold*sc), metric(p, "upper", m+v.Threshold*sc))
}

func (d *RobustZScore) learn(x float64, v Verdict) {
	d.win.push(x)
	d.learned(x, v)
}

// Reset implements Detector.
func (d *RobustZScore) Reset() {
	d.gate.reset()
	d.win.reset()
}

func (d *RobustZScore) appendBody(b []byte) []byte {
	return d.win.appendState(d.gate.appendState(b))
}

func (d *RobustZScore) readBody(r *stateReader) {
	d.gate.readState(r)
	d.win.readState(r)
}

// AppendBinary implements encoding.BinaryAppender.
func (d *RobustZScore) AppendBinary(b []byte) ([]byte, error) {
	return marshal(b, d, kindRobustZScore, d.fp), nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (d *RobustZScore) MarshalBinary() ([]byte, error) { return d.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (d *RobustZScore) UnmarshalBinary(data []byte) error {
	return restore(data, d, kindRobustZScore, d.fp)
}
