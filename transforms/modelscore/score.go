package modelscore

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/inference"
	"github.com/beamlens/beamlens/transforms/deadletter"
	"github.com/beamlens/beamlens/transforms/detect"
)

func init() {
	register.DoFn5x1[context.Context, string, []byte, func(beam.EventTime, events.Anomaly), func(events.DeadLetter), error](&scoreFn{})
	register.Emitter2[beam.EventTime, events.Anomaly]()
}

// Stage names the model detector in dead letters.
const Stage = "model"

// Detector is the detector name in anomaly records.
const Detector = "model"

var (
	scoreBundles = metrics.BundleDuration.WithLabelValues("modelscore.Score")
	flagged      = beam.NewCounter(metrics.Namespace, "model_anomalies")
	scored       = beam.NewCounter(metrics.Namespace, "model_scored")
	calls        = beam.NewCounter(metrics.Namespace, "model_calls")
)

// Score runs the model of opts on PCollection<KV<string, []byte>>:
// per-device batches of readings (detect.EncodeBatch, the device id as
// key), as the fused stage ships them. It returns PCollection<events.Anomaly>
// (the readings the model calls outliers, or every scored one with
// EveryScore) and PCollection<events.DeadLetter> (readings it could not
// score, with the reason). Anomalies carry their reading's event time.
//
// It panics on invalid options; the model itself is opened by each
// worker's Setup, which fails on a missing or corrupt file or a model of
// another width (check those before the job with Open and
// inference.Check).
func Score(s beam.Scope, batches beam.PCollection, opts Options) (anomalies, dead beam.PCollection) {
	s = s.Scope("modelscore.Score")
	opts = opts.withDefaults()
	opts.validate()
	return beam.ParDo2(s, &scoreFn{Options: opts}, batches)
}

// result is a finished model call, waiting for the bundle's goroutine
// (emitters are not safe for concurrent use).
type result struct {
	rows []events.Reading
	pred inference.Prediction
	// errs, when set, holds per row the reason it could not be scored
	// ("" for a scored row).
	errs []string
}

type scoreFn struct {
	// Options holds no secret: a token is named by its variable or file.
	Options Options

	model    inference.Model
	width    int
	metric   string
	pending  []events.Reading
	x        []float32
	slots    chan struct{}
	inFlight sync.WaitGroup
	mu       sync.Mutex
	done     []result
	started  time.Time // when the bundle started
}

func (fn *scoreFn) Setup() error {
	m, err := inference.Open(fn.Options.URI, fn.Options.inferenceOptions())
	if err != nil {
		return fmt.Errorf("modelscore.Score: %w", err)
	}
	fn.model = m
	fn.width = len(fn.Options.Metrics)
	fn.metric = strings.Join(fn.Options.Metrics, ",")
	fn.slots = make(chan struct{}, fn.Options.Concurrency)
	return nil
}

func (fn *scoreFn) Teardown() error {
	if fn.model != nil {
		return fn.model.Close()
	}
	return nil
}

func (fn *scoreFn) StartBundle(context.Context, func(beam.EventTime, events.Anomaly), func(events.DeadLetter)) {
	fn.pending = fn.pending[:0]
	fn.x = fn.x[:0]
	fn.started = time.Now()
}

func (fn *scoreFn) ProcessElement(ctx context.Context, device string, batch []byte, emit func(beam.EventTime, events.Anomaly), dead func(events.DeadLetter)) error {
	// The readings outlive this call (their request may finish later),
	// and their Raw bytes alias the batch: keep a copy the runner cannot
	// reuse.
	rs, err := detect.DecodeBatch(device, bytes.Clone(batch))
	if err != nil {
		return fmt.Errorf("modelscore.Score: %w", err)
	}
	for _, r := range rs {
		if reason := fn.appendRow(r); reason != "" {
			deadletter.Emit(ctx, dead, Stage, reason, events.Raw{Source: r.Source, Data: r.Raw})
			continue
		}
		fn.pending = append(fn.pending, r)
		if len(fn.pending) >= fn.Options.BatchSize {
			fn.launch(ctx)
		}
	}
	return fn.drain(ctx, emit, dead)
}

func (fn *scoreFn) FinishBundle(ctx context.Context, emit func(beam.EventTime, events.Anomaly), dead func(events.DeadLetter)) error {
	if len(fn.pending) > 0 {
		fn.launch(ctx)
	}
	fn.inFlight.Wait()
	defer metrics.Since(scoreBundles, fn.started)
	return fn.drain(ctx, emit, dead)
}

// appendRow appends r's features to the pending rows, or says why it
// has none.
func (fn *scoreFn) appendRow(r events.Reading) string {
	start := len(fn.x)
	for _, m := range fn.Options.Metrics {
		v, ok := r.Metric(m)
		switch {
		case !ok:
			fn.x = fn.x[:start]
			return fmt.Sprintf("model: the reading has no %s (the model takes %s)", m, fn.metricList())
		case math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32:
			fn.x = fn.x[:start]
			return fmt.Sprintf("model: %s=%v is not a float32 the model can take", m, v)
		}
		fn.x = append(fn.x, float32(v))
	}
	return ""
}

