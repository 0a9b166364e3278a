package fused

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"runtime"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/jsonl"
	_ "github.com/beamlens/beamlens/transforms/rawbatch" // events.RawBatch's coder
	"golang.org/x/sync/errgroup"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*jsonl.Range)(nil)).Elem())
	register.DoFn6x1[context.Context, jsonl.Range, func(beam.EventTime, events.Anomaly), func(events.DeadLetter),
		func(string, []byte), func(beam.EventTime, string, []byte), error](&rangeFn{})
	register.DoFn6x1[context.Context, events.RawBatch, func(beam.EventTime, events.Anomaly), func(beam.EventTime, events.DeadLetter),
		func(string, []byte), func(beam.EventTime, string, []byte), error](&messagesFn{})
	register.Emitter2[beam.EventTime, events.Anomaly]()
	register.Emitter2[beam.EventTime, events.DeadLetter]()
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

// Messages runs the stage over PCollection<events.RawBatch> from a message
// source (kafkaio.ReadBatches, pubsubio.ReadBatches): one DoFn call per
// poll or pull, not per record. The records of one bundle are the chunk:
// its per-device batches and partials leave when the bundle finishes
// (partials in the global window at time 0: only for a read that holds its
// watermark until it ends, --bounded; an endless stream's window
// statistics are windowstats.PerDevice's). Anomalies and dead letters
// leave at their record's event time, as if the records had come alone.
func Messages(s beam.Scope, batches beam.PCollection, opts Options) Result {
	s = s.Scope("fused.Messages")
	mustValidate("fused.Messages", opts)
	a, d, p, b := beam.ParDo4(s, &messagesFn{Config: newStageConfig(opts)}, batches)
	return Result{Anomalies: a, DeadLetters: d, Partials: p, Batches: b}
}

// rangeFn decodes, scores and aggregates the lines of one byte range.
//
// It cuts its range into parts, one per CPU the worker process may use
// (GOMAXPROCS, at least minPartBytes each), and works on them at once, each
// part with a processor of its own: prism runs all the ranges of a stage
// in one bundle and hands a second worker some of them only after a
// progress report shows the first stalled (~200 ms in, measured), and the
// last range of a file would otherwise keep one core busy while the other
// idles. The parts' anomalies and dead letters are held until the range is
// done and emitted from the bundle's goroutine, as Beam's emitters and
// counters require; a range's held outputs are bounded by its size
// (Options.RangeBytes), and holding them also keeps prism from seeing the
// bundle move and splitting it less.
type rangeFn struct {
	Config stageConfig
	procs  []*processor // one per part
}

// minPartBytes is the least a part of a range holds: below it the
// goroutine and a processor's flush cost more than they save. maxParts,
// when positive, replaces GOMAXPROCS as the number of parts. Tests lower
// both to cut small files into many parts.
var (
	minPartBytes int64 = 2 << 20
	maxParts           = 0
)

func (fn *rangeFn) Setup() (err error) {
	fn.procs, err = newProcessors(fn.Config, cmp.Or(maxParts, runtime.GOMAXPROCS(0)))
	return err
}

// discardOnFailure replaces *procs with new processors when a bundle
// fails: the runner retries it whole, so what they made of it (partials,
// batches, counts) must go. It returns err, or the error of making them.
func discardOnFailure(cfg stageConfig, procs *[]*processor, err error) error {
	fresh, perr := newProcessors(cfg, len(*procs))
	if perr != nil {
		return perr
	}
	*procs = fresh
	return err
}

// newProcessors returns n processors (at least one) of cfg.
func newProcessors(cfg stageConfig, n int) ([]*processor, error) {
	procs := make([]*processor, max(1, n))
	for i := range procs {
		p, err := newProcessor(cfg)
		if err != nil {
			return nil, err
		}
		procs[i] = p
	}
	return procs, nil
}

// held is what one part of a range emits, kept until the range is done.
type held struct {
	anomalies []events.Anomaly
	times     []beam.EventTime
	dead      []events.DeadLetter
	deadTimes []beam.EventTime // messagesFn's: each dead letter's event time
	batches   []heldBatch
	partials  []heldPartial
}

type heldPartial struct {
	key  string
	data []byte
}

type heldBatch struct {
	t      beam.EventTime
	device string
	data   []byte
}

// emitAnomalies emits the held anomalies, each at its own time.
func (h *held) emitAnomalies(anomaly func(beam.EventTime, events.Anomaly)) {
	for k, a := range h.anomalies {
		anomaly(h.times[k], a)
	}
}

func (h *held) emitters() emitters {
	return emitters{
		anomaly: func(t beam.EventTime, a events.Anomaly) {
			h.anomalies, h.times = append(h.anomalies, a), append(h.times, t)
		},
		dead: func(d events.DeadLetter) { h.dead = append(h.dead, d) },
		batch: func(t beam.EventTime, device string, data []byte) {
			h.batches = append(h.batches, heldBatch{t, device, data})
		},
		partial: func(key string, data []byte) { h.partials = append(h.partials, heldPartial{key, data}) },
	}
}

