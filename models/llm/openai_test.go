package llm_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/internal/retry"
	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/models/llm/llmtest"
)

func TestBatching(t *testing.T) {
	srv := startServer(t, llmtest.Config{})
	e := newExtractor(t, srv, func(o *llm.Options) { o.BatchSize = 10 })
	items := reviewItems(t, 95, 1)
	checkResults(t, items, extract(t, e, items), false)
	st, ss := e.Stats(), srv.Stats()
	if want := int64(ceilDiv(95, 10)); st.Calls != want || ss.Requests != want {
		t.Errorf("calls %d, server requests %d, want %d", st.Calls, ss.Requests, want)
	}
	if ss.Reviews != 95 || st.Items != 95 || st.ItemsFailed != 0 {
		t.Errorf("server saw %d reviews, extractor answered %d, failed %d", ss.Reviews, st.Items, st.ItemsFailed)
	}
	if st.PromptTokens != ss.PromptTokens || st.CompletionTokens != ss.CompletionTokens || st.PromptTokens == 0 {
		t.Errorf("tokens %d/%d, server reported %d/%d", st.PromptTokens, st.CompletionTokens, ss.PromptTokens, ss.CompletionTokens)
	}
	if ss.Formats["json_schema"] != ss.Requests {
		t.Errorf("formats %v, want json_schema only", ss.Formats)
	}
}

func TestBatchTokenBudget(t *testing.T) {
	srv := startServer(t, llmtest.Config{})
	e := newExtractor(t, srv, func(o *llm.Options) { o.BatchSize = 50; o.MaxBatchTokens = 100 })
	long := strings.Repeat("The battery is fine. ", 40) // ~210 tokens: alone
	items := []llm.Item{{ID: "a", Text: "Fast shipping."}, {ID: "b", Text: long}, {ID: "c", Text: "Great price."}, {ID: "d", Text: "Fits well."}}
	checkResults(t, items, extract(t, e, items), false)
	if got := srv.Stats().Requests; got != 3 {
		t.Errorf("%d requests, want 3 (a | b | c+d)", got)
	}
}

func TestConcurrencyBound(t *testing.T) {
	srv := startServer(t, llmtest.Config{Latency: 30 * time.Millisecond})
	e := newExtractor(t, srv, func(o *llm.Options) { o.BatchSize = 1; o.MaxConcurrency = 3 })
	items := reviewItems(t, 60, 2)
	var wg sync.WaitGroup
	for part := range 2 { // two calls share the extractor's bound
		wg.Go(func() {
			sub := items[part*30 : (part+1)*30]
			checkResults(t, sub, extract(t, e, sub), false)
		})
	}
	wg.Wait()
	if got := srv.Stats().MaxInFlight; got > 3 || got < 2 {
		t.Errorf("max in flight %d, want 2..3", got)
	}
}

func TestCache(t *testing.T) {
	srv := startServer(t, llmtest.Config{})
	e := newExtractor(t, srv, nil)
	items := reviewItems(t, 30, 3)
	checkResults(t, items, extract(t, e, items), false)
	before := srv.Stats().Requests
	again := append([]llm.Item(nil), items...)
	for i := range again {
		again[i].Text = "  " + strings.ToUpper(again[i].Text) + "\n" // same normalised text
		again[i].ID = "again"
	}
	res := extract(t, e, again)
	if srv.Stats().Requests != before {
		t.Errorf("repeated reviews cost %d requests", srv.Stats().Requests-before)
	}
	if got := e.Stats().CacheHits; got != 30 {
		t.Errorf("cache hits %d, want 30", got)
	}
	for i := range res {
		res[i].ID = items[i].ID
	}
	checkResults(t, items, res, false)

	// Duplicates within one call are sent once.
	dup := []llm.Item{{ID: "1", Text: "Arrived late."}, {ID: "2", Text: "arrived   LATE."}, {ID: "3", Text: "Arrived late."}}
	res = extract(t, e, dup)
	if srv.Stats().Reviews != 31 {
		t.Errorf("server saw %d reviews, want 31", srv.Stats().Reviews)
	}
	for _, r := range res {
		if len(r.Themes) != 1 || r.Themes[0] != "delivery" {
			t.Errorf("%+v", r)
		}
	}
	res[0].Themes[0] = "mutated"
	if res[1].Themes[0] != "delivery" {
		t.Error("duplicate results share a slice")
	}
	if r := extract(t, e, dup[:1]); r[0].Themes[0] != "delivery" {
		t.Error("a caller's edit reached the cache")
	}
	if st := e.Stats(); st.Items != 31 || st.CacheHits != 33 || st.Items+st.CacheHits+st.ItemsFailed != 64 {
		t.Errorf("stats %+v, want 31 answered and 33 hits of 64 items", st)
	}
}

