package detect

import (
	"context"
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
	return beam.ParDo(s, &orderedScoreFn{Detectors: opts.Detectors, Metrics: opts.metrics(), Config: opts.config(), EveryScore: opts.EveryScore},
		beam.GroupByKey(s, keyed))
}

type keyByDeviceFn struct{}

func (fn *keyByDeviceFn) ProcessElement(r events.Reading, emit func(string, events.Reading)) {
	emit(r.DeviceID, r)
}

// orderedScoreFn runs one device's readings, in event-time order, through
// one detector of each configured kind.
type orderedScoreFn struct {
	Detectors  []string
	Metrics    []string
	Config     detectors.Config
	EveryScore bool
	sc         *scorer
}

func (fn *orderedScoreFn) Setup() (err error) {
	fn.sc, err = newScorer(fn.Detectors, fn.Metrics, fn.Config)
	if fn.sc != nil {
		fn.sc.every = fn.EveryScore
	}
	return err
}

func (fn *orderedScoreFn) ProcessElement(ctx context.Context, device string, readings func(*events.Reading) bool, emit func(beam.EventTime, events.Anomaly)) error {
	var all []events.Reading
	var r events.Reading
	for readings(&r) {
		all = append(all, r)
	}
	sortReadings(all)
	fn.sc.reset()
	for _, r := range all {
		fn.sc.score(r, func(a events.Anomaly) {
			flagged.Inc(ctx, 1)
			scoredLive.Add(1)
			emit(beam.EventTime(r.EventTimeMs), a)
		})
	}
	return nil
}

// sortReadings orders readings by event time; equal timestamps keep a
// stable, input-independent order by source.
func sortReadings(rs []events.Reading) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].EventTimeMs != rs[j].EventTimeMs {
			return rs[i].EventTimeMs < rs[j].EventTimeMs
		}
		return rs[i].Source < rs[j].Source
	})
}
