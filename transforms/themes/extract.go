package themes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/transforms/deadletter"
)

func init() {
	register.DoFn4x1[context.Context, events.Review, func(beam.EventTime, events.ReviewWithThemes), func(events.DeadLetter), error](&extractFn{})
	register.Emitter2[beam.EventTime, events.ReviewWithThemes]()
}

// StageLLM is the dead-letter stage of a review the extractor failed on.
const StageLLM = "llm"

var (
	extractBundles = metrics.BundleDuration.WithLabelValues("themes.Extract")
	enriched       = beam.NewCounter(metrics.Namespace, "reviews_with_themes")
	llmCalls       = beam.NewCounter(metrics.Namespace, "llm_batches")
	llmCached      = beam.NewCounter(metrics.Namespace, "llm_cache_hits")
	// notCovered counts reviews the offline model could not read (another
	// language, an unknown script); gaveUp those left unenriched because
	// the LLM stayed down past its GiveUpAfter. Both are also dead letters.
	notCovered = beam.NewCounter(metrics.Namespace, "reviews_language_not_covered")
	gaveUp     = beam.NewCounter(metrics.Namespace, "reviews_llm_gave_up")
)

// Extract sends PCollection<events.Review> through a theme extractor and
// returns PCollection<events.ReviewWithThemes> and PCollection<events.DeadLetter>
// (reviews the extractor failed on, with the reason). Both outputs are in
// the global window, stamped with each review's event time: window them
// downstream.
//
// Reviews are batched within a bundle - BatchSize at a time, up to
// Concurrency batches in flight, the rest flushed at the end of the bundle -
// so batching needs no timers and works on every runner. A review the
// extractor has answered before (an llm.Cacher) is emitted at once and takes
// no place in a batch, so repeats save requests. Answers are folded onto
// consistent themes by opts.Normalise before they are emitted. A review the
// extractor failed on alone - refused, unreadable, never answered in
// contract, or left over when the LLM stayed down past its GiveUpAfter - is
// a dead letter with the reason. An outage holds the bundle (the
// extractor's circuit breaker waits for the service) rather than failing
// it; only a failure of the extractor as a whole (a refused key, model or
// parameter) fails the bundle.
func Extract(s beam.Scope, reviews beam.PCollection, opts ExtractOptions) (withThemes, dead beam.PCollection) {
	s = s.Scope("themes.Extract")
	opts = opts.withDefaults()
	opts.validate()
	cfg, err := json.Marshal(opts)
	if err != nil {
		panic(fmt.Sprintf("themes.Extract: %v", err))
	}
	global := beam.WindowInto(s, window.NewGlobalWindows(), reviews)
	return beam.ParDo2(s, &extractFn{Options: string(cfg)}, global)
}

// batchResult is a finished batch, waiting to be emitted by the bundle's
// own goroutine (emitters are not safe for concurrent use).
type batchResult struct {
	reviews []events.Review
	results []llm.Result
	err     error
}

type extractFn struct {
	// Options is ExtractOptions as JSON: llm.Options holds an HTTP client
	// and a logger, which Beam cannot encode as DoFn fields (and which
	// json skips). It holds no secret.
	Options string

	opts       ExtractOptions
	extractor  llm.Extractor
	cache      llm.Cacher // the extractor, when it keeps answers
	normaliser *llm.Normaliser
	pending    []events.Review
	inFlight   sync.WaitGroup
	slots      chan struct{}
	mu         sync.Mutex
	done       []batchResult
	started    time.Time // when the bundle started
}

func (fn *extractFn) Setup() error {
	if err := json.Unmarshal([]byte(fn.Options), &fn.opts); err != nil {
		return fmt.Errorf("themes.Extract: options: %w", err)
	}
	e, err := fn.opts.extractor()
	if err != nil {
		return err
	}
	fn.extractor = e
	fn.cache, _ = e.(llm.Cacher)
	if fn.normaliser, err = llm.NewNormaliser(fn.opts.Normalise); err != nil {
		return fmt.Errorf("themes.Extract: %w", err)
	}
	fn.slots = make(chan struct{}, fn.opts.Concurrency)
	return nil
}

