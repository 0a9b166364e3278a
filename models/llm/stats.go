package llm

import (
	"sync"
	"sync/atomic"
	"time"
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
}

type counters struct {
	calls, retries, answerRetries, splits, cacheHits, items, itemsFailed atomic.Int64
	promptTokens, completionTokens, downgrades, rateLimited, gaveUp      atomic.Int64
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
	_, st.BreakerOpens, _ = e.breaker.state()
	if st.GaveUp > 0 {
		e.breaker.mu.Lock()
		st.LastGaveUp = e.breaker.gaveUp
		e.breaker.mu.Unlock()
	}
	return st
}

// live holds every extractor this process made, so that a running job's LLM
// work can be reported while it runs (beamlens --metrics-addr). Extractors
// are made once per DoFn instance, so the list stays short.
var live struct {
	sync.Mutex
	extractors []*OpenAIExtractor
}

func register(e *OpenAIExtractor) {
	live.Lock()
	live.extractors = append(live.extractors, e)
	live.Unlock()
}

// ProcessStats sums the counters of every extractor this process made.
// ResponseFormat is left empty.
func ProcessStats() Stats {
	live.Lock()
	defer live.Unlock()
	var sum Stats
	for _, e := range live.extractors {
		s := e.Stats()
		sum.Calls += s.Calls
		sum.Retries += s.Retries
		sum.AnswerRetries += s.AnswerRetries
		sum.Splits += s.Splits
		sum.CacheHits += s.CacheHits
		sum.Items += s.Items
		sum.ItemsFailed += s.ItemsFailed
		sum.PromptTokens += s.PromptTokens
		sum.CompletionTokens += s.CompletionTokens
		sum.Downgrades += s.Downgrades
		sum.RateLimited += s.RateLimited
		sum.BreakerOpens += s.BreakerOpens
		sum.GaveUp += s.GaveUp
		if s.LastGaveUp != nil {
			sum.LastGaveUp = s.LastGaveUp
		}
	}
	return sum
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
