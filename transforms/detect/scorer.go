package detect

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
)

// scorer judges one device's readings with one detector of each configured
// kind. Between devices its detectors are saved and restored (streaming) or
// rebuilt (batch), so one scorer per DoFn instance serves every key.
//
// With one metric every detector judges it. With several (Options.Metrics),
// each univariate detector judges each metric on its own (one instance per
// metric), and each multivariate one (mahalanobis, hst, pca) judges the
// metrics' vector.
type scorer struct {
	metrics []string
	uni     []uniDetector
	vec     []detectors.VectorDetector
	values  []float64 // scratch: one reading's vector
	// every makes score emit every judged reading, flagged or not.
	every bool
}

// uniDetector is a univariate detector and the metric it judges.
type uniDetector struct {
	metric string
	d      detectors.Detector
}

func newScorer(names, metrics []string, cfg detectors.Config) (*scorer, error) {
	sc := &scorer{metrics: metrics, values: make([]float64, len(metrics))}
	for _, n := range names {
		if len(metrics) > 1 && detectors.Multivariate(n) {
			d, err := detectors.NewVector(n, metrics, cfg)
			if err != nil {
				return nil, fmt.Errorf("detect: %w", err)
			}
			sc.vec = append(sc.vec, d)
			continue
		}
		for _, m := range metrics {
			d, err := detectors.New(n, cfg)
			if err != nil {
				return nil, fmt.Errorf("detect: %w", err)
			}
			sc.uni = append(sc.uni, uniDetector{m, d})
		}
	}
	return sc, nil
}

// stateful is what Detector and VectorDetector share: state to save.
type stateful interface {
	Name() string
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// all returns every detector's state holder, in a fixed order: the order
// of the saved state.
func (sc *scorer) all() []stateful {
	out := make([]stateful, 0, len(sc.uni)+len(sc.vec))
	for _, u := range sc.uni {
		out = append(out, u.d)
	}
	for _, v := range sc.vec {
		out = append(out, v)
	}
	return out
}

// reset forgets everything learned: the start of a new device.
func (sc *scorer) reset() {
	for _, u := range sc.uni {
		u.d.Reset()
	}
	for _, v := range sc.vec {
		v.Reset()
	}
}

// score judges r with every detector and calls emit for each anomaly.
// Missing metrics: a univariate detector skips a reading without its
// metric (judged normal, nothing learned); a multivariate detector skips
// a reading that lacks any of the metrics, since guessing one would bias
// what it learns of their relation.
func (sc *scorer) score(r events.Reading, emit func(events.Anomaly)) {
	for _, u := range sc.uni {
		v, ok := r.Metric(u.metric)
		if !ok {
			continue
		}
		if a, ok := judge(u.d, r, u.metric, v); ok || sc.every {
			emit(a)
		}
	}
	if len(sc.vec) == 0 {
		return
	}
	for i, m := range sc.metrics {
		v, ok := r.Metric(m)
		if !ok {
			v = math.NaN()
		}
		sc.values[i] = v
	}
	for _, d := range sc.vec {
		verdict := d.UpdateVector(sc.values)
		if verdict.Skipped {
			continue
		}
		if verdict.Anomaly || sc.every {
			emit(anomaly(r, d.Name(), verdict.Metric, verdict))
		}
	}
}

// save appends every detector's state to b, each behind its length.
func (sc *scorer) save(b []byte) ([]byte, error) {
	for _, d := range sc.all() {
		body, err := d.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("detect: saving %s: %w", d.Name(), err)
		}
		b = binary.AppendUvarint(b, uint64(len(body)))
		b = append(b, body...)
	}
	return b, nil
}

// restore loads state written by save; empty state means a new device.
func (sc *scorer) restore(b []byte) error {
	if len(b) == 0 {
		sc.reset()
		return nil
	}
	for _, d := range sc.all() {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			sc.reset()
			return fmt.Errorf("detect: %s state is truncated", d.Name())
		}
		if err := d.UnmarshalBinary(b[k : k+int(n)]); err != nil {
			sc.reset()
			return fmt.Errorf("detect: restoring %s: %w", d.Name(), err)
		}
		b = b[k+int(n):]
	}
	if len(b) != 0 {
		sc.reset()
		return fmt.Errorf("detect: %d bytes of state left over: the detector list changed", len(b))
	}
	return nil
}

// judge updates d with v and returns its verdict as an Anomaly record, and
// whether d flags it.
func judge(d detectors.Detector, r events.Reading, metric string, v float64) (events.Anomaly, bool) {
	verdict := d.Update(v)
	return anomaly(r, d.Name(), metric, verdict), verdict.Anomaly
}

// anomaly builds the record of a verdict on r.
func anomaly(r events.Reading, detector, metric string, v detectors.Verdict) events.Anomaly {
	return events.Anomaly{Reading: r, Detector: detector, Metric: metric,
		Score: v.Score, Threshold: v.Threshold, Severity: detectors.Severity(v), Baseline: v.Baseline}
}
