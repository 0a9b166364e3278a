package windowstats

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	register.Combiner3[accumulator, []byte, accumulator](&mergePartialsFn{})
	register.DoFn2x2[string, accumulator, events.WindowStats, error](&partialToStatsFn{})
}

// Aggregator pre-aggregates window statistics inside one chunk of readings
// (combiner lifting by hand): one accumulator per (device, metric, window),
// flushed as partials for MergePartials. Not safe for concurrent use.
type Aggregator struct {
	opts Options
	accs map[partialKey]*accumulator
	// windows is scratch for the windows a reading falls in.
	windows []int64
}

type partialKey struct {
	device, metric string
	start          int64
}

// NewAggregator returns an empty Aggregator for windows shaped by opts.
// It panics on invalid options, like PerKey.
func NewAggregator(opts Options) *Aggregator {
	opts = opts.withDefaults()
	opts.validate()
	return &Aggregator{opts: opts, accs: map[partialKey]*accumulator{}}
}

// Add counts r's metrics (those opts selects) in every window holding its
// event time.
func (g *Aggregator) Add(r *events.Reading) {
	g.windows = windowStarts(g.windows[:0], r.EventTimeMs, g.opts)
	for _, m := range r.Metrics {
		if len(g.opts.Metrics) > 0 && !contains(g.opts.Metrics, m.Name) {
			continue
		}
		for _, start := range g.windows {
			k := partialKey{r.DeviceID, m.Name, start}
			a := g.accs[k]
			if a == nil {
				a = &accumulator{}
				g.accs[k] = a
			}
			a.add(m.Value)
		}
	}
}

// Len is the number of partials held.
func (g *Aggregator) Len() int { return len(g.accs) }

// Flush hands every partial to emit as (key, encoded accumulator) and
// forgets them. The key names the device, metric and window.
func (g *Aggregator) Flush(emit func(key string, partial []byte)) {
	size := g.opts.Size.Milliseconds()
	for k, a := range g.accs {
		emit(partialKeyString(k.device, k.metric, k.start, k.start+size), encodeAccumulator(*a))
	}
	clear(g.accs)
}

// windowStarts appends the starts of the windows holding t: one for fixed
// windows, Size/Period for sliding ones (Beam's window assignment).
func windowStarts(dst []int64, t int64, o Options) []int64 {
	size := o.Size.Milliseconds()
	period := o.Period.Milliseconds()
	if period <= 0 {
		return append(dst, floorTo(t, size))
	}
	last := floorTo(t, period)
	for start := last; start > t-size; start -= period {
		dst = append(dst, start)
	}
	return dst
}

// floorTo is the largest multiple of step at or below t (also for t < 0).
func floorTo(t, step int64) int64 {
	return t - ((t%step)+step)%step
}

// partialKeyString encodes a partial's key as text: the device's length,
// ':', the device, the metric's length, ':', the metric, then the window's
// bounds in decimal milliseconds, "start/end". The lengths keep it
// unambiguous whatever the names hold, and it stays valid UTF-8: runners
// in other languages (Flink's Java) code keys as UTF-8 strings and would
// mangle raw binary.
func partialKeyString(device, metric string, start, end int64) string {
	b := make([]byte, 0, len(device)+len(metric)+48)
	b = strconv.AppendInt(b, int64(len(device)), 10)
	b = append(b, ':')
	b = append(b, device...)
	b = strconv.AppendInt(b, int64(len(metric)), 10)
	b = append(b, ':')
	b = append(b, metric...)
	b = strconv.AppendInt(b, start, 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, end, 10)
	return string(b)
}

func parsePartialKey(key string) (device, metric string, start, end int64, err error) {
	bad := fmt.Errorf("windowstats: corrupt partial key %q", key)
	rest := key
	field := func() (string, bool) {
		n, after, ok := strings.Cut(rest, ":")
		l, convErr := strconv.Atoi(n)
		if !ok || convErr != nil || l < 0 || l > len(after) {
			return "", false
		}
		rest = after[l:]
		return after[:l], true
	}
	var ok1, ok2 bool
	device, ok1 = field()
	metric, ok2 = field()
	startText, endText, ok3 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || !ok3 {
		return "", "", 0, 0, bad
	}
	var e1, e2 error
	start, e1 = strconv.ParseInt(startText, 10, 64)
	end, e2 = strconv.ParseInt(endText, 10, 64)
	if e1 != nil || e2 != nil {
		return "", "", 0, 0, bad
	}
	return device, metric, start, end, nil
}

// MergePartials merges the partials of Aggregator.Flush,
// PCollection<KV<string, []byte>> in the global window of a bounded input,
// into PCollection<events.WindowStats>: one record per device, metric and
// window, with the window's bounds in the record. Nothing can be late: the
// merge fires when the input ends.
func MergePartials(s beam.Scope, partials beam.PCollection, opts Options) beam.PCollection {
	s = s.Scope("windowstats.MergePartials")
	opts = opts.withDefaults()
	opts.validate()
	merged := beam.CombinePerKey(s, &mergePartialsFn{}, partials)
	return beam.ParDo(s, &partialToStatsFn{Quantiles: opts.Quantiles}, merged)
}

// mergePartialsFn merges encoded partial accumulators.
type mergePartialsFn struct{}

func (fn *mergePartialsFn) CreateAccumulator() accumulator { return accumulator{} }

func (fn *mergePartialsFn) AddInput(a accumulator, partial []byte) (accumulator, error) {
	b, err := decodeAccumulator(partial)
	if err != nil {
		return a, err
	}
	a.merge(b)
	return a, nil
}

func (fn *mergePartialsFn) MergeAccumulators(a, b accumulator) accumulator {
	a.merge(b)
	return a
}

type partialToStatsFn struct {
	Quantiles []float64
}

func (fn *partialToStatsFn) ProcessElement(key string, a accumulator) (events.WindowStats, error) {
	device, metric, start, end, err := parsePartialKey(key)
	if err != nil {
		return events.WindowStats{}, err
	}
	return statsOf(device, metric, start, end, a, fn.Quantiles), nil
}

// statsOf is the output record of one key's window.
func statsOf(device, metric string, start, end int64, a accumulator, quantiles []float64) events.WindowStats {
	out := events.WindowStats{DeviceID: device, Metric: metric, WindowStartMs: start, WindowEndMs: end,
		Count: a.Count, Mean: a.Mean, Variance: a.variance(), Min: a.Min, Max: a.Max}
	for _, q := range quantiles {
		out.Quantiles = append(out.Quantiles, events.Metric{Name: quantileName(q), Value: a.quantile(q)})
	}
	return out
}
