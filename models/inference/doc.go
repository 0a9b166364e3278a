// Package inference runs a model the user brings - a scikit-learn or PyOD
// outlier detector exported to ONNX, or one behind a model server - on
// batches of feature rows, for the anomaly pipeline's model detector
// (transforms/modelscore). Plain Go, no Beam import.
//
// Open picks the runtime from the model URI:
//
//   - FILE.onnx: in process, with ONNX Runtime through
//     github.com/yalue/onnxruntime_go. The runtime's shared library comes
//     from the onnxruntime wheel on PyPI (scripts/pyenv.sh installs it) or
//     wherever ONNXRUNTIME_SHARED_LIBRARY_PATH says; it is loaded with
//     dlopen at run time, so nothing but a C compiler is needed to build.
//     The binding is cgo: a binary built with CGO_ENABLED=0 has every
//     other detector and the server paths, and Open says so for a .onnx
//     file (onnx_nocgo.go). No build tag beyond cgo itself. A forest that
//     skl2onnx exported one tree at a time (an IsolationForest: some 27
//     nodes per tree) is rewritten at load into one TreeEnsembleRegressor
//     with the per-tree arithmetic folded into its leaves (onnxfuse.go),
//     which ONNX Runtime runs many times faster, with the same scores to
//     float32 rounding; BEAMLENS_ONNX_AS_EXPORTED=1 loads it as exported.
//     The ONNX protobuf is read and written with protowire (onnxgraph.go,
//     onnxwrite.go), copying what the rewrite does not touch byte for
//     byte.
//   - http(s)://HOST:PORT/v2/models/NAME: a KServe v2 (Open Inference
//     Protocol) server: MLServer, KServe, Triton, Seldon.
//   - mlflow+http(s)://HOST:PORT/invocations: an MLflow scoring server.
//
// Every model answers a batch of rows with a Prediction: the outlier label
// of each row (-1/1 from scikit-learn, 0/1 from PyOD), its score, or both.
// Server clients send a batch as one request, bound the requests in flight
// (Options.Concurrency), time each out, and retry transient failures
// (connection refused or reset, timeouts, 429, 5xx) with exponential
// backoff and jitter from github.com/cenkalti/backoff/v5 until
// Options.GiveUpAfter (default: for ever, so an outage of the server
// pauses a stream rather than failing it). A request the server refuses
// (4xx) is a *RequestError: the caller isolates the rows at fault.
// Bearer tokens come from an environment variable or a file, never a flag.
package inference
