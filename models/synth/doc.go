// Package synth generates deterministic, labelled synthetic streams: sensor
// readings with daily cycles, noise, drifts, spikes, level shifts, out-of-order
// and malformed records; and product reviews written from known themes. The
// same seed gives the same bytes on every machine (math/rand/v2's PCG), so
// tests and benchmarks can score pipeline outputs against the labels.
//
// Labels travel beside the stream, one JSON object per stream line with the
// same line number, so the pipelines never see them.
package synth
