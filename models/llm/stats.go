package llm

import (
	"sync"
	"sync/atomic"
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
	// ResponseFormat is the format now in use.
	ResponseFormat string
}

type counters struct {
	calls, retries, answerRetries, splits, cacheHits, items, itemsFailed atomic.Int64
	promptTokens, completionTokens, downgrades                           atomic.Int64
}

// Stats returns a snapshot of the counters. Each counter is read
// atomically; together they are not one instant's.
func (e *OpenAIExtractor) Stats() Stats {
	c := &e.stats
	return Stats{
		Calls: c.calls.Load(), Retries: c.retries.Load(), AnswerRetries: c.answerRetries.Load(),
		Splits: c.splits.Load(), CacheHits: c.cacheHits.Load(), Items: c.items.Load(),
		ItemsFailed: c.itemsFailed.Load(), PromptTokens: c.promptTokens.Load(),
		CompletionTokens: c.completionTokens.Load(), Downgrades: c.downgrades.Load(),
		ResponseFormat: formats[e.format.Load()],
	}
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
	}
	return sum
}
