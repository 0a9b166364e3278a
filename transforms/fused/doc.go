// Package fused is the anomaly pipeline's first stage: one DoFn that takes
// a chunk of records (a byte range of a JSON Lines file, or a bundle of
// Kafka or Pub/Sub records), decodes each record, runs the stateless
// detectors (threshold) and pre-aggregates window statistics per
// (device, metric, window) inside the chunk, so that only the records that
// must travel alone leave it as elements: anomalies, dead letters, one
// partial aggregate per key and chunk, and one batch of readings per device
// and chunk for the learned detectors and the streaming window statistics.
//
// Why: Beam's per-element cost (~1.5 µs on prism, more on Flink) is five
// times the cost of decoding and thresholding a reading. Paying it per
// reading capped the pipeline at a few hundred thousand readings a second;
// paying it per chunk leaves the decoder as the limit (docs/pipeline-shape.md).
// This is combiner lifting by hand: the partials are merged downstream by
// windowstats.MergePartials, and the per-device batches feed
// detect.ScoreBatches and windowstats.PerDevice.
package fused