func TestCacheDisabled(t *testing.T) {
	srv := startServer(t, llmtest.Config{})
	e := newExtractor(t, srv, func(o *llm.Options) { o.CacheSize = -1 })
	items := reviewItems(t, 5, 4)
	extract(t, e, items)
	extract(t, e, items)
	if got := srv.Stats().Requests; got != 2 {
		t.Errorf("%d requests, want 2", got)
	}
}

func TestRetryOn429HonoursRetryAfter(t *testing.T) {
	srv := startServer(t, llmtest.Config{RetryAfter: 300 * time.Millisecond})
	e := newExtractor(t, srv, nil)
	srv.Inject(llmtest.RateLimit)
	items := reviewItems(t, 3, 5)
	start := time.Now()
	checkResults(t, items, extract(t, e, items), false)
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("retried after %s, before the 300ms Retry-After", el)
	}
	if st := e.Stats(); st.Retries != 1 || st.Calls != 2 {
		t.Errorf("stats %+v, want 1 retry of 2 calls", st)
	}
}

func TestServerRequestBudget(t *testing.T) {
	// 600 requests a minute: one every 100ms; the extractor must follow the
	// 429s' Retry-After rather than fail.
	srv := startServer(t, llmtest.Config{RequestsPerMinute: 600})
	e := newExtractor(t, srv, func(o *llm.Options) { o.BatchSize = 1; o.MaxConcurrency = 2; o.MaxRetries = 20 })
	items := reviewItems(t, 6, 6)
	start := time.Now()
	checkResults(t, items, extract(t, e, items), false)
	if el := time.Since(start); el < 400*time.Millisecond {
		t.Errorf("6 requests at 10/s took %s", el)
	}
	t.Logf("server refused %d requests over budget; %s", srv.Stats().OverBudget, time.Since(start))
}

func TestRetryOn5xx(t *testing.T) {
	srv := startServer(t, llmtest.Config{})
	e := newExtractor(t, srv, nil)
	srv.Inject(llmtest.ServerError, llmtest.ServerError, llmtest.Reset, llmtest.BrokenBody)
	items := reviewItems(t, 4, 7)
	checkResults(t, items, extract(t, e, items), false)
	if st := e.Stats(); st.Retries != 3 || st.Splits != 1 {
		t.Errorf("stats %+v, want 3 retries and 1 split", st)
	}
}

func TestOutageGivesUpAfterGiveUpAfter(t *testing.T) {
	srv := startServer(t, llmtest.Config{ServerErrorProb: 1})
	e := newExtractor(t, srv, func(o *llm.Options) { o.MaxRetries = 2; o.GiveUpAfter = 1500 * time.Millisecond })
	items := reviewItems(t, 4, 8)
	start := time.Now()
	res := extract(t, e, items)
	if el := time.Since(start); el < 1500*time.Millisecond {
		t.Errorf("gave up after %s, before GiveUpAfter", el)
	}
	for _, r := range res {
		var gu *llm.GaveUpError
		var se *llm.StatusError
		if !errors.Is(r.Err, llm.ErrGaveUp) || !errors.As(r.Err, &gu) || !errors.As(r.Err, &se) || se.StatusCode < 500 {
			t.Errorf("item error %v: want a *GaveUpError carrying the last 5xx", r.Err)
		}
	}
	st := e.Stats()
	if st.GaveUp != 4 || st.BreakerOpens != 1 || !errors.Is(st.LastGaveUp, llm.ErrGaveUp) {
		t.Errorf("stats %+v", st)
	}
	// 3 attempts, then probes after 1s (and none at 3s: it gave up at 1.5s).
	if got := srv.Stats().Requests; got != 4 {
		t.Errorf("%d requests, want 4 (3 attempts and 1 probe)", got)
	}
	// Once given up, a new call fails its items at once.
	start = time.Now()
	res = extract(t, e, reviewItems(t, 2, 9))
	if !errors.Is(res[0].Err, llm.ErrGaveUp) || time.Since(start) > time.Second {
		t.Errorf("after giving up: %v in %s", res[0].Err, time.Since(start))
	}
}

