package windowstats

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*events.WindowStats)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*accumulator)(nil)).Elem())
	beam.RegisterCoder(reflect.TypeOf((*accumulator)(nil)).Elem(), encodeAccumulator, decodeAccumulator)
	register.DoFn2x0[events.Reading, func(string, float64)](&keyMetricsFn{})
	register.Combiner3[accumulator, float64, accumulator](&statsFn{})
	register.DoFn3x1[beam.Window, string, accumulator, events.WindowStats](&toStatsFn{})
	register.Emitter2[string, float64]()
}

// metricKey joins a device id and a metric name into one shuffle key. The
// length prefix keeps it unambiguous whatever bytes the two contain.
func metricKey(device, metric string) string {
	return strconv.Itoa(len(device)) + ":" + device + metric
}

func splitMetricKey(key string) (device, metric string) {
	n, rest, _ := strings.Cut(key, ":")
	l, err := strconv.Atoi(n)
	if err != nil || l > len(rest) {
		return key, "" // not ours: keep it whole rather than panic
	}
	return rest[:l], rest[l:]
}

// PerKey computes the statistics of every metric of every device in each
// event-time window of PCollection<events.Reading> and returns
// PCollection<events.WindowStats> (in the windows it was computed in).
func PerKey(s beam.Scope, readings beam.PCollection, opts Options) beam.PCollection {
	s = s.Scope("windowstats.PerKey")
	opts = opts.withDefaults()
	opts.validate()
	kv := beam.ParDo(s, &keyMetricsFn{Metrics: opts.Metrics}, readings)
	var fn *window.Fn
	if opts.Period > 0 {
		fn = window.NewSlidingWindows(opts.Period, opts.Size)
	} else {
		fn = window.NewFixedWindows(opts.Size)
	}
	windowed := beam.WindowInto(s, fn, kv)
	combined := beam.CombinePerKey(s, &statsFn{}, windowed)
	return beam.ParDo(s, &toStatsFn{Quantiles: opts.Quantiles}, combined)
}

// keyMetricsFn emits (metricKey(device, metric), value) for each selected
// metric.
type keyMetricsFn struct {
	Metrics []string
}

func (fn *keyMetricsFn) ProcessElement(r events.Reading, emit func(string, float64)) {
	for _, m := range r.Metrics {
		if len(fn.Metrics) > 0 && !contains(fn.Metrics, m.Name) {
			continue
		}
		emit(metricKey(r.DeviceID, m.Name), m.Value)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// statsFn is the mergeable combiner.
type statsFn struct{}

func (fn *statsFn) CreateAccumulator() accumulator { return accumulator{} }

func (fn *statsFn) AddInput(a accumulator, v float64) accumulator {
	a.add(v)
	return a
}

func (fn *statsFn) MergeAccumulators(a, b accumulator) accumulator {
	a.merge(b)
	return a
}

// toStatsFn turns a key's accumulator into the output record, with the
// window's bounds.
type toStatsFn struct {
	Quantiles []float64
}

func (fn *toStatsFn) ProcessElement(w beam.Window, key string, a accumulator) events.WindowStats {
	device, metric := splitMetricKey(key)
	if a.sketch == nil {
		slices.Sort(a.vals)
		a.momentsOfSorted()
	}
	out := events.WindowStats{DeviceID: device, Metric: metric, Count: a.Count,
		Mean: a.Mean, Variance: a.variance(), Min: a.Min, Max: a.Max}
	if iw, ok := w.(window.IntervalWindow); ok {
		out.WindowStartMs = int64(iw.Start)
		out.WindowEndMs = int64(iw.End)
	}
	for _, q := range fn.Quantiles {
		out.Quantiles = append(out.Quantiles, events.Metric{Name: quantileName(q), Value: a.quantile(q)})
	}
	return out
}
