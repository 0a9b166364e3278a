package detectors

import (
	"math"

	"github.com/beamlens/beamlens/models/events"
)

// Stuck flags a sensor frozen at one value: a run of identical readings
// longer than the device normally stays put. A stuck-at fault (a sensor
// that stops measuring and repeats its last value) is one of the commonest
// real faults, and every distance-based detector is blind to it: the
// frozen value is perfectly normal.
//
// What "normally" means is learned per device: the longest run of equal
// consecutive values it has completed (a noisy sensor repeats a value for a
// reading or two; a quantised one in a stable room for hundreds). A run is
// stuck once it is StuckFactor (4) times that long, and at least WarmUp
// readings long, so a device that never repeats a value is not called stuck
// for two equal readings. Nothing is flagged before stuckMinRuns runs have
// completed: until then the device's habit is unknown.
//
// One alarm per stuck episode: the reading at which the run crosses the
// limit is flagged, and the rest of the run scores 0. A run that was
// flagged is not learned, so one freeze does not teach the detector that
// freezes are normal.
//
// Score: ScoreThreshold times run/limit, so the score crosses the
// threshold as the run crosses the limit and the score has the common
// meaning (see Verdict.Severity).
//
// Baseline: run (readings at this value so far, this one included),
// longest_normal_run and limit.
type Stuck struct {
	gate
	last    float64
	run     uint64 // readings at last, so far
	longest uint64 // longest completed run not flagged
	runs    uint64 // completed runs not flagged (capped)
	alarmed bool   // this run was flagged
	fp      uint64
}

const (
	// StuckFactor is how many times its longest normal run a device must
	// repeat one value to be called stuck.
	StuckFactor = 4
	// stuckMinRuns is how many runs must complete before the longest of
	// them says anything about the device.
	stuckMinRuns = 5
)

// NewStuck returns a stuck-sensor detector; it panics on an invalid Config.
func NewStuck(cfg Config) *Stuck { return newStuck(cfg.mustResolve("NewStuck")) }

func newStuck(s settings) *Stuck {
	d := &Stuck{gate: newGate(s, 1)}
	d.fp = d.shapeFingerprint(newFingerprint(kindStuck)).sum()
	return d
}

// Name implements Detector.
func (d *Stuck) Name() string { return "stuck" }

// Update implements Detector.
func (d *Stuck) Update(v float64) Verdict { return step(d, v) }

// limit is the run length beyond which the device is stuck.
func (d *Stuck) limit() float64 {
	return max(float64(d.warmUp), StuckFactor*float64(d.longest), 2)
}

// runWith is the run length once x is taken.
func (d *Stuck) runWith(x float64) uint64 {
	if d.run > 0 && x == d.last {
		return d.run + 1
	}
	return 1
}

func (d *Stuck) peek(x float64) Verdict {
	run := d.runWith(x)
	if run > 1 && d.alarmed {
		return d.judge(0, d.runs >= stuckMinRuns)
	}
	return d.judge(d.threshold.floor*float64(run)/d.limit(), d.runs >= stuckMinRuns)
}

func (d *Stuck) appendBaseline(dst []events.Metric, p string, _ Verdict) []events.Metric {
	return append(dst, metric(p, "run", float64(d.run+1)), metric(p, "longest_normal_run", float64(d.longest)),
		metric(p, "limit", d.limit()))
}

func (d *Stuck) learn(x float64, v Verdict) {
	if run := d.runWith(x); run > 1 {
		d.run = run
	} else {
		if d.run > 0 && !d.alarmed {
			d.longest = max(d.longest, d.run)
			d.runs = min(d.runs+1, math.MaxUint32)
		}
		d.run, d.last, d.alarmed = 1, x, false
	}
	if v.Anomaly {
		d.alarmed = true
	}
	d.learned(x, v)
}

// Reset implements Detector.
func (d *Stuck) Reset() {
	d.gate.reset()
	d.last, d.run, d.longest, d.runs, d.alarmed = 0, 0, 0, 0, false
}

func (d *Stuck) appendBody(b []byte) []byte {
	b = d.gate.appendState(b)
	b = appendFloat(b, d.last)
	b = appendUvarint(b, d.run)
	b = appendUvarint(b, d.longest)
	b = appendUvarint(b, d.runs)
	return appendBool(b, d.alarmed)
}

func (d *Stuck) readBody(r *stateReader) {
	d.gate.readState(r)
	d.last = r.float()
	d.run, d.longest, d.runs = r.uvarint(), r.uvarint(), r.uvarint()
	d.alarmed = r.bool()
}

// AppendBinary implements encoding.BinaryAppender.
func (d *Stuck) AppendBinary(b []byte) ([]byte, error) { return marshal(b, d, kindStuck, d.fp), nil }

// MarshalBinary implements encoding.BinaryMarshaler.
func (d *Stuck) MarshalBinary() ([]byte, error) { return d.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (d *Stuck) UnmarshalBinary(data []byte) error { return restore(data, d, kindStuck, d.fp) }