func TestOutageWaitsForTheService(t *testing.T) {
	srv := startServer(t, llmtest.Config{})
	e := newExtractor(t, srv, func(o *llm.Options) { o.MaxRetries = 2; o.BatchSize = 5 })
	srv.Outage(2500 * time.Millisecond)
	items := reviewItems(t, 20, 10)
	start := time.Now()
	checkResults(t, items, extract(t, e, items), false)
	if el := time.Since(start); el < 2500*time.Millisecond {
		t.Errorf("answered after %s, inside the outage", el)
	}
	st, ss := e.Stats(), srv.Stats()
	if st.BreakerOpens < 1 || st.ItemsFailed != 0 || st.GaveUp != 0 {
		t.Errorf("stats %+v", st)
	}
	// The breaker holds the four batches back: each spends its 3
	// attempts at most, then a few probes go out (1s, 2s), not four
	// batches retrying on their own through the outage.
	if ss.InOutage > 16 {
		t.Errorf("%d requests during a 2.5s outage", ss.InOutage)
	}
	t.Logf("%d requests in the outage, %s", ss.InOutage, time.Since(start))
}

func TestRequestTimeout(t *testing.T) {
	srv := startServer(t, llmtest.Config{HangFor: 10 * time.Second})
	e := newExtractor(t, srv, func(o *llm.Options) { o.RequestTimeout = 200 * time.Millisecond })
	srv.Inject(llmtest.Timeout)
	items := reviewItems(t, 2, 9)
	start := time.Now()
	checkResults(t, items, extract(t, e, items), false)
	if el := time.Since(start); el < 200*time.Millisecond || el > 3*time.Second {
		t.Errorf("took %s, want the 200ms timeout and a retry", el)
	}
	if st := e.Stats(); st.Retries != 1 {
		t.Errorf("stats %+v, want 1 retry", st)
	}
}

func TestContextCancelled(t *testing.T) {
	srv := startServer(t, llmtest.Config{HangFor: 10 * time.Second})
	e := newExtractor(t, srv, nil)
	srv.Inject(llmtest.Timeout)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := e.Extract(ctx, reviewItems(t, 2, 10)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's deadline", err)
	}
}

func TestBadAnswersRetried(t *testing.T) {
	for _, mode := range []llmtest.Mode{llmtest.Garbage, llmtest.MissingID, llmtest.WrongSchema, llmtest.BrokenBody} {
		t.Run(mode.String(), func(t *testing.T) {
			srv := startServer(t, llmtest.Config{})
			e := newExtractor(t, srv, nil)
			srv.Inject(mode)
			items := reviewItems(t, 5, 11)
			checkResults(t, items, extract(t, e, items), false)
			// An answer broken as a whole is narrowed down (one review may
			// have caused it); a broken entry is asked again.
			if st := e.Stats(); st.AnswerRetries+st.Splits != 1 {
				t.Errorf("stats %+v, want 1 answer retry or split", st)
			}
		})
	}
}

func TestExtraIDIgnored(t *testing.T) {
	srv := startServer(t, llmtest.Config{ExtraIDProb: 1})
	e := newExtractor(t, srv, nil)
	items := reviewItems(t, 5, 12)
	checkResults(t, items, extract(t, e, items), false)
	if st := e.Stats(); st.AnswerRetries != 0 || st.Calls != 1 {
		t.Errorf("stats %+v, want one call", st)
	}
}

