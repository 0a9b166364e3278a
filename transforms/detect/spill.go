package detect

import (
	"container/heap"
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/internal/spill"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	register.DoFn3x1[string, []byte, func(string, []byte), error](&spillFn{})
	register.Emitter2[string, []byte]()
	register.DoFn4x1[context.Context, string, func(*[]byte) bool, func(beam.EventTime, events.Anomaly), error](&spilledScoreFn{})
}

// scoreSpilled is the bounded scorer for file batches when Options.SpillDir
// is set. It takes PCollection<KV<string, []byte>> (device, FileBatch) and
// returns PCollection<events.Anomaly>, the very anomalies sortedBatchScoreFn
// finds.
//
// Why: prism holds a GroupByKey's whole input in memory, and copies it on
// its way to the worker, and sortedBatchScoreFn decodes a device's every
// reading (~180 bytes each) to sort them: 10M readings of 8 devices peaked
// at 14 GB. Here each batch is sorted by event time on its own and
// appended to a spill file as it leaves the fused stage (a ParDo, which
// prism fuses into the stage: the batch never becomes a runner element),
// and only where it lies (a few dozen bytes) goes through the GroupByKey.
// The scorer then merges a device's sorted batches (runs) from the files,
// a few KiB of each in memory, in sortReadings' order: memory grows with
// the number of batches, not with their readings.
func scoreSpilled(s beam.Scope, batches beam.PCollection, opts Options) beam.PCollection {
	refs := beam.ParDo(s, &spillFn{Dir: opts.SpillDir}, batches)
	return beam.ParDo(s, &spilledScoreFn{Detectors: opts.Detectors, Metrics: opts.metrics(), Config: opts.config(), EveryScore: opts.EveryScore},
		beam.GroupByKey(s, refs))
}

// spillFn appends each batch, sorted, to a spill file of its bundle and
// emits where it lies: KV<device, spill ref>.
type spillFn struct {
	Dir string
	w   spill.Writer
}

func (fn *spillFn) ProcessElement(device string, batch []byte, emit func(string, []byte)) error {
	b, err := sortFileBatch(batch)
	if err != nil {
		return fmt.Errorf("detect: spilling a batch of %s: %w", device, err)
	}
	// One file per bundle: bundles run at once, and a file is complete
	// (closed) when its bundle finishes, before the GroupByKey hands its
	// runs on.
	fn.w.Dir, fn.w.Pattern = fn.Dir, "batches-*.spill"
	ref, err := fn.w.Append(b)
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	emit(device, ref)
	return nil
}

// FinishBundle closes the bundle's file. Beam wants the emitter here too;
// nothing is emitted.
func (fn *spillFn) FinishBundle(_ func(string, []byte)) error { return fn.w.Close() }

// spilledScoreFn is sortedBatchScoreFn over spilled runs: it merges a
// device's runs in event-time order and scores them with fresh detectors.
//
// Devices are scored on every CPU of the worker (GOMAXPROCS goroutines,
// each with scorers of its own), and their anomalies emitted from the
// bundle's goroutine, as Beam's emitters and counters require: prism hands
// every device of a file to one bundle, and scoring them one after the
// other left a core idle for most of the default detectors' run (1M
// readings: ~1 s of scoring on one core of two).
type spilledScoreFn struct {
	Detectors  []string
	Metrics    []string
	Config     detectors.Config
	EveryScore bool

	jobs chan scoreJob
	wg   sync.WaitGroup
	mu   sync.Mutex
	done []scoreResult // scored devices not yet emitted
}

type scoreJob struct {
	device string
	refs   [][]byte
}

type scoreResult struct {
	anomalies []events.Anomaly
	err       error
}

// Setup fails on detector options no scorer can be made from.
func (fn *spilledScoreFn) Setup() error {
	_, err := fn.newScorer()
	return err
}

func (fn *spilledScoreFn) newScorer() (*scorer, error) {
	sc, err := newScorer(fn.Detectors, fn.Metrics, fn.Config)
	if sc != nil {
		sc.every = fn.EveryScore
	}
	return sc, err
}

func (fn *spilledScoreFn) StartBundle(_ context.Context, _ func(beam.EventTime, events.Anomaly)) error {
	fn.stop() // the workers of a bundle that failed
	fn.done = nil
	n := max(1, runtime.GOMAXPROCS(0))
	fn.jobs = make(chan scoreJob, n)
	for range n {
		sc, err := fn.newScorer()
		if err != nil {
			return err
		}
		fn.wg.Add(1)
		go func(jobs <-chan scoreJob) {
			defer fn.wg.Done()
			for j := range jobs {
				res := scoreResult{}
				res.anomalies, res.err = scoreRuns(sc, j.device, j.refs)
				fn.mu.Lock()
				fn.done = append(fn.done, res)
				fn.mu.Unlock()
			}
		}(fn.jobs)
	}
	return nil
}

