package detectors

import (
	"math"

	"github.com/beamlens/beamlens/models/events"
)

// CAD is the Contextual Anomaly Detector (after Smirnov's CAD OSE, third on
// NAB's published scoreboard): it quantises each value to one of eight
// levels and learns which sequences of levels follow which, scoring how
// unexpected and how novel the latest step is. Unlike the distance-based
// detectors it flags a pattern that breaks - a cycle that stops, a flat line
// that starts to wobble - as well as a value out of range.
//
// The reference quantises over each series' full range, known in advance.
// A stream has no such range, so CAD takes the range of its first
// RangePoints values (500 by default) and spreads the eight levels over
// twice that; values beyond it get levels of their own. On NAB that costs about 14 points
// against the reference (see BENCHMARKS.md).
//
// With Config.Range the levels cover exactly that range, as the
// reference's do, and CAD may flag from its first point.
//
// The raw score in [0, 1] is reported times six, so the reference's cut-off
// of 0.75 lands on StreamScoreThreshold (4.5). After a raw score of 0.75 or
// more, the next Cooldown points score 0: one alarm per incident, as the
// reference does, rather than one per point while a pattern is relearned.
//
// Memory holds at most MaxContexts contexts; once full, CAD stops learning
// new patterns and keeps scoring with those it has.
//
// Baseline: expected (the share of patterns that predicted this step) and
// novel (the share of new ones), and range_low/range_high, the range the
// levels are spread over.
type CAD struct {
	gate
	rangePoints int
	headroom    float64
	known       [2]float64 // Range, when rangeKnown
	rangeKnown  bool
	cooldown    int
	core        *cadCore
	seen        uint64  // values taken into the range
	lo, hi      float64 // range of the first rangePoints values
	sinceHigh   int     // steps since a raw score reached cadHigh
	last        cadStep // the step peek took, for the baseline
	facts       []uint32
	fp          uint64
}

type cadStep struct{ expected, novel float64 }

const (
	// cadHigh is the reference's base threshold on raw scores.
	cadHigh = 0.75
	// cadScale maps cadHigh onto StreamScoreThreshold.
	cadScale = StreamScoreThreshold / cadHigh
	// cadLevels is the reference's three bits of value.
	cadLevels = 8
	// cadHeadroom spreads the levels over this multiple of the learned
	// range, centred on it: on NAB 2 beat 1 (the learned range as is) by
	// 5 points and 3 by 4.
	cadHeadroom = 2
	// cadOutFacts offsets the facts of a level beyond the spread range;
	// cadSignFact marks one below it, above every bit fact (at most
	// cadOutFacts + 2*40 + 1).
	cadOutFacts = 1 << 8
	cadSignFact = 1 << 9
	// cadMaxLevel bounds a level's bits however far out a value lies.
	cadMaxLevel = 1 << 40
)

// Defaults of CAD's Config fields.
const (
	DefaultRangePoints = 500
	DefaultCooldown    = 30
	DefaultMaxContexts = 1 << 15
)

// NewCAD returns a contextual anomaly detector; it panics on an invalid
// Config.
func NewCAD(cfg Config) *CAD { return newCAD(cfg.mustResolve("NewCAD")) }

func newCAD(s settings) *CAD {
	d := &CAD{gate: newGate(s, 1), rangePoints: s.rangePoints, headroom: cadHeadroom, cooldown: s.cooldownOr(DefaultCooldown),
		core: newCADCore(s.maxContexts), known: s.valueRange, rangeKnown: s.rangeKnown}
	f := newFingerprint(kindCAD).int(s.rangePoints).int(s.maxContexts)
	if d.rangeKnown {
		d.headroom = 1
		f.float(d.known[0]).float(d.known[1])
	} else {
		// Until the range is learned every level means something else: no
		// flags.
		d.warmUp = max(d.warmUp, s.rangePoints)
	}
	d.fp = d.shapeFingerprint(f).sum()
	d.Reset()
	return d
}

// Name implements Detector.
func (d *CAD) Name() string { return "cad" }

// Update implements Detector.
func (d *CAD) Update(v float64) Verdict { return step(d, v) }

