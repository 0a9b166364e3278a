package detect

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	register.DoFn4x1[context.Context, string, func(*[]byte) bool, func(beam.EventTime, events.Anomaly), error](&sortedBatchScoreFn{})
	register.Iter1[[]byte]()
}

// SplitStateless returns the names of the detectors in opts that judge a
// reading alone (threshold), and opts with only the others: the stateless
// ones run inside the fused stage, the learned ones on per-device batches.
func SplitStateless(opts Options) (stateless []string, learned Options) {
	opts = opts.withDefaults()
	learned = opts
	learned.Detectors = nil
	for _, n := range opts.Detectors {
		// With several metrics the scorer, which knows how to score each,
		// judges them all.
		if n == "threshold" && !opts.EveryScore && len(opts.Metrics) == 0 {
			stateless = append(stateless, n)
		} else {
			learned.Detectors = append(learned.Detectors, n)
		}
	}
	return stateless, learned
}

// Judge runs stateless detectors on single readings, for stages that decode
// and score in one place. Not safe for concurrent use.
type Judge struct {
	metric string
	dets   []detectors.Detector
}

// NewJudge builds the named stateless detectors with opts' configuration.
func NewJudge(names []string, opts Options) (*Judge, error) {
	opts = opts.withDefaults()
	j := &Judge{metric: opts.Metric}
	for _, n := range names {
		d, err := detectors.New(n, opts.config())
		if err != nil {
			return nil, err
		}
		j.dets = append(j.dets, d)
	}
	return j, nil
}

// Score judges r with every detector and calls emit for each anomaly; it
// returns how many it emitted. A reading without the metric is not judged.
func (j *Judge) Score(r events.Reading, emit func(events.Anomaly)) int {
	if len(j.dets) == 0 {
		return 0
	}
	v, ok := r.Metric(j.metric)
	if !ok {
		return 0
	}
	n := 0
	for _, d := range j.dets {
		if a, ok := judge(d, r, j.metric, v); ok {
			metrics.AnomaliesEmitted.Inc()
			emit(a)
			n++
		}
	}
	return n
}

// CountFlagged adds n to the anomalies counter, for stages that count per
// chunk rather than per reading.
func CountFlagged(ctx context.Context, n int) {
	if n > 0 {
		flagged.Inc(ctx, int64(n))
	}
}

// EncodeBatch encodes one device's readings as the byte batch that
// ScoreBatches and windowstats.PerDevice take (the device id is the key and
// is not repeated).
func EncodeBatch(rs []events.Reading) []byte { return encodeReadings(rs) }

// AppendBatch is EncodeBatch into dst's spare capacity.
func AppendBatch(dst []byte, rs []events.Reading) []byte {
	return appendReadings(append(dst, codecVersion), rs)
}

// DecodeBatch decodes a batch written by EncodeBatch or a FileBatch; the
// readings' Raw bytes alias b (a FileBatch's readings have no Raw).
func DecodeBatch(device string, b []byte) ([]events.Reading, error) {
	return decodeReadings(device, b)
}

// ScoreBatches scores the learned detectors of opts on
// PCollection<KV<string, []byte>>: per-device batches of readings (device id
// key, EncodeBatch value). It returns PCollection<events.Anomaly> and
// PCollection<events.DeadLetter> (late readings, streaming only).
//
// With opts.Streaming each device's detectors live in keyed state, touched
// once per batch (see streaming). Otherwise every batch of a device is
// gathered, its readings sorted by event time and judged by fresh
// detectors, so the result does not depend on arrival order (no state or
// timers: it runs on the direct runner too). Memory: one device's readings
// at a time, in their encoded batches; with opts.SpillDir, a few KiB per
// batch of the device (scoreSpilled).
func ScoreBatches(s beam.Scope, batches beam.PCollection, opts Options) (anomalies, dead beam.PCollection) {
	s = s.Scope("detect.ScoreBatches")
	opts = opts.withDefaults()
	opts.validate()
	if opts.Streaming {
		return scoreStreaming(s, batches, opts)
	}
	noLate := beam.CreateList(s.Scope("noLateReadings"), []events.DeadLetter{})
	if opts.SpillDir != "" {
		return scoreSpilled(s, batches, opts), noLate
	}
	anomalies = beam.ParDo(s, &sortedBatchScoreFn{Detectors: opts.Detectors, Metrics: opts.metrics(), Config: opts.config(), EveryScore: opts.EveryScore},
		beam.GroupByKey(s, batches))
	return anomalies, noLate
}

// sortedBatchScoreFn runs one device's readings, gathered from all its
// batches and sorted by event time, through one detector of each kind.
type sortedBatchScoreFn struct {
	Detectors  []string
	Metrics    []string
	Config     detectors.Config
	EveryScore bool
	sc         *scorer
}

func (fn *sortedBatchScoreFn) Setup() (err error) {
	fn.sc, err = newScorer(fn.Detectors, fn.Metrics, fn.Config)
	if fn.sc != nil {
		fn.sc.every = fn.EveryScore
	}
	return err
}

func (fn *sortedBatchScoreFn) ProcessElement(ctx context.Context, device string, batches func(*[]byte) bool, emit func(beam.EventTime, events.Anomaly)) error {
	var all []events.Reading
	var b []byte
	for batches(&b) {
		rs, err := decodeReadings(device, b)
		if err != nil {
			return err
		}
		all = append(all, rs...)
	}
	sortReadings(all)
	fn.sc.reset()
	n := 0
	for i := range all {
		fn.sc.score(all[i], func(a events.Anomaly) {
			n++
			metrics.AnomaliesEmitted.Inc()
			emit(beam.EventTime(a.Reading.EventTimeMs), a)
		})
	}
	flagged.Inc(ctx, int64(n))
	return nil
}

// BatchByDevice gathers each bundle's readings per device: it takes
// PCollection<events.Reading> and returns PCollection<KV<string, []byte>>
// batches (EncodeBatch) in the global window, for ScoreBatches and
// windowstats.PerDevice when readings travel alone (after dedup).
func BatchByDevice(s beam.Scope, readings beam.PCollection) beam.PCollection {
	s = s.Scope("detect.BatchByDevice")
	return beam.ParDo(s, &batchByDeviceFn{}, beam.WindowInto(s, window.NewGlobalWindows(), readings))
}
