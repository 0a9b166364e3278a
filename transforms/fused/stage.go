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
// when positive, replaces GOMAXPROCS as the number of a range's parts and
// of messagesFn's processors. Tests set both.
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
// When the stage ships no per-device batches, its batches are worked on
// while the read goes on: ProcessElement hands each batch to a free
// processor (one per CPU) on a goroutine of its own and returns, and the
// anomalies and dead letters of the batches done so far are emitted, in
// the order the batches came, from the bundle's goroutine by the next
// call or by FinishBundle. Prism gives every partition's reads to one
// bundle, where the poll, the event-time scan and the claim run between
// batches: cutting each batch into parts and waiting for them left one
// core idle for those (an execution trace of a Kafka run: ~140% of two
// cores while reading). At most one batch per processor is in flight, so
// the read waits for a processor rather than piling batches up. The
// input is in the global window (a source's output), so an output
// emitted during a later element's call lands in the window it would
// have. Per-device batches must keep each device's readings in order
// across a bundle's batches, so a stage that ships them uses one
// processor, in the bundle's goroutine.
type messagesFn struct {
	Config stageConfig
	procs  []*processor
	free   chan *processor // processors not working on a batch; nil: one, synchronous
	queue  []*inflight     // batches handed out, oldest first
}

// inflight is one batch handed to a processor: its held outputs and
// error, ready once done is closed.
type inflight struct {
	h    held
	err  error
	done chan struct{}
}

func (fn *messagesFn) Setup() (err error) {
	n := 1
	if !fn.Config.Batches {
		n = cmp.Or(maxParts, runtime.GOMAXPROCS(0))
	}
	fn.procs, err = newProcessors(fn.Config, n)
	fn.freeAll()
	return err
}

// freeAll makes every processor free, when there is more than one.
func (fn *messagesFn) freeAll() {
	fn.free = nil
	if len(fn.procs) > 1 {
		fn.free = make(chan *processor, len(fn.procs))
		for _, p := range fn.procs {
			fn.free <- p
		}
	}
}

func (fn *messagesFn) ProcessElement(ctx context.Context, b events.RawBatch, anomaly func(beam.EventTime, events.Anomaly),
	dead func(beam.EventTime, events.DeadLetter), partial func(string, []byte), batch func(beam.EventTime, string, []byte)) error {
	if fn.free == nil {
		var at beam.EventTime // the record in hand's: its dead letter's time
		out := emitters{anomaly: anomaly, dead: func(d events.DeadLetter) { dead(at, d) }, partial: partial, batch: batch}
		return fn.records(&b, 0, b.Len(), fn.procs[0], out, &at)
	}
	var p *processor
	select {
	case p = <-fn.free:
	case <-ctx.Done():
		return fn.fail(ctx.Err())
	}
	f := &inflight{done: make(chan struct{})}
	fn.queue = append(fn.queue, f)
	go func() {
		defer close(f.done)
		var at beam.EventTime
		out := f.h.emitters()
		out.dead = func(d events.DeadLetter) { f.h.dead, f.h.deadTimes = append(f.h.dead, d), append(f.h.deadTimes, at) }
		f.err = fn.records(&b, 0, b.Len(), p, out, &at)
		fn.free <- p
	}()
	return fn.emitDone(false, anomaly, dead)
}

// emitDone emits the held outputs of the batches at the head of the
// queue that are done, in order; with wait, of every batch, waiting for
// them. A batch that failed fails the bundle (fail).
func (fn *messagesFn) emitDone(wait bool, anomaly func(beam.EventTime, events.Anomaly), dead func(beam.EventTime, events.DeadLetter)) error {
	for len(fn.queue) > 0 {
		f := fn.queue[0]
		if !wait {
			select {
			case <-f.done:
			default:
				return nil
			}
		}
		<-f.done
		if f.err != nil {
			return fn.fail(f.err)
		}
		f.h.emitAnomalies(anomaly)
		for k, d := range f.h.dead {
			dead(f.h.deadTimes[k], d)
		}
		fn.queue[0] = nil
		fn.queue = fn.queue[1:]
	}
	return nil
}

// fail waits for the batches still in flight, drops what the bundle made
// (the runner retries it whole) and returns err.
func (fn *messagesFn) fail(err error) error {
	for _, f := range fn.queue {
		<-f.done
	}
	fn.queue = nil
	err = discardOnFailure(fn.Config, &fn.procs, err)
	fn.freeAll()
	return err
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
	dead func(beam.EventTime, events.DeadLetter), partial func(string, []byte), batch func(beam.EventTime, string, []byte)) error {
	if err := fn.emitDone(true, anomaly, dead); err != nil {
		return err
	}
	// Flushing emits no anomaly or dead letter: partials and batches only.
	out := emitters{anomaly: anomaly, dead: func(d events.DeadLetter) { dead(0, d) }, partial: partial, batch: batch}
	for _, p := range fn.procs {
		p.flush(ctx, out)
	}
	return nil
}

func mustValidate(fn string, opts Options) {
	if err := opts.Decode.Validate(); err != nil {
		panic(fn + ": " + err.Error())
	}
}
