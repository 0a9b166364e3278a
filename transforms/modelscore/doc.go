// Package modelscore is the anomaly pipeline's model detector
// (--detectors=model): it scores per-device batches of readings with a
// model the user brings - an ONNX file run in process, or a model behind a
// KServe v2 or MLflow server (models/inference) - fed each reading's
// metrics in the order given (Options.Metrics), and emits the readings the
// model calls outliers.
//
// The model is stateless, so readings need no order and no keyed state:
// the batches of a bundle are gathered into requests of up to BatchSize
// rows, never one call per reading, with up to Concurrency requests in
// flight while the bundle goes on decoding. A reading whose score cannot be
// had ends as a dead letter with the reason: a missing or non-finite
// metric, a row the model refuses (a refused batch is scored row by row to
// find it), or a server that stayed down past GiveUpAfter. Short of that,
// an outage of the server holds the bundle, retrying with backoff, so a
// stream pauses rather than fails or dead-letters everything.
package modelscore
