// Package badinput is the hostile-input corpus of beamlens: for each
// pipeline, records that must each end as a dead letter with a reason,
// interleaved with good records that must come through untouched, and blank
// lines that are skipped by contract.
//
// The corpus is written to testdata/bad/ (go test ./internal/badinput
// -update) so users and other tools can feed it to a pipeline, and read back
// by the pipeline tests. Records too big to commit (a 2 MiB and a 10 MiB
// line) are made at test time by Huge.
package badinput
