package detectors

import "github.com/beamlens/beamlens/models/events"

// Threshold flags values strictly above a fixed limit: the article's
// "temperature > 100", and the floor every learned detector must beat. It
// learns nothing, needs no warm-up and its state is only a header, so it can
// run on the stateless fused path.
type Threshold struct {
	Limit float64
}

// NewThreshold returns a threshold detector with the given limit.
func NewThreshold(limit float64) *Threshold { return &Threshold{Limit: limit} }

// Name implements Detector.
func (t *Threshold) Name() string { return "threshold" }

// Update implements Detector: the score is the value itself.
func (t *Threshold) Update(v float64) Verdict { return step(t, v) }

func (t *Threshold) peek(x float64) Verdict {
	return Verdict{Score: x, Threshold: t.Limit, Anomaly: x > t.Limit}
}

func (t *Threshold) appendBaseline(dst []events.Metric, prefix string, _ Verdict) []events.Metric {
	return append(dst, metric(prefix, "upper", t.Limit))
}

func (t *Threshold) learn(float64, Verdict) {}

// Reset implements Detector; there is nothing to forget.
func (t *Threshold) Reset() {}

func (t *Threshold) appendBody(b []byte) []byte { return b }
func (t *Threshold) readBody(*stateReader)      {}

// The limit is configuration, not state: a restart with a new limit keeps
// its (empty) state.
var thresholdFingerprint = newFingerprint(kindThreshold).sum()

// AppendBinary implements encoding.BinaryAppender.
func (t *Threshold) AppendBinary(b []byte) ([]byte, error) {
	return marshal(b, t, kindThreshold, thresholdFingerprint), nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (t *Threshold) MarshalBinary() ([]byte, error) { return t.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (t *Threshold) UnmarshalBinary(data []byte) error {
	return restore(data, t, kindThreshold, thresholdFingerprint)
}