func (fn *rangeFn) ProcessElement(ctx context.Context, r jsonl.Range, anomaly func(beam.EventTime, events.Anomaly),
	dead func(events.DeadLetter), partial func(string, []byte), batch func(beam.EventTime, string, []byte)) error {
	parts := splitRange(r, len(fn.procs), minPartBytes)
	helds := make([]held, len(parts))
	g, gctx := errgroup.WithContext(ctx)
	for i, part := range parts {
		g.Go(func() error {
			out := helds[i].emitters()
			if err := scanPart(gctx, part, fn.procs[i], out); err != nil {
				return err
			}
			fn.procs[i].flushData(out)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return discardOnFailure(fn.Config, &fn.procs, err)
	}
	for i := range parts {
		h := &helds[i]
		h.emitAnomalies(anomaly)
		for _, d := range h.dead {
			dead(d)
		}
		for _, b := range h.batches {
			batch(b.t, b.device, b.data)
		}
		for _, p := range h.partials {
			partial(p.key, p.data)
		}
		fn.procs[i].count(ctx)
	}
	return nil
}

// scanPart runs the lines of one part of a range through p.
func scanPart(ctx context.Context, r jsonl.Range, p *processor, out emitters) error {
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
		failed = p.record(l.Data, l.Length, problem, recordSource{path: r.Path, offset: l.Offset}, out)
		if lines%8192 == 0 {
			metrics.RecordsRead.Add(8192)
		}
	})
	metrics.RecordsRead.Add(float64(lines % 8192))
	if err == nil {
		err = failed
	}
	return err
}

// splitRange cuts r into at most n parts of at least `least` bytes (the last
// may be shorter), on byte boundaries: jsonl.ScanRange gives each line to
// the part it starts in, so the parts together read r's lines exactly once.
func splitRange(r jsonl.Range, n int, least int64) []jsonl.Range {
	size := r.End - r.Start
	n = int(max(1, min(int64(n), size/least)))
	parts := make([]jsonl.Range, n)
	for i := range parts {
		parts[i] = jsonl.Range{Path: r.Path, Start: r.Start + size*int64(i)/int64(n), End: r.Start + size*int64(i+1)/int64(n)}
	}
	return parts
}

// messagesFn decodes and scores the records of each batch a message
// source read, and ships the bundle's per-device batches when it
// finishes.
//
// When the stage ships no per-device batches, a large batch is cut into
// parts worked on at once, one processor each, as rangeFn cuts a range:
// prism gives every partition's reads to one bundle, and the read, the
// decoding and the scoring held one core while the other idled (an
// execution trace of a Kafka run). Their anomalies and dead letters are
// held and emitted in the batch's order from the bundle's goroutine. Per-
// device batches must keep each device's readings in order across a
// bundle's batches, so a stage that ships them uses one processor.
type messagesFn struct {
	Config stageConfig
	procs  []*processor
}

// minPartRecords is the least a part of a batch holds: below it a
// goroutine costs more than it saves. Tests lower it.
var minPartRecords = 1024

func (fn *messagesFn) Setup() (err error) {
	n := 1
	if !fn.Config.Batches {
		n = cmp.Or(maxParts, runtime.GOMAXPROCS(0))
	}
	fn.procs, err = newProcessors(fn.Config, n)
	return err
}

func (fn *messagesFn) ProcessElement(ctx context.Context, b events.RawBatch, anomaly func(beam.EventTime, events.Anomaly),
	dead func(beam.EventTime, events.DeadLetter), partial func(string, []byte), batch func(beam.EventTime, string, []byte)) error {
	n := min(len(fn.procs), b.Len()/minPartRecords)
	if n <= 1 {
		var at beam.EventTime // the record in hand's: its dead letter's time
		out := emitters{anomaly: anomaly, dead: func(d events.DeadLetter) { dead(at, d) }, partial: partial, batch: batch}
		return fn.records(&b, 0, b.Len(), fn.procs[0], out, &at)
	}
	helds := make([]held, n)
	g, _ := errgroup.WithContext(ctx)
	for i := range n {
		g.Go(func() error {
			h := &helds[i]
			var at beam.EventTime
			out := h.emitters()
			out.dead = func(d events.DeadLetter) { h.dead, h.deadTimes = append(h.dead, d), append(h.deadTimes, at) }
			return fn.records(&b, b.Len()*i/n, b.Len()*(i+1)/n, fn.procs[i], out, &at)
		})
	}
	if err := g.Wait(); err != nil {
		return discardOnFailure(fn.Config, &fn.procs, err)
	}
	for i := range helds {
		h := &helds[i]
		h.emitAnomalies(anomaly)
		for k, d := range h.dead {
			dead(h.deadTimes[k], d)
		}
	}
	return nil
}

// records runs b's records [lo, hi) through p, setting *at to each one's
// event time first.
func (fn *messagesFn) records(b *events.RawBatch, lo, hi int, p *processor, out emitters, at *beam.EventTime) error {
	for i := lo; i < hi; i++ {
		*at = beam.EventTime(b.Times[i])
		if err := p.record(b.Data[i], b.Sizes[i], b.Problem(i), recordSource{batch: b, index: i}, out); err != nil {
			return err
		}
	}
	return nil
}

func (fn *messagesFn) FinishBundle(ctx context.Context, anomaly func(beam.EventTime, events.Anomaly),
	dead func(beam.EventTime, events.DeadLetter), partial func(string, []byte), batch func(beam.EventTime, string, []byte)) {
	// Flushing emits no anomaly or dead letter: partials and batches only.
	out := emitters{anomaly: anomaly, dead: func(d events.DeadLetter) { dead(0, d) }, partial: partial, batch: batch}
	for _, p := range fn.procs {
		p.flush(ctx, out)
	}
}

func mustValidate(fn string, opts Options) {
	if err := opts.Decode.Validate(); err != nil {
		panic(fn + ": " + err.Error())
	}
}
