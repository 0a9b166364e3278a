package detect

import (
	"context"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*events.Anomaly)(nil)).Elem())
	register.DoFn3x0[context.Context, events.Reading, func(events.Anomaly)](&scoreFn{})
	register.Emitter1[events.Anomaly]()
}

var flagged = beam.NewCounter(metrics.Namespace, "anomalies")

// Detect scores every reading of a PCollection<events.Reading> and returns
// PCollection<events.Anomaly>, one anomaly per reading and detector that
// flagged it, and PCollection<events.DeadLetter>: readings that arrived too
// late to be scored in order (streaming only). A reading without the scored
// metric is judged normal.
//
// The threshold detector alone runs as a fused per-reading ParDo. Learned
// detectors judge each device's readings in event-time order: with
// opts.Streaming, from keyed state as the watermark advances; otherwise by
// gathering and sorting each device's readings once the input ends.
func Detect(s beam.Scope, readings beam.PCollection, opts Options) (anomalies, dead beam.PCollection) {
	s = s.Scope("detect.Detect")
	opts = opts.withDefaults()
	opts.validate()
	switch {
	case opts.stateless() && !opts.EveryScore:
		anomalies = beam.ParDo(s, &scoreFn{Detectors: opts.Detectors, Metrics: opts.metrics(), Threshold: *opts.Threshold}, readings)
	case opts.Streaming:
		return streaming(s, readings, opts)
	default:
		anomalies = ordered(s, readings, opts)
	}
	return anomalies, beam.CreateList(s.Scope("noLateReadings"), []events.DeadLetter{})
}

// scoreFn runs stateless detectors on each reading.
type scoreFn struct {
	Detectors []string
	Metrics   []string
	Threshold float64
	dets      []detectors.Detector
}

func (fn *scoreFn) Setup() error {
	for _, n := range fn.Detectors {
		d, err := detectors.New(n, detectors.Config{Threshold: fn.Threshold})
		if err != nil {
			return err
		}
		fn.dets = append(fn.dets, d)
	}
	return nil
}

func (fn *scoreFn) ProcessElement(ctx context.Context, r events.Reading, emit func(events.Anomaly)) {
	for _, m := range fn.Metrics {
		v, ok := r.Metric(m)
		if !ok {
			continue
		}
		for _, d := range fn.dets {
			if a, ok := judge(d, r, m, v); ok {
				flagged.Inc(ctx, 1)
				metrics.AnomaliesEmitted.Inc()
				emit(a)
			}
		}
	}
}
