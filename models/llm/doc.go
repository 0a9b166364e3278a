// Package llm extracts the themes of product reviews ("battery life",
// "delivery", ...) behind one small interface, Extractor, with two
// implementations: OpenAIExtractor, a chat model behind any OpenAI-compatible
// API (OpenAI, Azure OpenAI, vLLM, Ollama, a llama.cpp server), and Offline,
// a lexicon model that ships with beamlens and needs no network. Themes come
// back lower case, normalised with events.NormaliseTheme and without
// duplicates; results come per item, in input order, so one bad review fails
// alone (kafka-go style) and only a failure of the machinery fails a call.
//
// OpenAIExtractor sends several reviews a request under a wire contract any
// server or test double can serve: the reviews travel in the last user
// message as a JSON array of {"id", "text"}; the answer is a JSON object
// {"reviews": [{"id", "themes"}]}, whose JSON schema is sent as
// response_format. A server that refuses structured output with a 400 is
// asked again in JSON mode, then with no response_format at all. Answers
// that miss an id or break the schema are asked again for the reviews
// concerned, then fail those items with ErrBadAnswer. Around the requests:
// bounded concurrency, client-side limits on requests and tokens a minute,
// retries with exponential backoff and jitter on 429, 5xx, timeouts and
// broken connections (honouring Retry-After), a per-request timeout, and an
// LRU cache keyed by the normalised review text. The API key comes from a
// file or an environment variable, never from Options, and is redacted from
// every error, log line and fmt output.
//
// Normaliser folds the themes any extractor reports onto consistent labels:
// case, spacing and edge punctuation, a plural last word ("batteries"), a
// synonyms table (DefaultSynonyms, extended from a YAML file with
// ParseSynonyms: "shipping" -> "delivery") and, optionally, a closed
// taxonomy (ParseTaxonomy) that drops answers mapping onto none of its
// themes. OpenAIExtractor is a Cacher: a caller that batches reviews itself
// can answer repeats from the cache before it builds a batch.
//
// Libraries: github.com/sashabaranov/go-openai speaks the chat completions
// API (requests, errors, Azure routing); golang.org/x/time/rate is the
// client-side limiter; go.yaml.in/yaml/v3 reads synonyms files. The LRU cache is a few lines on container/list.
// Subpackage llmtest is an in-process fake server for tests and benchmarks.
//
// The package is plain Go with no Beam import.
package llm
