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
// response_format. A server that refuses structured output (a 400 or 422,
// or a 5xx naming the schema) is asked again in JSON mode, then with no
// response_format at all; one that refuses the system role gets the
// instructions in the user turn. Reasoning blocks (<think>) and code fences
// are taken off answers. An answer that cannot be pinned on all its
// reviews - a refusal, an error object in a 200, prose, foreign ids, a
// content or context-size refusal - halves the batch until it stands on
// one review, which alone fails with the service's words; entries missing
// from an answer are asked again, then fail with ErrBadAnswer. Around the
// requests: bounded concurrency, an adaptive client-side pace under the
// requests-a-minute limit and a token limit (pacing.go), retries with
// exponential backoff and jitter on 429, 5xx, timeouts and broken
// connections (honouring Retry-After across all requests), a circuit
// breaker that holds every request while the service is down and gives up
// after Options.GiveUpAfter (breaker.go), a per-request timeout, and an LRU
// cache keyed by the normalised review text. The offline model says which
// reviews it cannot read (language.go). The API key comes from a
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
// client-side limiter; go.yaml.in/yaml/v3 reads synonyms files;
// github.com/hashicorp/golang-lru/v2 is the answer cache; internal/retry
// (cenkalti/backoff/v5) draws the backoff and says which errors are
// transient; internal/metrics (client_golang) holds the process-wide
// counters and the request latency histogram.
// Subpackage llmtest is an in-process fake server for tests and benchmarks.
//
// The package is plain Go with no Beam import.
package llm
