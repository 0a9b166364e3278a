// Package eval wires the NAB evaluation pipeline that `beamlens eval nab`
// runs: each series' readings file -> decode -> detect (every row scored)
// -> one JSON Lines file of row scores, and every dead letter of decoding
// and detection to a file of its own, so that none is dropped and the CLI
// can report how many there were. Scoring the rows against NAB's windows
// is models/nab's, after the pipeline ends.
package eval
