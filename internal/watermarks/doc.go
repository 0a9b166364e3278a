// Package watermarks keeps the newest watermark each of a process's source
// reads has estimated, so the process can report its sources' watermark
// (the /metrics lag): the runner's own watermark is not visible to a
// worker. The Kafka and Pub/Sub reads each keep one Registry.
package watermarks