func TestPersistentBadAnswersFailItems(t *testing.T) {
	for _, c := range []struct {
		mode       llmtest.Config
		wantFailed int
	}{
		{llmtest.Config{GarbageProb: 1}, 12},
		// The first review's entry is broken; alone, the whole answer is.
		{llmtest.Config{WrongSchemaProb: 1}, 3},
		// Each answer drops its last review: the others are answered.
		{llmtest.Config{MissingIDProb: 1}, 3},
	} {
		srv := startServer(t, c.mode)
		e := newExtractor(t, srv, func(o *llm.Options) { o.BatchSize = 4 })
		items := reviewItems(t, 12, 13)
		res := extract(t, e, items)
		if failed := checkResults(t, items, res, true); failed != c.wantFailed {
			t.Errorf("%+v: %d failed, want %d", c.mode, failed, c.wantFailed)
		}
		for _, r := range res {
			if r.Err != nil && !errors.Is(r.Err, llm.ErrBadAnswer) {
				t.Errorf("item error %v is not ErrBadAnswer", r.Err)
			}
		}
		if st := e.Stats(); st.ItemsFailed != int64(c.wantFailed) {
			t.Errorf("ItemsFailed %d, want %d", st.ItemsFailed, c.wantFailed)
		}
	}
}

func TestRefusedReviewIsolated(t *testing.T) {
	srv := startServer(t, llmtest.Config{RefuseText: "FORBIDDEN"})
	e := newExtractor(t, srv, func(o *llm.Options) { o.BatchSize = 8 })
	items := reviewItems(t, 8, 14)
	items[5].Text += " FORBIDDEN"
	res := extract(t, e, items)
	for i, r := range res {
		if (r.Err != nil) != (i == 5) {
			t.Errorf("item %d: %v", i, r.Err)
		}
	}
	if !errors.Is(res[5].Err, llm.ErrRejected) {
		t.Errorf("refused item error %v is not ErrRejected", res[5].Err)
	}
	if st := e.Stats(); st.Splits != 3 {
		t.Errorf("splits %d, want 3 (8 -> 4 -> 2 -> 1)", st.Splits)
	}
}

