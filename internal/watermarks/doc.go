// Package watermarks holds what the Kafka and Pub/Sub reads share about
// watermarks: their SDFs' watermark Estimator (trails event times, follows
// the clock when idle, holds for a backfill); the rule that bounds a
// watermark by the wall clock (Observe, ClockTolerance), so that one device
// with a fast clock cannot make every other device's readings late; and a
// Registry of the newest watermark each of a process's source reads has
// estimated, so the process can report its sources' watermark (the
// /metrics lag): the runner's own watermark is not visible to a worker.
// ReadCounters are the reads' Beam counters of what they read, and of the
// records that did not move the watermark.
package watermarks