func (fn *spilledScoreFn) ProcessElement(ctx context.Context, device string, refs func(*[]byte) bool, emit func(beam.EventTime, events.Anomaly)) error {
	j := scoreJob{device: device}
	var ref []byte
	for refs(&ref) {
		j.refs = append(j.refs, slices.Clone(ref))
	}
	fn.jobs <- j
	return fn.emitDone(ctx, emit)
}

func (fn *spilledScoreFn) FinishBundle(ctx context.Context, emit func(beam.EventTime, events.Anomaly)) error {
	fn.stop()
	return fn.emitDone(ctx, emit)
}

// stop waits for the workers to score what they were given, and ends them.
func (fn *spilledScoreFn) stop() {
	if fn.jobs != nil {
		close(fn.jobs)
		fn.wg.Wait()
		fn.jobs = nil
	}
}

func (fn *spilledScoreFn) Teardown() { fn.stop() }

// emitDone emits the anomalies of the devices scored so far and returns
// the first error among them.
func (fn *spilledScoreFn) emitDone(ctx context.Context, emit func(beam.EventTime, events.Anomaly)) error {
	fn.mu.Lock()
	done := fn.done
	fn.done = nil
	fn.mu.Unlock()
	for _, res := range done {
		if res.err != nil {
			return res.err
		}
		for _, a := range res.anomalies {
			metrics.AnomaliesEmitted.Inc()
			emit(beam.EventTime(a.Reading.EventTimeMs), a)
		}
		flagged.Inc(ctx, int64(len(res.anomalies)))
	}
	return nil
}

// scoreRuns merges one device's spilled runs (refs) in event-time order and
// scores them with sc, reset first; it returns the anomalies.
func scoreRuns(sc *scorer, device string, refs [][]byte) ([]events.Anomaly, error) {
	var files spill.Files
	defer files.Close()
	var m runMerge
	for _, ref := range refs {
		sr, err := files.Section(ref)
		if err != nil {
			return nil, fmt.Errorf("detect: a spilled run of %s: %w", device, err)
		}
		rr, err := newBufferedRun(device, sr)
		if err != nil {
			return nil, fmt.Errorf("detect: a spilled run of %s: %w", device, err)
		}
		// Only anomalies need their reading's source as a string: the
		// merge compares the bytes, and out below makes the few strings.
		rr.bareSource = true
		if err := m.add(rr); err != nil {
			return nil, fmt.Errorf("detect: a spilled run of %s: %w", device, err)
		}
	}
	sc.reset()
	var out []events.Anomaly
	err := m.each(func(r *events.Reading, rr *runReader) {
		sc.score(*r, func(a events.Anomaly) {
			// r's metrics are the run's scratch, reused by its next reading.
			a.Reading.Metrics = slices.Clone(a.Reading.Metrics)
			a.Reading.Source = string(rr.source())
			out = append(out, a)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("detect: spilled runs of %s: %w", device, err)
	}
	return out, nil
}

// runMerge merges sorted runs into one sequence in sortReadings' order:
// a heap of each run's next reading.
type runMerge []*runHead

type runHead struct {
	rr *runReader
	r  events.Reading
}

func (m runMerge) Len() int { return len(m) }
func (m runMerge) Less(i, j int) bool {
	// A bareSource run leaves its head's source out of Reading.Source;
	// source builds it, which only a tie in event time needs.
	a, b := m[i], m[j]
	if a.r.EventTimeMs != b.r.EventTimeMs {
		return a.r.EventTimeMs < b.r.EventTimeMs
	}
	return positionLess(a.r.EventTimeMs, a.rr.source(), b.r.EventTimeMs, b.rr.source())
}
func (m runMerge) Swap(i, j int) { m[i], m[j] = m[j], m[i] }
func (m *runMerge) Push(x any)   { *m = append(*m, x.(*runHead)) }
func (m *runMerge) Pop() any {
	old := *m
	h := old[len(old)-1]
	*m = old[:len(old)-1]
	return h
}

// add puts rr's first reading on the heap (nothing for an empty run).
func (m *runMerge) add(rr *runReader) error {
	h := &runHead{rr: rr}
	if _, err := rr.next(&h.r); err == io.EOF {
		return nil
	} else if err != nil {
		return err
	}
	heap.Push(m, h)
	return nil
}

// each calls f with every reading of every run, in order, and the run it
// came from (whose source gives the reading's PATH@OFFSET; r.Source has it
// too unless the run is bareSource). Both are valid until f returns.
func (m *runMerge) each(f func(r *events.Reading, rr *runReader)) error {
	for m.Len() > 0 {
		h := (*m)[0]
		f(&h.r, h.rr)
		if _, err := h.rr.next(&h.r); err == io.EOF {
			heap.Pop(m)
			continue
		} else if err != nil {
			return err
		}
		heap.Fix(m, 0)
	}
	return nil
}
