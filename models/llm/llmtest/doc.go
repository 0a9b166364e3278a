// Package llmtest is an in-process OpenAI-compatible chat completions server
// for tests and benchmarks of theme extraction. It speaks the llm package's
// wire contract - reviews as a JSON array of {"id", "text"} in the last user
// message, the answer {"reviews": [{"id", "themes"}]} - answering with the
// offline model, and it misbehaves on demand: slow answers, 429s with
// Retry-After or a requests-per-minute budget, 5xx, hung requests, reset
// connections, garbage, missing or extra ids, broken schemas and refused
// response_format, each with a probability drawn from a seeded generator, or
// scripted for the next requests with Inject (in the manner of franz-go's
// kfake). It counts what it saw: requests, reviews, modes, response formats
// and the most requests in flight at once.
//
// It is built on net/http/httptest and listens on 127.0.0.1 only.
package llmtest
