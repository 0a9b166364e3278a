package themes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/periodic"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/models/llm/llmtest"
	"github.com/beamlens/beamlens/models/synth"
)

// The conditions of the benchmark: a service that answers in 300ms and
// allows 600 requests a minute, and the batch size the CLI defaults to.
// The ceiling is the most reviews a second the limit lets through.
const (
	benchLatency  = 300 * time.Millisecond
	benchRPM      = 600
	benchBatch    = 20
	benchCeiling  = float64(benchRPM) * benchBatch / 60
	benchSeed     = 77
	benchRepeats  = 0.2
	articlePrompt = "Identify key themes in this product review: %s\n             \n              Return a JSON array of themes"
)

func init() {
	register.DoFn3x0[beam.EventTime, int64, func(beam.EventTime, events.Review)](&tickReviewsFn{})
	register.Emitter2[beam.EventTime, events.Review]()
}

// BenchmarkExtractLLM measures Extract on prism against llmtest's fake
// OpenAI-compatible server with 300ms latency and a 600 requests/minute
// budget, and the article's client - one review a request, one request at
// a time - on the same reviews. Run it with scripts/bench-themes.sh, or
//
//	go test -run='^$' -bench=ExtractLLM -benchtime=1x ./transforms/themes
//
// Sizes come from the environment: BEAMLENS_BENCH_REVIEWS (default 6000),
// BEAMLENS_BENCH_BASELINE (reviews for the sequential client, default 100),
// BEAMLENS_BENCH_BURST (requests the server's budget lets through at once,
// default 10: 600 a minute enforced a second at a time, as OpenAI quantises
// its limits; 1 is a strict 100ms between requests), BEAMLENS_BENCH_CLIENT_RPM
// (the client's --llm-rpm, default 600: the server's own budget).
func BenchmarkExtractLLM(b *testing.B) {
	n := envInt(b, "BEAMLENS_BENCH_REVIEWS", 6000)
	baseline := envInt(b, "BEAMLENS_BENCH_BASELINE", 100)
	burst := envInt(b, "BEAMLENS_BENCH_BURST", 10)
	distinct := benchReviews(b, n, 0)

	// Every review in one bounded collection: the file source's case.
	b.Run("batched", func(b *testing.B) {
		for b.Loop() {
			r := runBench(b, burst, 0, func(s beam.Scope) beam.PCollection {
				return beam.CreateList(s, distinct)
			}, len(distinct))
			r.report(b)
		}
	})
	// Reviews arriving as a stream, 300 a second in ticks of 10ms, so the
	// runner hands Extract small bundles: the Kafka source's case.
	b.Run("stream", func(b *testing.B) {
		for b.Loop() {
			r := runBench(b, burst, 0, func(s beam.Scope) beam.PCollection {
				return streamReviews(s, n, 0, 3, 10*time.Millisecond)
			}, len(distinct))
			r.report(b)
		}
	})
	// A stream where one review in five repeats an earlier one exactly,
	// with and without the cache.
	repeated := benchReviews(b, n/2, benchRepeats)
	for _, c := range []struct {
		name  string
		cache int
	}{{"repeats-cache", 0}, {"repeats-nocache", -1}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				r := runBench(b, burst, c.cache, func(s beam.Scope) beam.PCollection {
					return streamReviews(s, n/2, benchRepeats, 3, 10*time.Millisecond)
				}, len(repeated))
				r.report(b)
			}
		})
	}
	// The article's client: one review a request, one request at a time,
	// no cache, outside Beam (its map calls the API in line).
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			r := runSequential(b, burst, distinct[:min(baseline, len(distinct))])
			r.report(b)
		}
	})
}

// benchResult is what one run measured.
type benchResult struct {
	reviews      int
	wall, active time.Duration // the whole run; first call to last answer
	server       llmtest.Stats
	client       llm.Stats
	articleToks  float64 // tokens/review of the article's own prompt, estimated
	fullBatches  int64
	extractCalls int64
}

