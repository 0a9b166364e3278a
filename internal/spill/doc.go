// Package spill keeps a bounded run's bulky intermediate data (per-device
// batches, window partials) in files instead of a runner's shuffle: a
// DoFn appends each value to a file of its bundle (Writer) and emits only
// where it lies (a Ref, a few dozen bytes), and the step after the
// GroupByKey reads the values back (Files).
//
// Why: prism, Beam Go's local runner, holds a shuffle's whole input in
// memory and copies it on its way to the worker, so a 10M-reading file run
// peaked at 14 GB. A spill directory must be visible to every worker that
// writes or reads it: prism and the direct runner, whose workers are the
// launching process. Plain Go; no Beam import.
package spill
