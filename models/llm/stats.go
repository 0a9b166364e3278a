package llm

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// Stats counts an OpenAIExtractor's work since it was made. Over calls that
// returned no error, Items + CacheHits + ItemsFailed is the number of items.
type Stats struct {
	// Calls is the number of HTTP requests sent, retries included.
	Calls int64
	// Retries is the number of requests sent again after a 429, a 5xx, a
	// timeout or a broken connection.
	Retries int64
	// AnswerRetries is the number of requests sent again for reviews whose
	// answer broke the wire contract.
	AnswerRetries int64
	// Splits is the number of batches the service refused (a 4xx other than
	// a response_format refusal) that were halved to find the culprit.
	Splits int64
	// CacheHits is the number of items answered without a request of their
	// own: from the cache, or as a duplicate of another item of the call.
	CacheHits int64
	// Items is the number of distinct review texts the service answered.
	Items int64
	// ItemsFailed is the number of Results returned with an Err.
	ItemsFailed int64
	// PromptTokens and CompletionTokens are the usage the service reported.
	PromptTokens     int64
	CompletionTokens int64
	// Downgrades is the number of times the response format stepped down
	// after a server refused it.
	Downgrades int64
	// RateLimited is the number of requests the service answered 429.
	RateLimited int64
	// BreakerOpens is the number of times the circuit breaker opened: the
	// service failed a request through all its retries and every request
	// waited for a probe to get an answer.
	BreakerOpens int64
	// GaveUp is the number of distinct review texts failed with a
	// *GaveUpError (the service stayed down past GiveUpAfter).
	GaveUp int64
	// LastGaveUp is the error those reviews failed with, nil when none.
	LastGaveUp error
	// ResponseFormat is the format now in use.
	ResponseFormat string
	// SendLagP50, SendLagP99 and SendLagMax are the median, 99th percentile
	// and largest, over the latest 256 requests under a request limit, of
	// the time from a request's rate token to its last byte written: the
	// jitter on the client's side of a rate budget.
	SendLagP50, SendLagP99, SendLagMax time.Duration
	// PaceInterval is the time the pacer now leaves between request
	// starts: 60s/RequestsPerMinute plus the margin learned from 429s
	// (pacing.go). Zero without a request limit.
	PaceInterval time.Duration
}

// stat is one of an extractor's counters. It also adds to the process's
// Prometheus counter of the same work (internal/metrics), which /metrics
// serves and ProcessStats reads.
type stat struct {
	n      atomic.Int64
	global prometheus.Counter
}

func (s *stat) Add(d int64) {
	s.n.Add(d)
	s.global.Add(float64(d))
}

func (s *stat) Load() int64 { return s.n.Load() }

type counters struct {
	calls, retries, answerRetries, splits, cacheHits, items, itemsFailed stat
	promptTokens, completionTokens, downgrades, rateLimited, gaveUp      stat
}

// init points each counter at its process-wide Prometheus counter.
func (c *counters) init() {
	for _, s := range []struct {
		s *stat
		g prometheus.Counter
	}{
		{&c.calls, metrics.LLMCalls}, {&c.retries, metrics.LLMRetries}, {&c.answerRetries, metrics.LLMAnswerRetries},
		{&c.splits, metrics.LLMSplits}, {&c.cacheHits, metrics.LLMCacheHits}, {&c.items, metrics.LLMItems},
		{&c.itemsFailed, metrics.LLMItemsFailed}, {&c.promptTokens, metrics.LLMPromptTokens},
		{&c.completionTokens, metrics.LLMCompletionTokens}, {&c.downgrades, metrics.LLMDowngrades},
		{&c.rateLimited, metrics.LLMRateLimited}, {&c.gaveUp, metrics.LLMGaveUp},
	} {
		s.s.global = s.g
	}
}

// Stats returns a snapshot of the counters. Each counter is read
// atomically; together they are not one instant's.
func (e *OpenAIExtractor) Stats() Stats {
	c := &e.stats
	st := Stats{
		Calls: c.calls.Load(), Retries: c.retries.Load(), AnswerRetries: c.answerRetries.Load(),
		Splits: c.splits.Load(), CacheHits: c.cacheHits.Load(), Items: c.items.Load(),
		ItemsFailed: c.itemsFailed.Load(), PromptTokens: c.promptTokens.Load(),
		CompletionTokens: c.completionTokens.Load(), Downgrades: c.downgrades.Load(),
		RateLimited: c.rateLimited.Load(), GaveUp: c.gaveUp.Load(),
		ResponseFormat: formats[e.format.Load()],
	}
	st.SendLagP50, st.SendLagP99, st.SendLagMax = e.spacing.lagQuantiles()
	st.PaceInterval = e.pacer.interval()
	_, st.BreakerOpens, _ = e.breaker.state()
	if st.GaveUp > 0 {
		e.breaker.mu.Lock()
		st.LastGaveUp = e.breaker.gaveUp
		e.breaker.mu.Unlock()
	}
	return st
}

// lastGaveUp is the error the last reviews any extractor of this process
// gave up on failed with.
var lastGaveUp struct {
	sync.Mutex
	err error
}

func recordGaveUp(err error) {
	lastGaveUp.Lock()
	lastGaveUp.err = err
	lastGaveUp.Unlock()
}

// ProcessStats is the work of every extractor this process made, as the
// process's Prometheus counters hold it (what /metrics serves).
// ResponseFormat is left empty.
func ProcessStats() Stats {
	lastGaveUp.Lock()
	defer lastGaveUp.Unlock()
	return Stats{
		Calls: metrics.Count(metrics.LLMCalls), Retries: metrics.Count(metrics.LLMRetries),
		AnswerRetries: metrics.Count(metrics.LLMAnswerRetries), Splits: metrics.Count(metrics.LLMSplits),
		CacheHits: metrics.Count(metrics.LLMCacheHits), Items: metrics.Count(metrics.LLMItems),
		ItemsFailed: metrics.Count(metrics.LLMItemsFailed), PromptTokens: metrics.Count(metrics.LLMPromptTokens),
		CompletionTokens: metrics.Count(metrics.LLMCompletionTokens), Downgrades: metrics.Count(metrics.LLMDowngrades),
		RateLimited: metrics.Count(metrics.LLMRateLimited), BreakerOpens: metrics.Count(metrics.LLMBreakerOpens),
		GaveUp: metrics.Count(metrics.LLMGaveUp), LastGaveUp: lastGaveUp.err,
	}
}

// lastCallError is the last error that failed a whole call of any
// extractor of this process (credentials, model, a parameter the service
// refused), so that a command line can say it in one line rather than
// under a runner's dump.
var lastCallError struct {
	sync.Mutex
	err error
	n   int64
}

func recordCallError(err error) {
	lastCallError.Lock()
	lastCallError.err = err
	lastCallError.n++
	lastCallError.Unlock()
}

// LastCallError returns the last error that failed a whole Extract call of
// an OpenAIExtractor of this process, or nil, and how many such errors
// there have been: a caller compares counts to tell a new one.
func LastCallError() (error, int64) {
	lastCallError.Lock()
	defer lastCallError.Unlock()
	return lastCallError.err, lastCallError.n
}
