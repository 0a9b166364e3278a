package detectors

import (
	"math"

	"github.com/beamlens/beamlens/models/events"
)

// ZScore scores a value by how many standard deviations it lies from the
// mean of the last Window values: the windowed Gaussian of the NAB
// scoreboard. It is the cheapest learned detector and the most easily
// fooled, since one spike inflates the deviation for a whole window;
// RobustZScore is the remedy.
//
// Baseline: mean, std, and lower/upper, the range a value could have taken
// without being flagged.
type ZScore struct {
	gate
	win        ring
	mean, m2   float64 // of the window, updated as values enter and leave
	sinceExact int     // updates since mean and m2 were last recomputed
	fp         uint64
}

// NewZScore returns a rolling z-score detector; it panics on an invalid
// Config.
func NewZScore(cfg Config) *ZScore { return newZScore(cfg.mustResolve("NewZScore")) }

func newZScore(s settings) *ZScore {
	d := &ZScore{gate: newGate(s, 1), win: newRing(s.window)}
	d.fp = d.shapeFingerprint(newFingerprint(kindZScore).int(s.window)).sum()
	return d
}

// Name implements Detector.
func (d *ZScore) Name() string { return "zscore" }

// Update implements Detector.
func (d *ZScore) Update(v float64) Verdict { return step(d, v) }

func (d *ZScore) std() float64 {
	if d.win.n < 2 {
		return d.floor(0, d.mean)
	}
	return max(math.Sqrt(d.m2/float64(d.win.n-1)), d.floor(0, d.mean))
}

func (d *ZScore) peek(x float64) Verdict {
	return d.judge(math.Abs(x-d.mean)/d.std(), d.win.n >= 2)
}

func (d *ZScore) appendBaseline(dst []events.Metric, p string, v Verdict) []events.Metric {
	sd := d.std()
	return append(dst, metric(p, "mean", d.mean), metric(p, "std", sd),
		metric(p, "lower", d.mean-v.Threshold*sd), metric(p, "upper", d.mean+v.Threshold*sd))
}

// learn slides the window with Welford's updates, which unlike running sums
// of squares do not cancel catastrophically when the mean is large against
// the spread. Their rounding still drifts over millions of slides, so every
// Window updates the moments are recomputed exactly: amortised O(1).
func (d *ZScore) learn(x float64, v Verdict) {
	old, evicted := d.win.push(x)
	if evicted {
		prevMean := d.mean
		d.mean += (x - old) / float64(d.win.n)
		d.m2 += (x - old) * (x - d.mean + old - prevMean)
	} else {
		delta := x - d.mean
		d.mean += delta / float64(d.win.n)
		d.m2 += delta * (x - d.mean)
	}
	if d.m2 < 0 {
		d.m2 = 0
	}
	if d.sinceExact++; d.sinceExact >= len(d.win.buf) {
		d.recompute()
	}
	d.learned(x, v)
}

func (d *ZScore) recompute() {
	d.sinceExact = 0
	var sum float64
	for i := 0; i < d.win.n; i++ {
		sum += d.win.at(i)
	}
	d.mean = sum / float64(d.win.n)
	d.m2 = 0
	for i := 0; i < d.win.n; i++ {
		dev := d.win.at(i) - d.mean
		d.m2 += dev * dev
	}
}

// Reset implements Detector.
func (d *ZScore) Reset() {
	d.gate.reset()
	d.win.reset()
	d.mean, d.m2, d.sinceExact = 0, 0, 0
}

func (d *ZScore) appendBody(b []byte) []byte {
	b = d.gate.appendState(b)
	b = d.win.appendState(b)
	b = appendFloat(b, d.mean)
	b = appendFloat(b, d.m2)
	return appendUvarint(b, uint64(d.sinceExact))
}

func (d *ZScore) readBody(r *stateReader) {
	d.gate.readState(r)
	d.win.readState(r)
	d.mean, d.m2 = r.float(), r.float()
	d.sinceExact = r.count(len(d.win.buf))
	if d.m2 < 0 {
		r.fail("negative sum of squares")
	}
}

// AppendBinary implements encoding.BinaryAppender.
func (d *ZScore) AppendBinary(b []byte) ([]byte, error) {
	return marshal(b, d, kindZScore, d.fp), nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (d *ZScore) MarshalBinary() ([]byte, error) { return d.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (d *ZScore) UnmarshalBinary(data []byte) error {
	return restore(data, d, kindZScore, d.fp)
}
