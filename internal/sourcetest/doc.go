// Package sourcetest is the conformance suite every beamlens source runs:
// Kafka (kafkaio), Pub/Sub (pubsubio) and JSON Lines files (jsonl). The
// cases are defined once here - a bounded read, an unbounded read picking
// up records added while it runs, a restart that resumes where the last
// run stopped, redelivery of the records of a failed run, and a watermark
// that lets event-time windows fire while the read runs - and each
// source's package test runs them through a small adapter (Source), as
// Watermill runs one test suite against every Pub/Sub implementation. A
// case that does not apply to a source is named in its Source with the
// reason, and the suite reports it as such rather than skipping it
// silently.
package sourcetest
