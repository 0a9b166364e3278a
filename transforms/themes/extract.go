package themes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// Reviews are batched across bundles: every bundle in the worker process
// hands its reviews to one sender (dispatch.go), which cuts batches of
// BatchSize from all of them, keeps up to Concurrency in flight, and sends
// a partial batch only when a bundle waits for it (at its end) - so a
// runner that runs many small bundles at once still sends full batches at
// the extractor's one pace, and batching needs no timers or state from the
// runner and works on every runner. A review the
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

// batchResult is one bundle's part of a finished batch, waiting to be
// emitted by the bundle's own goroutine (emitters are not safe for
// concurrent use).
type batchResult struct {
	reviews []events.Review
	results []llm.Result
	err     error
	counts  bool // this part counts the batch in llm_batches (one part a batch does)
}

type extractFn struct {
	// Options is ExtractOptions as JSON: llm.Options holds an HTTP client
	// and a logger, which Beam cannot encode as DoFn fields (and which
	// json skips). It holds no secret.
	Options string

	opts        ExtractOptions
	cache       llm.Cacher // the extractor, when it keeps answers
	normaliser  *llm.Normaliser
	dispatch    *dispatcher
	dispatchKey string
	ticket      *ticket   // the bundle's
	started     time.Time // when the bundle started
}

func (fn *extractFn) Setup() error {
	if err := json.Unmarshal([]byte(fn.Options), &fn.opts); err != nil {
		return fmt.Errorf("themes.Extract: options: %w", err)
	}
	e, err := fn.opts.extractor()
	if err != nil {
		return err
	}
	fn.cache, _ = e.(llm.Cacher)
	if fn.normaliser, err = llm.NewNormaliser(fn.opts.Normalise); err != nil {
		return fmt.Errorf("themes.Extract: %w", err)
	}
	fn.dispatch, fn.dispatchKey = acquireDispatcher(fn.opts, e)
	return nil
}

func (fn *extractFn) StartBundle(context.Context, func(beam.EventTime, events.ReviewWithThemes), func(events.DeadLetter)) {
	fn.ticket = fn.dispatch.open()
	fn.started = time.Now()
}

func (fn *extractFn) ProcessElement(ctx context.Context, r events.Review, emit func(beam.EventTime, events.ReviewWithThemes), dead func(events.DeadLetter)) error {
	if fn.cache != nil {
		if themes, ok := fn.cache.Cached(r.Text); ok {
			llmCached.Inc(ctx, 1)
			fn.emitThemes(ctx, r, themes, emit)
			return fn.drain(ctx, fn.ticket.take(), emit, dead)
		}
	}
	fn.ticket.submit(r)
	if err := fn.drain(ctx, fn.ticket.take(), emit, dead); err != nil {
		return err
	}
	// Hold the bundle back while it has more reviews out than the
	// process sends in two rounds, so that one large bundle does not
	// queue its whole input.
	for fn.ticket.pending() >= 2*fn.opts.Concurrency*fn.opts.BatchSize {
		done, err := fn.ticket.wait(ctx)
		if err != nil {
			return fmt.Errorf("themes.Extract: %w", err)
		}
		if err := fn.drain(ctx, done, emit, dead); err != nil {
			return err
		}
	}
	return nil
}

func (fn *extractFn) FinishBundle(ctx context.Context, emit func(beam.EventTime, events.ReviewWithThemes), dead func(events.DeadLetter)) error {
	defer metrics.Since(extractBundles, fn.started)
	for {
		done, err := fn.ticket.wait(ctx)
		if err != nil {
			return fmt.Errorf("themes.Extract: %w", err)
		}
		if len(done) == 0 {
			return nil
		}
		if err := fn.drain(ctx, done, emit, dead); err != nil {
			fn.ticket.cancel()
			return err
		}
	}
}

func (fn *extractFn) Teardown() {
	if fn.dispatchKey != "" {
		releaseDispatcher(fn.dispatchKey)
		fn.dispatchKey = ""
	}
}

// drain emits the bundle's part of every finished batch. A batch that
// failed as a whole fails the bundle.
func (fn *extractFn) drain(ctx context.Context, done []batchResult, emit func(beam.EventTime, events.ReviewWithThemes), dead func(events.DeadLetter)) error {
	for _, b := range done {
		if b.counts {
			llmCalls.Inc(ctx, 1)
		}
		if b.err != nil {
			fn.ticket.cancel()
			return fmt.Errorf("themes.Extract: %w", b.err)
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