// peek, unlike other detectors', steps the pattern memory: judging a step
// and learning it are one walk over the contexts. Callers (step, Ensemble)
// always follow it with learn, except for values beyond maxLearnable, which
// peek scores as out of range without touching the memory.
func (d *CAD) peek(x float64) Verdict {
	if math.Abs(x) > maxLearnable {
		d.last = cadStep{expected: 0, novel: 1}
		return d.judge(cadScale, true)
	}
	if !d.rangeKnown && d.seen < uint64(d.rangePoints) {
		if d.seen == 0 {
			d.lo, d.hi = x, x
		}
		d.lo, d.hi = min(d.lo, x), max(d.hi, x)
		d.seen++
	}
	d.facts = cadLevelFacts(d.facts[:0], x, d.lo, d.hi, d.headroom)
	raw, expected, novel := d.core.step(d.facts)
	d.last = cadStep{expected, novel}
	score := raw * cadScale
	if d.sinceHigh < d.cooldown {
		score = 0
	}
	if raw >= cadHigh {
		d.sinceHigh = -1 // learn makes it 0
	}
	return d.judge(score, true)
}

// cadLevelFacts appends the facts of x's level, the levels spread over
// headroom times [lo, hi] around its middle: one fact per bit, (bit index,
// bit value), as the reference encodes them. Headroom 1 over a series' full
// range is the reference's quantiser.
func cadLevelFacts(dst []uint32, x, lo, hi, headroom float64) []uint32 {
	span := hi - lo
	if span == 0 {
		span = cadLevels - 1 // the reference's choice for a flat range
	}
	span *= headroom
	stepV := span / (cadLevels - 1)
	low := (lo+hi)/2 - span/2
	f := math.Trunc((x - low) / stepV)
	f = max(-cadMaxLevel, min(cadMaxLevel, f))
	n := int64(f)
	// Out of the spread, the bits are facts of their own: with the
	// in-range facts a level like 9 (1001) would hold all of 1's facts and
	// so match every pattern 1 is part of.
	var base uint32
	if n < 0 || n >= cadLevels {
		base = cadOutFacts
	}
	negative := n < 0
	if negative {
		n = -n
	}
	// Appended in increasing order, so the facts come out sorted: bit
	// facts grow with b, and the sign fact is above them all.
	for b := 0; b < 3 || n>>b > 0; b++ {
		dst = append(dst, base+uint32(2*b)+uint32(n>>b&1))
	}
	if negative {
		dst = append(dst, cadSignFact)
	}
	return dst
}

func (d *CAD) appendBaseline(dst []events.Metric, p string, _ Verdict) []events.Metric {
	return append(dst, metric(p, "expected", d.last.expected), metric(p, "novel", d.last.novel),
		metric(p, "range_low", d.lo), metric(p, "range_high", d.hi))
}

func (d *CAD) learn(x float64, v Verdict) {
	if d.sinceHigh < d.cooldown {
		d.sinceHigh++
	}
	d.learned(x, v)
}

// Reset implements Detector.
func (d *CAD) Reset() {
	d.gate.reset()
	d.core.reset()
	d.seen, d.lo, d.hi = 0, 0, 0
	if d.rangeKnown {
		d.lo, d.hi = d.known[0], d.known[1]
	}
	d.sinceHigh = d.cooldown
}

func (d *CAD) appendBody(b []byte) []byte {
	b = d.gate.appendState(b)
	b = appendUvarint(b, d.seen)
	b = appendFloat(b, d.lo)
	b = appendFloat(b, d.hi)
	b = appendUvarint(b, uint64(d.sinceHigh))
	return d.core.appendState(b)
}

func (d *CAD) readBody(r *stateReader) {
	d.gate.readState(r)
	d.seen = r.uvarint()
	d.lo, d.hi = r.float(), r.float()
	d.sinceHigh = r.count(1 << 30)
	d.core.readState(r)
	if r.err == nil && d.lo > d.hi {
		r.fail("range low above high")
	}
}

// AppendBinary implements encoding.BinaryAppender.
func (d *CAD) AppendBinary(b []byte) ([]byte, error) { return marshal(b, d, kindCAD, d.fp), nil }

// MarshalBinary implements encoding.BinaryMarshaler.
func (d *CAD) MarshalBinary() ([]byte, error) { return d.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (d *CAD) UnmarshalBinary(data []byte) error { return restore(data, d, kindCAD, d.fp) }
