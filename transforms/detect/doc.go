// Package detect scores sensor readings with models/detectors and emits the
// readings they flag as anomalies.
//
// The static threshold is stateless, so it runs as a plain fused ParDo: no
// shuffle, no state, and the cost of a reading that is not an anomaly is one
// comparison. Learned detectors, which keep per-device state, key the readings
// by device first. With several metrics (Options.Metrics) each univariate
// detector judges each metric and each multivariate one (mahalanobis, hst,
// pca) the metrics' vector, all in one scorer per device whose state is saved
// and restored as one byte string.
//
// Bounded, a device's readings are scored in event-time order once the
// input ends. With Options.SpillDir (file runs on prism and direct) its
// batches wait in spill files (internal/spill) rather than in the runner's
// shuffle, each sorted, and are merged from there (spill.go, filerun.go).
package detect
