// Package runners selects the Beam runner a pipeline runs on and carries the
// options each needs: prism (the default, local, streaming-capable), direct
// (the legacy local runner, bounded batch only), flink (Beam's portable Flink
// job server) and dataflow.
//
// Beam's Go SDK keeps its job options in global flags of the standard flag
// package; Bind re-exposes the ones a beamlens user needs on a subcommand's
// own flag set, so "beamlens anomalies --runner=flink --endpoint=..." works
// while --help lists only what matters.
package runners
