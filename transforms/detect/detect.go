package detect

import (
	"context"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/deadletter"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*events.Anomaly)(nil)).Elem())
	register.DoFn3x0[context.Context, events.Reading, func(events.Anomaly)](&scoreFn{})
	register.Emitter1[events.Anomaly]()
}

var flagged = beam.NewCounter(deadletter.Namespace, "anomalies")

// Detect scores every reading of a PCollection<events.Reading> and returns
// PCollection<events.Anomaly>: one anomaly per reading and detector that
// flagged it. A reading without the scored metric is judged normal.
func Detect(s beam.Scope, readings beam.PCollection, opts Options) beam.PCollection {
	s = s.Scope("detect.Detect")
	opts = opts.withDefaults()
	opts.validate()
	return beam.ParDo(s, &scoreFn{Detectors: opts.Detectors, Metric: opts.Metric, Threshold: opts.Threshold}, readings)
}

// scoreFn runs stateless detectors on each reading.
type scoreFn struct {
	Detectors []string
	Metric    string
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
	v, ok := r.Metric(fn.Metric)
	if !ok {
		return
	}
	for _, d := range fn.dets {
		verdict := d.Update(v)
		if !verdict.Anomaly {
			continue
		}
		flagged.Inc(ctx, 1)
		emit(events.Anomaly{Reading: r, Detector: d.Name(), Metric: fn.Metric,
			Score: verdict.Score, Threshold: verdict.Threshold, Baseline: verdict.Baseline})
	}
}
