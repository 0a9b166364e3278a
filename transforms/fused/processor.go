package fused

import (
	"context"
	"fmt"
	"strconv"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/deadletter"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/transforms/windowstats"
)

// Counters shared with transforms/decode (same names, so the summary and
// /metrics read one number whichever stage decoded).
var (
	readCounter    = beam.NewCounter(metrics.Namespace, "records_read")
	decodedCounter = beam.NewCounter(metrics.Namespace, "records_parsed")
)

// maxBatch caps the readings held for one device before they are shipped,
// so a chunk of one chatty device cannot grow memory without bound.
const maxBatch = 4096

// emitters are where a processor sends what leaves the stage. partial and
// batch are nil when the stage does not make them.
type emitters struct {
	anomaly func(beam.EventTime, events.Anomaly)
	dead    func(events.DeadLetter)
	partial func(string, []byte)
	batch   func(beam.EventTime, string, []byte)
}

// processor is the per-worker state of the stage: one decoder, the
// stateless detectors, and the chunk's partials and batches. Everything
// per reading happens here, with no Beam call but the emits.
type processor struct {
	cfg     stageConfig
	dec     *events.ReadingDecoder
	judge   *detect.Judge
	agg     *windowstats.Aggregator
	batches map[string][]events.Reading
	files   map[string]*detect.FileBatch // per device, with FileBatches
	batched int
	buf     []byte

	read, parsed, flagged int64
	coerced               int64
	dead                  map[string]int64 // dead letters per stage, for the counters
}

// stageConfig is what the stage's DoFns carry into the job graph: plain
// fields only.
type stageConfig struct {
	Decode    events.DecodeOptions
	Stateless []string
	Detect    detect.Options
	Partials  bool
	Window    windowstats.Options
	Batches   bool
	// FileBatches: see Options.FileBatches.
	FileBatches bool
}

func newStageConfig(opts Options) stageConfig {
	cfg := stageConfig{Decode: opts.Decode, Partials: opts.Partials,
		Window: opts.Window, Batches: opts.Batches, FileBatches: opts.Batches && opts.FileBatches}
	if opts.Detect != nil {
		cfg.Stateless, cfg.Detect = detect.SplitStateless(*opts.Detect)
		cfg.Detect.Detectors = nil
	}
	return cfg
}

func newProcessor(cfg stageConfig) (*processor, error) {
	p := &processor{cfg: cfg, dead: map[string]int64{}}
	p.dec = &events.ReadingDecoder{Options: cfg.Decode}
	var err error
	if p.judge, err = detect.NewJudge(cfg.Stateless, cfg.Detect); err != nil {
		return nil, fmt.Errorf("fused.Stage: %w", err)
	}
	if cfg.Partials {
		p.agg = windowstats.NewAggregator(cfg.Window)
	}
	if cfg.Batches {
		p.batches = map[string][]events.Reading{}
	}
	if cfg.FileBatches {
		p.files = map[string]*detect.FileBatch{}
	}
	return p, nil
}

// recordSource locates a record: a file's path and the line's offset, or
// a message's place in its batch. It is named only when needed: most
// records never are.
type recordSource struct {
	path   string
	offset int64
	batch  *events.RawBatch
	index  int
}

func (s recordSource) String() string {
	if s.batch != nil {
		return s.batch.Source(s.index)
	}
	return fileSource(s.path, s.offset)
}

