package detectors

import (
	"fmt"
	"math"
	"strings"

	"github.com/beamlens/beamlens/models/events"
)

// Combiner is how an Ensemble turns its members' verdicts into one. Members
// still warming are left out of every combination.
type Combiner int

const (
	// CombineMax, the default, returns the verdict of the member furthest
	// above its threshold, relative to it: an anomaly when any member flags.
	// It suits members that each watch for their own kind of fault (the
	// default: likelihood for incidents and spikes, stuck for freezes).
	CombineMax Combiner = iota
	// CombineVote flags a point when more than half of all members flag it.
	// Score is the number of members flagging plus a fraction in (0, 1)
	// that ranks points with as many votes (see combine); Threshold is the
	// number of votes a majority needs. Requiring agreement trades a little
	// sensitivity for far fewer false alarms than any one member raises.
	CombineVote
	// CombineMean compares the mean member score with the mean member
	// threshold, so several members each a little above normal can add up.
	CombineMean
)

var combinerNames = [...]string{"max", "vote", "mean"}

func (c Combiner) String() string {
	if c >= 0 && int(c) < len(combinerNames) {
		return combinerNames[c]
	}
	return fmt.Sprintf("Combiner(%d)", int(c))
}

// ParseCombiner parses "vote", "max" or "mean".
func ParseCombiner(s string) (Combiner, error) {
	for i, n := range combinerNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Combiner(i), nil
		}
	}
	return 0, fmt.Errorf("unknown combiner %q (known: %s)", s, strings.Join(combinerNames[:], ", "))
}

// member is what an ensemble needs of a detector: its two halves, so every
// member judges a point before any learns it, and the whole ensemble's
// baseline can be taken from whichever member it blames.
type member interface {
	Detector
	model
}

// Ensemble runs several univariate detectors on one series and combines
// their verdicts (see Combiner). All members share the ensemble's Config.
// The default, DefaultEnsemble by max, suits a series nothing is known
// about.
//
// Baseline: that of the member furthest above its threshold, its names
// prefixed with the member's ("robust_zscore.median").
type Ensemble struct {
	members  []member
	combine  Combiner
	verdicts []Verdict // scratch: the members' verdicts on the current point
	scratch  []byte    // scratch: one member's state while marshalling
	fp       uint64
}

// NewEnsemble returns an ensemble of cfg.Members combined by cfg.Combine;
// it panics on an invalid Config.
func NewEnsemble(cfg Config) *Ensemble { return newEnsemble(cfg.mustResolve("NewEnsemble")) }

func newEnsemble(s settings) *Ensemble {
	e := &Ensemble{combine: s.combine, verdicts: make([]Verdict, len(s.members))}
	f := newFingerprint(kindEnsemble)
	for _, name := range s.members {
		e.members = append(e.members, constructors[name](s).(member))
		f.str(name)
	}
	e.fp = f.sum()
	return e
}

// Name implements Detector.
func (e *Ensemble) Name() string { return "ensemble" }

// Members returns the members' names in order.
func (e *Ensemble) Members() []string {
	names := make([]string, len(e.members))
	for i, m := range e.members {
		names[i] = m.Name()
	}
	return names
}

// Update implements Detector.
func (e *Ensemble) Update(v float64) Verdict { return step(e, v) }

func (e *Ensemble) peek(x float64) Verdict {
	for i, m := range e.members {
		e.verdicts[i] = m.peek(x)
	}
	v, _ := combine(e.combine, e.verdicts)
	return v
}

func (e *Ensemble) appendBaseline(dst []events.Metric, p string, _ Verdict) []events.Metric {
	_, top := combine(e.combine, e.verdicts)
	if top < 0 {
		return dst
	}
	m := e.members[top]
	if p != "" {
		p += "."
	}
	return m.appendBaseline(dst, p+m.Name(), e.verdicts[top])
}

func (e *Ensemble) learn(x float64, _ Verdict) {
	for i, m := range e.members {
		m.learn(x, e.verdicts[i])
	}
}

// combine merges member verdicts and returns the index of the member
// furthest above its threshold (-1 when all are warming).
func combine(c Combiner, vs []Verdict) (Verdict, int) {
	top, warm := -1, 0
	var best, score, threshold, unit float64
	votes := 0
	for i, v := range vs {
		if v.Warming || v.Skipped {
			continue
		}
		warm++
		score += v.Score
		threshold += v.Threshold
		unit += unitScore(v)
		if v.Anomaly {
			votes++
		}
		if r := margin(v); top < 0 || r > best {
			top, best = i, r
		}
	}
	if warm == 0 {
		return Verdict{Warming: true}, -1
	}
	switch c {
	case CombineMax:
		t := vs[top]
		return Verdict{Score: t.Score, Threshold: t.Threshold, Anomaly: t.Anomaly}, top
	case CombineMean:
		score, threshold = score/float64(warm), threshold/float64(warm)
		return Verdict{Score: score, Threshold: threshold, Anomaly: score > threshold}, top
	default:
		// The integer part counts votes; the fraction, the members' mean
		// unit score, ranks points with equal votes, so a threshold
		// search (NAB's, a dashboard's) sees more than n+1 levels. It is
		// above 0 whenever a member flags and below 1, so Score > Threshold
		// exactly when a majority votes.
		need := len(vs)/2 + 1
		frac := min(unit/float64(warm), 0.999)
		return Verdict{Score: float64(votes) + frac, Threshold: float64(need), Anomaly: votes >= need}, top
	}
}

// unitScore maps a verdict's score onto [0, 1), monotonically: s/(s+T),
// so the member's threshold lands on 0.5.
func unitScore(v Verdict) float64 {
	if !(v.Score > 0) {
		return 0
	}
	return v.Score / (v.Score + max(v.Threshold, 1e-300))
}

// margin is how far a verdict's score is above its threshold, relative to
// the threshold, so members with different thresholds compare fairly.
func margin(v Verdict) float64 {
	return (v.Score - v.Threshold) / max(math.Abs(v.Threshold), 1e-300)
}

// Reset implements Detector.
func (e *Ensemble) Reset() {
	for _, m := range e.members {
		m.Reset()
	}
}

// appendBody writes each member's own state, length-prefixed, so members
// check their own kinds and configurations on restore.
func (e *Ensemble) appendBody(b []byte) []byte {
	b = appendUvarint(b, uint64(len(e.members)))
	for _, m := range e.members {
		e.scratch, _ = m.AppendBinary(e.scratch[:0])
		b = appendUvarint(b, uint64(len(e.scratch)))
		b = append(b, e.scratch...)
	}
	return b
}

func (e *Ensemble) readBody(r *stateReader) {
	if n := r.uvarint(); n != uint64(len(e.members)) && r.err == nil {
		r.fail("%d members in state, %d configured", n, len(e.members))
	}
	for _, m := range e.members {
		c := r.chunk()
		if r.err != nil {
			return
		}
		if err := m.UnmarshalBinary(c); err != nil {
			r.err = fmt.Errorf("ensemble member %s: %w", m.Name(), err)
			return
		}
	}
}

// AppendBinary implements encoding.BinaryAppender.
func (e *Ensemble) AppendBinary(b []byte) ([]byte, error) {
	return marshal(b, e, kindEnsemble, e.fp), nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (e *Ensemble) MarshalBinary() ([]byte, error) { return e.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (e *Ensemble) UnmarshalBinary(data []byte) error {
	return restore(data, e, kindEnsemble, e.fp)
}