func TestParameterRefusalFailsTheCall(t *testing.T) {
	// A 400 that blames a parameter of ours is configuration, not data: the
	// call fails rather than dead-lettering every review.
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"message":"Unsupported parameter: 'temperature'","type":"invalid_request_error","param":"temperature"}}`))
	}))
	defer srv.Close()
	e, err := llm.NewOpenAIExtractor(llm.Options{BaseURL: srv.URL, NoAPIKey: true, APIKeyEnv: "BEAMLENS_TEST_NO_SUCH_VARIABLE", Temperature: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Extract(context.Background(), reviewItems(t, 8, 22))
	var se *llm.StatusError
	if !errors.As(err, &se) || se.Param != "temperature" || retry.Transient(err) {
		t.Fatalf("got %v, want a call error blaming temperature", err)
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests, want 1", requests.Load())
	}
}

func TestResponseFormatFallback(t *testing.T) {
	for _, c := range []struct {
		reject, want string
	}{
		{"json_schema", llm.FormatJSONObject},
		{"any", llm.FormatText},
	} {
		t.Run(c.reject, func(t *testing.T) {
			srv := startServer(t, llmtest.Config{RejectResponseFormat: c.reject})
			e := newExtractor(t, srv, func(o *llm.Options) { o.BatchSize = 5 })
			items := reviewItems(t, 20, 15)
			checkResults(t, items, extract(t, e, items), false)
			st := e.Stats()
			if st.ResponseFormat != c.want || st.Retries != 0 {
				t.Errorf("stats %+v, want format %s and no retries", st, c.want)
			}
			if srv.Stats().Answered != 4 {
				t.Errorf("server %+v", srv.Stats())
			}
		})
	}
}

func TestClientRateLimits(t *testing.T) {
	srv := startServer(t, llmtest.Config{})
	e := newExtractor(t, srv, func(o *llm.Options) {
		o.BatchSize, o.MaxConcurrency = 1, 1
		o.RequestsPerMinute = 1200 // 20/s, burst 1
	})
	items := reviewItems(t, 11, 16)
	start := time.Now()
	extract(t, e, items)
	if el := time.Since(start); el < 450*time.Millisecond {
		t.Errorf("11 requests at 20/s took %s, want >= 500ms", el)
	}

	srv = startServer(t, llmtest.Config{})
	e = newExtractor(t, srv, func(o *llm.Options) {
		o.BatchSize = 1
		o.TokensPerMinute = 60_000 // 1,000/s, burst 1,000
	})
	items = reviewItems(t, 8, 17)
	start = time.Now()
	extract(t, e, items)
	el := time.Since(start)
	// The limiter counts estimates at least as large as the server's count.
	prompt := srv.Stats().PromptTokens
	if min := time.Duration(float64(prompt-1000) / 1000 * float64(time.Second)); prompt < 1500 || el < min-50*time.Millisecond {
		t.Errorf("%d prompt tokens at 1,000/s took %s, want >= %s", prompt, el, min)
	}
}

func TestAzure(t *testing.T) {
	srv := startServer(t, llmtest.Config{APIKey: "azure-key-0123456789"})
	t.Setenv("AZURE_OPENAI_API_KEY", "azure-key-0123456789")
	e := newExtractor(t, srv, func(o *llm.Options) {
		o.Provider, o.BaseURL, o.Model = llm.ProviderAzure, srv.RootURL(), "my-deployment"
		o.NoAPIKey, o.APIKeyEnv = false, "AZURE_OPENAI_API_KEY"
	})
	items := reviewItems(t, 3, 18)
	checkResults(t, items, extract(t, e, items), false)
	if srv.Stats().Unauthorized != 0 {
		t.Error("key refused")
	}
}

// TestChaos throws every fault at the extractor at once: every item must
// come back exactly once, answered or failed, and nothing else.
func TestChaos(t *testing.T) {
	srv := startServer(t, llmtest.Config{
		Seed: 99, RetryAfter: 5 * time.Millisecond, HangFor: 5 * time.Second,
		RateLimitProb: 0.05, ServerErrorProb: 0.05, TimeoutProb: 0.03, ResetProb: 0.05,
		GarbageProb: 0.05, MissingIDProb: 0.05, ExtraIDProb: 0.05, WrongSchemaProb: 0.05, BrokenBodyProb: 0.03,
	})
	e := newExtractor(t, srv, func(o *llm.Options) {
		o.BatchSize, o.MaxConcurrency, o.MaxRetries = 7, 4, 10
		o.RequestTimeout = 100 * time.Millisecond
	})
	items := reviewItems(t, 300, 19)
	res := extract(t, e, items)
	failed := checkResults(t, items, res, true)
	st := e.Stats()
	if st.Items+st.CacheHits+st.ItemsFailed != 300 || int(st.ItemsFailed) != failed {
		t.Errorf("stats %+v, %d failed", st, failed)
	}
	t.Logf("stats %+v; server %+v", st, srv.Stats())
}

// TestProcessStatsSumsExtractors: the process-wide counters that
// --metrics-addr serves include every extractor's work.
func TestProcessStatsSumsExtractors(t *testing.T) {
	before := llm.ProcessStats()
	timed := requestsTimed(t)
	srv := startServer(t, llmtest.Config{})
	e := newExtractor(t, srv, func(o *llm.Options) { o.BatchSize = 5 })
	extract(t, e, reviewItems(t, 20, 3))
	got, own := llm.ProcessStats(), e.Stats()
	if own.Calls == 0 || got.Calls-before.Calls < own.Calls || got.Items-before.Items < own.Items {
		t.Errorf("process stats %+v before %+v, this extractor's %+v", got, before, own)
	}
	// Every request is timed in the latency histogram.
	if n := requestsTimed(t) - timed; n < uint64(own.Calls) {
		t.Errorf("%d requests timed, want at least this extractor's %d", n, own.Calls)
	}
}

// requestsTimed is the number of LLM requests the process's latency
// histogram (beamlens_llm_request_seconds) has observed.
func requestsTimed(t *testing.T) uint64 {
	t.Helper()
	fams, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, f := range fams {
		if f.GetName() == "beamlens_llm_request_seconds" {
			for _, m := range f.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}