// record handles one record: data is only valid during the call. A record at fault
// becomes a dead letter; an error (a Schema Registry out of reach) fails
// the bundle, so that the runner retries it rather than losing good
// records. It touches no Beam counter (flush adds them), so a processor
// may work off the bundle's goroutine.
func (p *processor) record(data []byte, size int64, problem string, src recordSource, out emitters) error {
	p.read++
	if problem != "" {
		p.deadLetter(out, decode.StageRead, problem, events.Raw{Source: src.String(), Data: data, Size: size})
		return nil
	}
	// The reading shares data and the decoder's buffers: what is kept
	// (an anomaly, a batch) is cloned.
	r, err := p.dec.DecodeShared(data)
	p.coerced += int64(p.dec.TakeCoerced())
	if err != nil {
		decode.HintFailure(p.dec)
		if !events.IsFieldError(err) {
			return fmt.Errorf("decode %s: %w", src, err)
		}
		p.deadLetter(out, decode.Stage, err.Error(), events.Raw{Source: src.String(), Data: data, Size: size})
		return nil
	}
	p.parsed++
	p.flagged += int64(p.judge.Score(r, func(a events.Anomaly) {
		a.Reading = a.Reading.Clone()
		a.Reading.Source = src.String()
		out.anomaly(beam.EventTime(r.EventTimeMs), a)
	}))
	if p.agg != nil {
		p.agg.Add(&r)
	}
	if p.files != nil && src.path != "" {
		fb := p.files[r.DeviceID]
		if fb != nil && fb.Path() != src.path {
			p.flushFileBatch(r.DeviceID, fb, out)
		}
		if fb == nil || fb.Path() != src.path {
			fb = detect.NewFileBatch(src.path)
			p.files[r.DeviceID] = fb
		}
		fb.Add(&r, src.offset)
		if p.batched++; p.batched >= maxBatch*4 || fb.Len() >= maxBatch {
			p.flushBatches(out)
		}
	} else if p.batches != nil {
		r = r.Clone()
		r.Source = src.String()
		p.batches[r.DeviceID] = append(p.batches[r.DeviceID], r)
		if p.batched++; p.batched >= maxBatch*4 || len(p.batches[r.DeviceID]) >= maxBatch {
			p.flushBatches(out)
		}
	}
	return nil
}

// deadLetter emits one bad record's dead letter and tallies it for flush:
// record may run off the bundle's goroutine (rangeFn's parts), where
// Beam's counters may not be touched.
func (p *processor) deadLetter(out emitters, stage, reason string, raw events.Raw) {
	p.dead[stage]++
	out.dead(deadletter.New(stage, reason, raw))
}

// flush sends the chunk's partials and batches and the counts. Call it on
// the bundle's goroutine.
func (p *processor) flush(ctx context.Context, out emitters) {
	p.flushData(out)
	p.count(ctx)
}

// flushData sends the chunk's partials and batches. It touches no Beam
// counter, so it may run off the bundle's goroutine.
func (p *processor) flushData(out emitters) {
	if p.agg != nil {
		p.agg.Flush(out.partial)
	}
	if p.batches != nil {
		p.flushBatches(out)
	}
	decode.FinishReadings(p.dec)
}

// count adds the chunk's counts to the job's counters. Call it on the
// bundle's goroutine.
func (p *processor) count(ctx context.Context) {
	readCounter.Inc(ctx, p.read)
	decodedCounter.Inc(ctx, p.parsed)
	detect.CountFlagged(ctx, int(p.flagged))
	decode.CountCoerced(ctx, p.coerced)
	for stage, n := range p.dead {
		deadletter.Count(ctx, stage, n)
	}
	clear(p.dead)
	p.read, p.parsed, p.flagged, p.coerced = 0, 0, 0, 0
}

// flushBatches emits each device's readings as one batch, stamped with the
// earliest event time among them so no reading is behind its element.
func (p *processor) flushBatches(out emitters) {
	for device, rs := range p.batches {
		first := rs[0].EventTimeMs
		for _, r := range rs[1:] {
			first = min(first, r.EventTimeMs)
		}
		out.batch(beam.EventTime(first), device, detect.EncodeBatch(rs))
	}
	clear(p.batches)
	for device, fb := range p.files {
		p.flushFileBatch(device, fb, out)
	}
	p.batched = 0
}

// flushFileBatch emits fb's readings of device, if any, and empties it.
func (p *processor) flushFileBatch(device string, fb *detect.FileBatch, out emitters) {
	if fb.Len() == 0 {
		return
	}
	out.batch(beam.EventTime(fb.First()), device, append([]byte(nil), fb.Bytes()...))
	fb.Reset()
}

// fileSource names a line of a file as jsonl.Read does: PATH@OFFSET.
func fileSource(path string, offset int64) string {
	return path + "@" + strconv.FormatInt(offset, 10)
}