func (r benchResult) report(b *testing.B) {
	rate := float64(r.reviews) / r.active.Seconds()
	b.ReportMetric(rate, "reviews/s")
	b.ReportMetric(float64(r.reviews)/r.wall.Seconds(), "wall-reviews/s")
	b.ReportMetric(100*rate/benchCeiling, "%ceiling")
	b.ReportMetric(float64(r.server.Requests), "requests")
	b.ReportMetric(float64(r.server.OverBudget), "429s")
	b.ReportMetric(100*float64(r.server.OverBudget)/float64(max(1, r.server.Requests)), "%429")
	b.ReportMetric(float64(r.server.Requests)/r.active.Seconds(), "requests/s")
	b.ReportMetric(float64(r.client.Items)/float64(max(1, r.server.Answered)), "reviews/request")
	b.ReportMetric(float64(r.server.PromptTokens+r.server.CompletionTokens)/float64(r.reviews), "tokens/review")
	b.ReportMetric(float64(r.client.CacheHits), "cache-hits")
	b.ReportMetric(float64(r.reviews), "reviews")
	b.ReportMetric(float64(r.client.SendLagP50.Microseconds())/1000, "ms-lag-p50")
	b.ReportMetric(float64(r.client.SendLagP99.Microseconds())/1000, "ms-lag-p99")
	b.ReportMetric(float64(r.client.SendLagMax.Microseconds())/1000, "ms-lag-max")
	b.ReportMetric(float64(r.client.PaceInterval.Microseconds())/1000, "ms-pace")
	if r.extractCalls > 0 {
		b.ReportMetric(float64(r.extractCalls), "extract-calls")
		b.ReportMetric(float64(r.fullBatches), "full-batches")
	}
	if r.articleToks > 0 {
		b.ReportMetric(r.articleToks, "article-tokens/review")
	}
}

// runBench runs source through Extract on prism against a fresh server,
// with the extractor configured as the CLI would be for this service
// (batches of 20, 4 requests in flight, --llm-rpm=600, --llm-tpm=-1: the
// default 200,000 estimated tokens a minute would hold batches of 20 to
// about 3 requests a second).
func runBench(b *testing.B, burst, cacheSize int, source func(s beam.Scope) beam.PCollection, n int) benchResult {
	b.Helper()
	srv := startBenchServer(b, burst)
	defer srv.Close()
	o := benchOptions(srv)
	o.RequestsPerMinute = envInt(b, "BEAMLENS_BENCH_CLIENT_RPM", benchRPM)
	o.CacheSize = cacheSize
	e, err := llm.NewOpenAIExtractor(o)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	m := &meteredExtractor{inner: e, batch: benchBatch}
	kind := fmt.Sprintf("bench-%d", benchKinds.Add(1))
	RegisterExtractor(kind, func() (llm.Extractor, error) { return m, nil })

	p, s := beam.NewPipelineWithRoot()
	Extract(s, source(s), ExtractOptions{Kind: kind, BatchSize: benchBatch, Concurrency: 4})
	start := time.Now()
	if err := ptest.Run(p); err != nil {
		b.Fatal(err)
	}
	wall := time.Since(start)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items+m.cached != n || m.failed > 0 {
		b.Fatalf("extracted %d reviews (%d failed) and found %d cached, want %d", m.items, m.failed, m.cached, n)
	}
	return benchResult{reviews: n, wall: wall, active: m.last.Sub(m.first), server: srv.Stats(),
		client: e.Stats(), fullBatches: m.full, extractCalls: m.calls}
}

// runSequential is the article's client: one review a request, one request
// at a time, no cache.
func runSequential(b *testing.B, burst int, reviews []events.Review) benchResult {
	b.Helper()
	srv := startBenchServer(b, burst)
	defer srv.Close()
	o := benchOptions(srv)
	o.BatchSize, o.MaxConcurrency, o.CacheSize = 1, 1, -1
	e, err := llm.NewOpenAIExtractor(o)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	off := llm.NewOffline()
	var articleToks int
	start := time.Now()
	for _, r := range reviews {
		res, err := e.Extract(context.Background(), []llm.Item{{ID: r.ReviewID, Text: r.Text}})
		if err != nil || res[0].Err != nil {
			b.Fatalf("review %s: %v %v", r.ReviewID, err, res)
		}
		answer, _ := json.Marshal(off.Themes(r.Text))
		articleToks += (len(fmt.Sprintf(articlePrompt, r.Text))+3)/4 + (len(answer)+3)/4
	}
	d := time.Since(start)
	return benchResult{reviews: len(reviews), wall: d, active: d, server: srv.Stats(), client: e.Stats(),
		articleToks: float64(articleToks) / float64(len(reviews))}
}

