package detect

import (
	"encoding/binary"
	"fmt"

	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
)

// scorer judges one device's readings with one detector of each configured
// kind. Between devices its detectors are saved and restored (streaming) or
// rebuilt (batch), so one scorer per DoFn instance serves every key.
type scorer struct {
	metric string
	dets   []detectors.Detector
	// every makes score emit every judged reading, flagged or not.
	every bool
}

func newScorer(names []string, metric string, cfg detectors.Config) (*scorer, error) {
	sc := &scorer{metric: metric}
	for _, n := range names {
		d, err := detectors.New(n, cfg)
		if err != nil {
			return nil, fmt.Errorf("detect: %w", err)
		}
		sc.dets = append(sc.dets, d)
	}
	return sc, nil
}

// reset forgets everything learned: the start of a new device.
func (sc *scorer) reset() {
	for _, d := range sc.dets {
		d.Reset()
	}
}

// score judges r with every detector and calls emit for each anomaly. A
// reading without the metric is judged normal and teaches nothing.
func (sc *scorer) score(r events.Reading, emit func(events.Anomaly)) {
	v, ok := r.Metric(sc.metric)
	if !ok {
		return
	}
	for _, d := range sc.dets {
		if a, ok := judge(d, r, sc.metric, v); ok || sc.every {
			emit(a)
		}
	}
}

// save appends every detector's state to b, each behind its length.
func (sc *scorer) save(b []byte) ([]byte, error) {
	for _, d := range sc.dets {
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
	for _, d := range sc.dets {
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
	return events.Anomaly{Reading: r, Detector: d.Name(), Metric: metric,
		Score: verdict.Score, Threshold: verdict.Threshold, Severity: detectors.Severity(verdict),
		Baseline: verdict.Baseline}, verdict.Anomaly
}
