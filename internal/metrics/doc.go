// Package metrics is the one home of beamlens's live process metrics: one
// Prometheus registry (Registry) with the Go and process collectors, the
// counters, gauges and latency histograms that the sources, sinks,
// transforms and the LLM client update as they work, and Namespace, the
// name every beamlens metric starts with - the Prometheus metrics here and
// the Beam counters of the transforms alike.
//
// Beam counters stay Beam counters: the runner reports them when a job ends,
// on every runner, and they make the final summary. The metrics here are
// what a worker in this process counted, readable while the job runs: with
// prism and Flink's LOOPBACK environment the workers run in the beamlens
// process, so that is the whole job. The command line serves Registry on
// /metrics (--metrics-addr) and reads its progress line from it.
//
// github.com/prometheus/client_golang does the counting and the exposition.
// The package imports nothing of beamlens's and no Beam, so every layer,
// models included, may use it.
package metrics