func benchOptions(srv benchServer) llm.Options {
	return llm.Options{
		BaseURL: srv.URL(), Model: "bench", NoAPIKey: true, APIKeyEnv: "BEAMLENS_BENCH_NO_SUCH_VARIABLE",
		BatchSize: benchBatch, MaxConcurrency: 4, RequestsPerMinute: benchRPM, TokensPerMinute: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

var benchKinds atomic.Int64

// meteredExtractor times the calls of the extractor it wraps.
type meteredExtractor struct {
	inner llm.Extractor
	batch int

	mu                    sync.Mutex
	first, last           time.Time
	calls, full           int64
	items, failed, cached int
	failedIDs             []string
}

// Cached passes the inner extractor's cache through, so Extract finds it.
func (m *meteredExtractor) Cached(text string) ([]string, bool) {
	c, ok := m.inner.(llm.Cacher)
	if !ok {
		return nil, false
	}
	th, hit := c.Cached(text)
	if hit {
		m.mu.Lock()
		m.cached++
		m.mu.Unlock()
	}
	return th, hit
}

// NextStart passes the inner extractor's pace through, so Extract's
// dispatcher cuts partial batches as it would without the meter.
func (m *meteredExtractor) NextStart() time.Time {
	if p, ok := m.inner.(llm.Paced); ok {
		return p.NextStart()
	}
	return time.Time{}
}

func (m *meteredExtractor) Extract(ctx context.Context, items []llm.Item) ([]llm.Result, error) {
	start := time.Now()
	res, err := m.inner.Extract(ctx, items)
	end := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.first.IsZero() || start.Before(m.first) {
		m.first = start
	}
	if end.After(m.last) {
		m.last = end
	}
	m.calls++
	if len(items) >= m.batch {
		m.full++
	}
	if err == nil {
		m.items += len(items)
		for i, r := range res {
			if r.Err != nil {
				m.failed++
				m.failedIDs = append(m.failedIDs, items[i].ID)
			}
		}
	}
	return res, err
}

// streamReviews emits the benchmark's reviews perTick at a time, one tick
// every interval, from an unbounded periodic source.
func streamReviews(s beam.Scope, n int, repeats float64, perTick int, interval time.Duration) beam.PCollection {
	return streamTicks(s, &tickReviewsFn{N: n, Repeats: repeats, PerTick: perTick}, interval)
}

// streamTicks emits fn's reviews, fn.PerTick at a time, one tick every
// interval, from an unbounded periodic source.
func streamTicks(s beam.Scope, fn *tickReviewsFn, interval time.Duration) beam.PCollection {
	ticks := (fn.N + fn.PerTick - 1) / fn.PerTick
	start := time.Now().Add(time.Second)
	def := periodic.NewSequenceDefinition(start, start.Add(time.Duration(ticks)*interval), interval)
	seq := periodic.Sequence(s, beam.Create(s, def))
	return beam.ParDo(s, fn, seq)
}

// tickReviewsFn emits the reviews of tick i, stamped with the tick's time.
// Review number Bad, when positive, has BadText appended to its text.
type tickReviewsFn struct {
	N, PerTick int
	Repeats    float64
	Bad        int
	BadText    string

	reviews []events.Review
}

func (fn *tickReviewsFn) Setup() error {
	rs, err := makeBenchReviews(fn.N, fn.Repeats)
	if fn.Bad > 0 && fn.Bad < len(rs) {
		rs[fn.Bad].Text += " " + fn.BadText
	}
	fn.reviews = rs
	return err
}

func (fn *tickReviewsFn) ProcessElement(t beam.EventTime, i int64, emit func(beam.EventTime, events.Review)) {
	for k := int(i) * fn.PerTick; k < min(int(i+1)*fn.PerTick, len(fn.reviews)); k++ {
		r := fn.reviews[k]
		r.EventTimeMs = int64(t)
		emit(t, r)
	}
}

func benchReviews(b *testing.B, n int, repeats float64) []events.Review {
	b.Helper()
	rs, err := makeBenchReviews(n, repeats)
	if err != nil {
		b.Fatal(err)
	}
	return rs
}

// makeBenchReviews returns n generated reviews whose texts are distinct,
// except that each review after the first repeats an earlier text exactly
// with probability repeats. Distinct texts keep the generator's mix of
// themes; a repeated text gets a reference number to tell it apart.
func makeBenchReviews(n int, repeats float64) ([]events.Review, error) {
	var buf bytes.Buffer
	if err := synth.Reviews(&buf, nil, synth.ReviewOptions{N: n, Seed: benchSeed, MalformedRate: -1}); err != nil {
		return nil, err
	}
	var dec events.ReviewDecoder
	rng := rand.New(rand.NewPCG(benchSeed, 2))
	seen := map[string]bool{}
	out := make([]events.Review, 0, n)
	for _, line := range bytes.Split(buf.Bytes(), []byte("\n")) {
		r, err := dec.Decode(line)
		if err != nil {
			continue
		}
		r.Raw = append([]byte(nil), line...)
		switch {
		case len(out) > 0 && rng.Float64() < repeats:
			r.Text = out[rng.IntN(len(out))].Text
		case seen[r.Text]:
			r.Text += " Ref " + strconv.Itoa(len(out)) + "."
		}
		seen[r.Text] = true
		out = append(out, r)
	}
	if len(out) != n {
		return nil, fmt.Errorf("generated %d reviews, want %d", len(out), n)
	}
	return out, nil
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
