package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"
	"golang.org/x/time/rate"
)

// OpenAIExtractor extracts themes with a chat model behind any
// OpenAI-compatible API, several reviews a request. Safe for concurrent use:
// the concurrency bound, rate limits, cache and counters are shared by all
// calls, so one extractor per process (a DoFn's Setup) is the intended use.
type OpenAIExtractor struct {
	opts    Options
	client  *openai.Client
	redact  *redactor
	ownHTTP *http.Client // closed by Close; nil when Options.HTTPClient was given
	system  string       // the system prompt
	cache   *cache
	sem     chan struct{}
	reqLim  *rate.Limiter // nil: no limit
	tokLim  *rate.Limiter // nil: no limit
	format  atomic.Int32  // index into formats; only ever grows
	role    atomic.Int32  // index into roles; only ever moves to RoleUser
	breaker *breaker
	pacer   *pacer       // nil: no request limit
	pause   atomic.Int64 // unix nanoseconds before which no request starts
	spacing spacing      // requests an interval apart as written (with reqLim)
	stats   counters
}

var (
	_ Extractor = (*OpenAIExtractor)(nil)
	_ Paced     = (*OpenAIExtractor)(nil)
)

// NewOpenAIExtractor validates o, reads the API key from o.APIKeyFile or the
// environment, and returns an extractor. It sends nothing yet.
func NewOpenAIExtractor(o Options) (*OpenAIExtractor, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	key, err := loadAPIKey(o)
	if err != nil {
		return nil, err
	}
	e := &OpenAIExtractor{
		opts:   o,
		redact: &redactor{key: key},
		system: systemPrompt(o),
		cache:  newCache(o.CacheSize),
		sem:    make(chan struct{}, o.MaxConcurrency),
	}
	e.format.Store(int32(formatIndex(o.ResponseFormat)))
	e.role.Store(int32(slices.Index(roles, o.SystemRole)))
	e.breaker = newBreaker(max(0, o.GiveUpAfter))
	e.stats.init()
	hc := o.HTTPClient
	if hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = o.MaxConcurrency
		hc = &http.Client{Transport: t}
		e.ownHTTP = hc
	}
	var cfg openai.ClientConfig
	if o.Provider == ProviderAzure {
		cfg = openai.DefaultAzureConfig(key, strings.TrimRight(o.BaseURL, "/"))
		cfg.APIVersion = o.AzureAPIVersion
		cfg.AzureModelMapperFunc = func(model string) string { return model }
	} else {
		cfg = openai.DefaultConfig(key)
		cfg.BaseURL = strings.TrimRight(o.BaseURL, "/")
	}
	cfg.HTTPClient = infoDoer{client: hc}
	e.client = openai.NewClientWithConfig(cfg)
	if o.RequestsPerMinute > 0 {
		e.reqLim = rate.NewLimiter(rate.Limit(float64(o.RequestsPerMinute)/60), o.RequestBurst)
		e.pacer = newPacer(e.reqLim)
	}
	if o.TokensPerMinute > 0 {
		e.tokLim = rate.NewLimiter(rate.Limit(float64(o.TokensPerMinute)/60), max(1, o.TokensPerMinute/60))
	}
	return e, nil
}

// pending is one distinct review text of a call and the items that share it.
type pending struct {
	key  string
	text string // as sent: trimmed, cut to MaxTextBytes
	idx  []int  // positions in the call's items
}

// Extract implements Extractor: cached and duplicate texts are answered at
// once, the rest go out in batches, concurrently within the extractor's
// bound. See Extractor for what fails an item and what fails the call.
func (e *OpenAIExtractor) Extract(ctx context.Context, items []Item) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]Result, len(items))
	byKey := map[string]*pending{}
	var toSend []*pending
	for i, it := range items {
		results[i].ID = it.ID
		text := strings.TrimSpace(it.Text)
		if text == "" {
			results[i].Err = ErrBlankText
			e.stats.itemsFailed.Add(1)
			continue
		}
		key := cacheKey(text)
		if th, ok := e.cache.get(key); ok {
			results[i].Themes = th
			e.stats.cacheHits.Add(1)
			continue
		}
		if p := byKey[key]; p != nil {
			p.idx = append(p.idx, i) // counted when p is settled
			continue
		}
		p := &pending{key: key, text: cut(text, e.opts.MaxTextBytes), idx: []int{i}}
		byKey[key] = p
		toSend = append(toSend, p)
	}
	if len(toSend) == 0 {
		return results, nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, b := range e.batches(toSend) {
		wg.Go(func() {
			if err := e.runBatch(ctx, b, e.opts.MaxAnswerRetries, results); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			recordCallError(err)
		}
		return nil, err
	}
	return results, nil
}

// answer gives p's items their themes and caches them.
func (e *OpenAIExtractor) answer(p *pending, themes []string, results []Result) {
	e.cache.put(p.key, themes)
	for k, i := range p.idx {
		if k == 0 {
			results[i].Themes = themes
		} else {
			results[i].Themes = append([]string{}, themes...)
		}
	}
	e.stats.items.Add(1)
	e.stats.cacheHits.Add(int64(len(p.idx) - 1))
}

// fail gives p's items err.
func (e *OpenAIExtractor) fail(p *pending, err error, results []Result) {
	for _, i := range p.idx {
		results[i].Err = err
	}
	e.stats.itemsFailed.Add(int64(len(p.idx)))
}

// Close releases idle connections of the extractor's own HTTP client.
func (e *OpenAIExtractor) Close() error {
	if e.ownHTTP != nil {
		e.ownHTTP.CloseIdleConnections()
	}
	return nil
}

// String describes the extractor without its key.
func (e *OpenAIExtractor) String() string {
	return fmt.Sprintf("llm.OpenAIExtractor{Provider: %q, BaseURL: %q, Model: %q, APIKey: %s}",
		e.opts.Provider, redactURL(e.opts.BaseURL), e.opts.Model, redacted)
}

// GoString is String, so that %#v cannot reach the key either.
func (e *OpenAIExtractor) GoString() string { return e.String() }

// Format prints String for every verb.
func (e *OpenAIExtractor) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(e.String())) }

// cut shortens s to at most n bytes at a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
