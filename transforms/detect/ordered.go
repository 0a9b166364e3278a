package detect

import (
	"context"
	"fmt"
	"sort"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	register.DoFn2x0[events.Reading, func(string, events.Reading)](&keyByDeviceFn{})
	register.DoFn4x1[context.Context, string, func(*events.Reading) bool, func(beam.EventTime, events.Anomaly), error](&orderedScoreFn{})
	register.Emitter2[string, events.Reading]()
	register.Emitter2[beam.EventTime, events.Anomaly]()
	register.Iter1[events.Reading]()
}

// ordered scores learned detectors on a bounded input: each device's
// readings are gathered, sorted by event time and run through fresh
// detectors, so the result does not depend on arrival order. It needs no
// state or timers, so it runs on the direct runner as well as prism and
// Flink.
func ordered(s beam.Scope, readings beam.PCollection, opts Options) beam.PCollection {
	keyed := beam.ParDo(s, &keyByDeviceFn{}, beam.WindowInto(s, window.NewGlobalWindows(), readings))
	return beam.ParDo(s, &orderedScoreFn{Detectors: opts.Detectors, Metric: opts.Metric, Config: opts.config()},
		beam.GroupByKey(s, keyed))
}

type keyByDeviceFn struct{}

func (fn *keyByDeviceFn) ProcessElement(r events.Reading, emit func(string, events.Reading)) {
	emit(r.DeviceID, r)
}

// orderedScoreFn runs one device's readings, in event-time order, through
// one detector of each configured kind.
type orderedScoreFn struct {
	Detectors []string
	Metric    string
	Config    detectors.Config
}

func (fn *orderedScoreFn) ProcessElement(ctx context.Context, device string, readings func(*events.Reading) bool, emit func(beam.EventTime, events.Anomaly)) error {
	var all []events.Reading
	var r events.Reading
	for readings(&r) {
		all = append(all, r)
	}
	// Equal timestamps keep a stable, input-independent order by source.
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].EventTimeMs != all[j].EventTimeMs {
			return all[i].EventTimeMs < all[j].EventTimeMs
		}
		return all[i].Source < all[j].Source
	})
	dets := make([]detectors.Detector, len(fn.Detectors))
	for i, name := range fn.Detectors {
		d, err := detectors.New(name, fn.Config)
		if err != nil {
			return fmt.Errorf("detect: %w", err)
		}
		dets[i] = d
	}
	for _, r := range all {
		v, ok := r.Metric(fn.Metric)
		if !ok {
			continue
		}
		for _, d := range dets {
			if a, ok := judge(d, r, fn.Metric, v); ok {
				flagged.Inc(ctx, 1)
				emit(beam.EventTime(r.EventTimeMs), a)
			}
		}
	}
	return nil
}

// judge updates d with v and returns the anomaly when d flags it.
func judge(d detectors.Detector, r events.Reading, metric string, v float64) (events.Anomaly, bool) {
	verdict := d.Update(v)
	if !verdict.Anomaly {
		return events.Anomaly{}, false
	}
	return events.Anomaly{Reading: r, Detector: d.Name(), Metric: metric,
		Score: verdict.Score, Threshold: verdict.Threshold, Baseline: verdict.Baseline}, true
}
