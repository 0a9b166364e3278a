// Package themes wires the review-themes pipeline: raw records from the
// input, strict decoding with event-time stamps, theme extraction (an LLM or
// the offline model), the enriched reviews, windowed theme counts ranked per
// window, trending alerts, and dead letters. Wiring only: every step lives in
// transforms/themes and its siblings.
package themes