func (fn *extractFn) StartBundle(context.Context, func(beam.EventTime, events.ReviewWithThemes), func(events.DeadLetter)) {
	fn.pending = fn.pending[:0]
	fn.done = nil
	fn.started = time.Now()
}

func (fn *extractFn) ProcessElement(ctx context.Context, r events.Review, emit func(beam.EventTime, events.ReviewWithThemes), dead func(events.DeadLetter)) error {
	if fn.cache != nil {
		if themes, ok := fn.cache.Cached(r.Text); ok {
			llmCached.Inc(ctx, 1)
			fn.emitThemes(ctx, r, themes, emit)
			return fn.drain(ctx, emit, dead)
		}
	}
	fn.pending = append(fn.pending, r)
	if len(fn.pending) >= fn.opts.BatchSize {
		fn.launch(ctx)
	}
	return fn.drain(ctx, emit, dead)
}

func (fn *extractFn) FinishBundle(ctx context.Context, emit func(beam.EventTime, events.ReviewWithThemes), dead func(events.DeadLetter)) error {
	if len(fn.pending) > 0 {
		fn.launch(ctx)
	}
	fn.inFlight.Wait()
	defer metrics.Since(extractBundles, fn.started)
	return fn.drain(ctx, emit, dead)
}

// launch starts the pending reviews as one batch, waiting for a free slot
// first so a bundle never has more than Concurrency batches in flight.
func (fn *extractFn) launch(ctx context.Context) {
	batch := fn.pending
	fn.pending = make([]events.Review, 0, fn.opts.BatchSize)
	fn.slots <- struct{}{}
	fn.inFlight.Add(1)
	llmCalls.Inc(ctx, 1)
	go func() {
		defer fn.inFlight.Done()
		defer func() { <-fn.slots }()
		items := make([]llm.Item, len(batch))
		for i, r := range batch {
			items[i] = llm.Item{ID: r.ReviewID, Text: r.Text}
		}
		res, err := fn.extractor.Extract(ctx, items)
		fn.mu.Lock()
		fn.done = append(fn.done, batchResult{reviews: batch, results: res, err: err})
		fn.mu.Unlock()
	}()
}

// drain emits every finished batch. A batch that failed as a whole fails
// the bundle.
func (fn *extractFn) drain(ctx context.Context, emit func(beam.EventTime, events.ReviewWithThemes), dead func(events.DeadLetter)) error {
	fn.mu.Lock()
	done := fn.done
	fn.done = nil
	fn.mu.Unlock()
	for _, b := range done {
		if b.err != nil {
			return fmt.Errorf("themes.Extract: %w", b.err)
		}
		if len(b.results) != len(b.reviews) {
			return fmt.Errorf("themes.Extract: extractor returned %d results for %d reviews", len(b.results), len(b.reviews))
		}
		for i, r := range b.reviews {
			res := b.results[i]
			if res.Err != nil {
				switch {
				case errors.Is(res.Err, llm.ErrNotCovered):
					notCovered.Inc(ctx, 1)
				case errors.Is(res.Err, llm.ErrGaveUp):
					gaveUp.Inc(ctx, 1)
				}
				deadletter.Emit(ctx, dead, StageLLM, res.Err.Error(), events.Raw{Source: r.Source, Data: r.Raw, Size: int64(len(r.Raw))})
				continue
			}
			fn.emitThemes(ctx, r, res.Themes, emit)
		}
	}
	return nil
}

// emitThemes emits r with its themes, normalised.
func (fn *extractFn) emitThemes(ctx context.Context, r events.Review, themes []string, emit func(beam.EventTime, events.ReviewWithThemes)) {
	enriched.Inc(ctx, 1)
	emit(beam.EventTime(r.EventTimeMs), events.ReviewWithThemes{Review: r, Themes: fn.normaliser.Themes(themes)})
}
