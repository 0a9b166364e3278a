// Package drain lets a process ask its unbounded source reads (Kafka,
// Pub/Sub) to stop cleanly: on a stop request each read, at its next
// resume, records how far it got (commits its offsets, acknowledges its
// messages) and ends, so that the runner's watermark reaches the end of
// time, every window fires, the sinks write what the pipeline holds, and
// the job finishes by itself. It reaches the reads of this process only:
// the workers of prism and of Flink with LOOPBACK, not remote workers.
package drain

import "sync/atomic"

var requested atomic.Bool

// Request asks every source read of this process to stop at its next
// resume, until Reset.
func Request() { requested.Store(true) }

// Requested reports whether a stop was requested.
func Requested() bool { return requested.Load() }

// Reset withdraws a stop request once the job it was for has ended, for a
// process that runs several jobs one after another (the demo, tests).
func Reset() { requested.Store(false) }
