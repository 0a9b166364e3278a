package llm

import "strings"

// Cacher is an Extractor that keeps its answers. A caller that batches
// reviews itself (themes.Extract) asks Cached first and batches only the
// misses, so that a repeated review saves a request, not just a slot in one.
type Cacher interface {
	Extractor
	// Cached returns the themes an earlier call found for a review with
	// this text, and false when there are none (or the text is blank). It
	// sends nothing.
	Cached(text string) ([]string, bool)
}

var _ Cacher = (*OpenAIExtractor)(nil)

// Cached implements Cacher from the extractor's LRU cache, keyed as Extract
// keys it. A hit counts in Stats.CacheHits, so that over Extract and Cached
// together Items + CacheHits + ItemsFailed is still the number of reviews.
func (e *OpenAIExtractor) Cached(text string) ([]string, bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, false
	}
	th, ok := e.cache.get(cacheKey(text))
	if ok {
		e.stats.cacheHits.Add(1)
	}
	return th, ok
}
