package fused

import (
	"context"
	"fmt"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/jsonl"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*jsonl.Range)(nil)).Elem())
	register.DoFn6x1[context.Context, jsonl.Range, func(beam.EventTime, events.Anomaly), func(events.DeadLetter),
		func(string, []byte), func(beam.EventTime, string, []byte), error](&rangeFn{})
	register.DoFn6x1[context.Context, events.Raw, func(beam.EventTime, events.Anomaly), func(events.DeadLetter),
		func(string, []byte), func(beam.EventTime, string, []byte), error](&recordsFn{})
	register.Emitter2[beam.EventTime, events.Anomaly]()
	register.Emitter2[string, []byte]()
	register.Emitter3[beam.EventTime, string, []byte]()
}

// Result is what leaves the fused stage.
type Result struct {
	// Anomalies is PCollection<events.Anomaly>: the stateless detectors'.
	Anomalies beam.PCollection
	// DeadLetters is PCollection<events.DeadLetter>: records that could
	// not be read or decoded.
	DeadLetters beam.PCollection
	// Partials is PCollection<KV<string, []byte>> for
	// windowstats.MergePartials (empty unless Options.Partials).
	Partials beam.PCollection
	// Batches is PCollection<KV<string, []byte>>: per-device batches of
	// readings for detect.ScoreBatches and windowstats.PerDevice (empty
	// unless Options.Batches).
	Batches beam.PCollection
}

// Files runs the stage over the JSON Lines files a path or glob names
// (PCollection<jsonl.Range> of jsonl.Ranges, one DoFn call per byte range:
// both cores work on one file). It panics, like jsonl.Read, when the
// pattern matches nothing.
func Files(s beam.Scope, pattern string, opts Options) Result {
	s = s.Scope("fused.Files")
	mustValidate("fused.Files", opts)
	ranges := jsonl.RangesOf(s, pattern, opts.RangeBytes)
	a, d, p, b := beam.ParDo4(s, &rangeFn{Config: newStageConfig(opts)}, ranges)
	return Result{Anomalies: a, DeadLetters: d, Partials: p, Batches: b}
}

// Records runs the stage over PCollection<events.Raw> from a message source
// (Kafka, Pub/Sub): the records of one bundle are the chunk, and its
// batches and partials leave when the bundle finishes (partials in the
// global window at time 0: only for a read that holds its watermark until
// it ends, --bounded; an endless stream's window statistics are
// windowstats.PerDevice's).
func Records(s beam.Scope, raws beam.PCollection, opts Options) Result {
	s = s.Scope("fused.Records")
	mustValidate("fused.Records", opts)
	a, d, p, b := beam.ParDo4(s, &recordsFn{Config: newStageConfig(opts)}, raws)
	return Result{Anomalies: a, DeadLetters: d, Partials: p, Batches: b}
}

// rangeFn decodes, scores and aggregates the lines of one byte range.
//
// It emits nothing until its range is done (up to maxHeld anomalies and
// dead letters are held): prism runs all the ranges of a stage in one
// bundle and splits a bundle between workers only when a progress report
// shows no element moved since the last one, so a range that emitted as it
// went would keep both cores' work on one. Holding them costs a range's
// anomalies in memory (1% of 260k lines here).
type rangeFn struct {
	Config stageConfig
	p      *processor
	held   heldOutputs
}

// maxHeld bounds the outputs a range holds back; past it they flow (and
// the bundle may not split: the cost is speed, never data).
const maxHeld = 1 << 16

type heldOutputs struct {
	anomalies []events.Anomaly
	times     []beam.EventTime
	dead      []events.DeadLetter
}

func (h *heldOutputs) release(anomaly func(beam.EventTime, events.Anomaly), dead func(events.DeadLetter)) {
	for i, a := range h.anomalies {
		anomaly(h.times[i], a)
	}
	for _, d := range h.dead {
		dead(d)
	}
	clear(h.anomalies)
	clear(h.dead)
	h.anomalies, h.times, h.dead = h.anomalies[:0], h.times[:0], h.dead[:0]
}

func (fn *rangeFn) Setup() (err error) {
	fn.p, err = newProcessor(fn.Config)
	return err
}

func (fn *rangeFn) ProcessElement(ctx context.Context, r jsonl.Range, anomaly func(beam.EventTime, events.Anomaly),
	dead func(events.DeadLetter), partial func(string, []byte), batch func(beam.EventTime, string, []byte)) error {
	h := &fn.held
	out := emitters{
		anomaly: func(t beam.EventTime, a events.Anomaly) {
			h.anomalies, h.times = append(h.anomalies, a), append(h.times, t)
			if len(h.anomalies)+len(h.dead) >= maxHeld {
				h.release(anomaly, dead)
			}
		},
		dead: func(d events.DeadLetter) {
			h.dead = append(h.dead, d)
			if len(h.anomalies)+len(h.dead) >= maxHeld {
				h.release(anomaly, dead)
			}
		},
		partial: partial, batch: batch,
	}
	var lines int64
	var failed error
	err := jsonl.ScanRange(ctx, r, func(l jsonl.Line) {
		if failed != nil || !l.Oversize && len(events.TrimRecord(l.Data)) == 0 {
			return // blank lines are skipped, by contract
		}
		lines++
		problem := ""
		if l.Oversize {
			problem = fmt.Sprintf("line is %d bytes, over the %d-byte limit", l.Length, events.MaxRecordBytes)
		}
		failed = fn.p.record(ctx, l.Data, l.Length, problem, recordSource{path: r.Path, offset: l.Offset}, out)
		if lines%8192 == 0 {
			metrics.RecordsRead.Add(8192)
		}
	})
	metrics.RecordsRead.Add(float64(lines % 8192))
	if err == nil {
		err = failed
	}
	if err != nil {
		h.release(func(beam.EventTime, events.Anomaly) {}, func(events.DeadLetter) {}) // the bundle fails and is retried whole
		return err
	}
	h.release(anomaly, dead)
	fn.p.flush(ctx, out)
	return nil
}

// recordsFn decodes and scores each record of a bundle, and ships the
// bundle's per-device batches when it finishes.
type recordsFn struct {
	Config stageConfig
	p      *processor
	out    emitters
}

func (fn *recordsFn) Setup() (err error) {
	fn.p, err = newProcessor(fn.Config)
	return err
}

func (fn *recordsFn) ProcessElement(ctx context.Context, raw events.Raw, anomaly func(beam.EventTime, events.Anomaly),
	dead func(events.DeadLetter), partial func(string, []byte), batch func(beam.EventTime, string, []byte)) error {
	fn.out = emitters{anomaly: anomaly, dead: dead, partial: partial, batch: batch}
	return fn.p.record(ctx, raw.Data, raw.Size, raw.Problem, recordSource{name: raw.Source}, fn.out)
}

func (fn *recordsFn) FinishBundle(ctx context.Context, anomaly func(beam.EventTime, events.Anomaly),
	dead func(events.DeadLetter), partial func(string, []byte), batch func(beam.EventTime, string, []byte)) {
	fn.p.flush(ctx, emitters{anomaly: anomaly, dead: dead, partial: partial, batch: batch})
}

func mustValidate(fn string, opts Options) {
	if err := opts.Decode.Validate(); err != nil {
		panic(fn + ": " + err.Error())
	}
}
