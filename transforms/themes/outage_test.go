package themes

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/models/llm/llmtest"
)

// TestStreamingOutage streams reviews for about 40 s through Extract (an
// unbounded periodic source on prism) while the LLM server fails every
// request for 30 s in the middle: the job must not fail, and every review
// must come out enriched but one - review 300, due mid-outage, whose text
// the server refuses (a content filter's 400) - which alone is
// dead-lettered; none lost. The extractor's circuit breaker holds the
// requests while the server is down; a streaming job has no GiveUpAfter.
func TestStreamingOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("a 40 s streaming run")
	}
	const badText = "CONTENT-FILTER-BAIT"
	srv := llmtest.NewServer(llmtest.Config{Latency: 20 * time.Millisecond, RefuseText: badText})
	defer srv.Close()
	e, err := llm.NewOpenAIExtractor(llm.Options{
		BaseURL: srv.URL(), Model: "outage", NoAPIKey: true, APIKeyEnv: "BEAMLENS_TEST_NO_SUCH_VARIABLE",
		BatchSize: 10, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second, RequestTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	m := &meteredExtractor{inner: e, batch: 10}
	kind := fmt.Sprintf("outage-%d", benchKinds.Add(1))
	RegisterExtractor(kind, func() (llm.Extractor, error) { return m, nil })

	const n = 800 // one review every 50 ms: 40 s
	p, s := beam.NewPipelineWithRoot()
	// Reviews and dead letters are counted where they are made: by the
	// metered extractor (each result) and the extractor's own stats.
	const bad = 300
	reviews := streamTicks(s, &tickReviewsFn{N: n, PerTick: 1, Bad: bad, BadText: badText}, 50*time.Millisecond)
	Extract(s, reviews, ExtractOptions{Kind: kind, BatchSize: 10})

	down := time.AfterFunc(6*time.Second, func() { srv.Outage(30 * time.Second) })
	defer down.Stop()
	start := time.Now()
	if err := ptest.Run(p); err != nil {
		t.Fatalf("the job failed: %v", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ss := e.Stats(), srv.Stats()
	t.Logf("%s; extractor %+v; server: %d requests, %d in the outage", time.Since(start).Round(time.Second), st, ss.Requests, ss.InOutage)
	rs, err := makeBenchReviews(n, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.items+m.cached != n || m.failed != 1 || m.failedIDs[0] != rs[bad].ReviewID {
		t.Errorf("%d reviews extracted (%d failed: %v), %d cached; want %d, only review %d failed", m.items, m.failed, m.failedIDs, m.cached, n, bad)
	}
	if ss.Refused == 0 {
		t.Errorf("the server never refused the bad review")
	}
	if ss.InOutage == 0 || st.BreakerOpens == 0 {
		t.Errorf("the outage was not met: %d requests in it, breaker opened %d times", ss.InOutage, st.BreakerOpens)
	}
	if int(st.Items+st.CacheHits+st.ItemsFailed) != n || st.ItemsFailed != 1 {
		t.Errorf("extractor answered %d + %d cached + %d failed, want %d with 1 failed", st.Items, st.CacheHits, st.ItemsFailed, n)
	}
}