func (fn *scoreFn) metricList() string { return fn.metric }

// launch sends the pending rows as one model call once a slot is free, so
// a bundle never has more than Concurrency calls in flight.
func (fn *scoreFn) launch(ctx context.Context) {
	rows, x := fn.pending, fn.x
	fn.pending, fn.x = nil, nil
	fn.slots <- struct{}{}
	fn.inFlight.Add(1)
	go func() {
		defer func() { <-fn.slots; fn.inFlight.Done() }()
		res := fn.call(ctx, rows, x)
		fn.mu.Lock()
		fn.done = append(fn.done, res)
		fn.mu.Unlock()
	}()
}

// call scores rows. A refused batch is scored row by row, so only the
// rows at fault end as dead letters; a server that stayed down past
// GiveUpAfter dead-letters the batch.
func (fn *scoreFn) call(ctx context.Context, rows []events.Reading, x []float32) result {
	calls.Inc(ctx, 1)
	p, err := fn.model.Predict(ctx, x, len(rows))
	if err == nil {
		err = fn.check(p, len(rows))
	}
	switch {
	case err == nil:
		return result{rows: rows, pred: p}
	case ctx.Err() != nil:
		return result{rows: rows, errs: same(len(rows), "model: the job ended before the score came")}
	case !inference.IsRequestError(err) || len(rows) == 1:
		return result{rows: rows, errs: same(len(rows), "model: "+err.Error())}
	}
	res := result{rows: rows, errs: make([]string, len(rows))}
	for i := range rows {
		one := fn.call(ctx, rows[i:i+1], x[i*fn.width:(i+1)*fn.width])
		if one.errs != nil {
			res.errs[i] = one.errs[0]
			continue
		}
		res.pred.Labels = appendOne(res.pred.Labels, one.pred.Labels, i)
		res.pred.Scores = appendOne(res.pred.Scores, one.pred.Scores, i)
	}
	return res
}

// check says whether p has what judging needs.
func (fn *scoreFn) check(p inference.Prediction, n int) error {
	if fn.Options.Threshold != nil && p.Scores == nil {
		return &inference.RequestError{Model: fn.Options.URI, Err: fmt.Errorf("no score output to compare with the threshold (%d rows)", n)}
	}
	if fn.Options.Threshold == nil && p.Labels == nil {
		return &inference.RequestError{Model: fn.Options.URI, Err: fmt.Errorf("no label output (give a score threshold, --model-threshold, for a model with scores only)")}
	}
	return nil
}

// appendOne puts a one-row answer at position i of a batch's answer,
// padding the rows that failed.
func appendOne[T any](all, one []T, i int) []T {
	if one == nil {
		return all
	}
	for len(all) < i {
		var zero T
		all = append(all, zero)
	}
	return append(all, one[0])
}

func same(n int, s string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// drain emits the finished calls' verdicts and dead letters.
func (fn *scoreFn) drain(ctx context.Context, emit func(beam.EventTime, events.Anomaly), dead func(events.DeadLetter)) error {
	fn.mu.Lock()
	done := fn.done
	fn.done = nil
	fn.mu.Unlock()
	n := 0
	for _, res := range done {
		for i, r := range res.rows {
			if res.errs != nil && res.errs[i] != "" {
				deadletter.Emit(ctx, dead, Stage, res.errs[i], events.Raw{Source: r.Source, Data: r.Raw})
				continue
			}
			a, out := fn.judge(r, res.pred, i)
			scored.Inc(ctx, 1)
			if out {
				n++
			}
			if out || fn.Options.EveryScore {
				emit(beam.EventTime(r.EventTimeMs), a)
			}
		}
	}
	flagged.Inc(ctx, int64(n))
	detect.CountFlagged(ctx, n)
	return nil
}

// judge turns row i of a prediction into an anomaly record, and whether
// the model calls it an outlier.
func (fn *scoreFn) judge(r events.Reading, p inference.Prediction, i int) (events.Anomaly, bool) {
	o := fn.Options
	a := events.Anomaly{Reading: r, Detector: Detector, Metric: fn.metric}
	var out bool
	if o.Threshold != nil {
		a.Score, a.Threshold = p.Scores[i], *o.Threshold
		out = a.Score < a.Threshold
		if o.ScoreAbove {
			out = a.Score > a.Threshold
		}
	} else {
		label := p.Labels[i]
		out = label == *o.OutlierLabel
		a.Score = float64(label)
		if i < len(p.Scores) {
			a.Score = p.Scores[i]
		}
		a.Baseline = []events.Metric{{Name: "label", Value: float64(label)}}
	}
	if out {
		a.Severity = 1
	}
	return a, out
}
