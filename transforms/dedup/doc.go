// Package dedup drops redelivered copies of readings: at-least-once
// delivery (MQTT QoS 1 bridges, Kafka producer retries, a replayed topic, a
// resubmitted job) hands the same reading over more than once, and each
// copy would raise its own alert and count again in the window statistics.
//
// A reading's identity is one or more of its fields (reading_id, or
// device_id+timestamp), read with models/events's KeyReader. Each device's
// identities seen within the last Window of event time live in keyed value
// state, pruned as the device's newest event time moves on and cleared by
// an event-time timer once the device has been silent for Window, so
// memory stays bounded. Readings are gathered per device within each bundle
// first, so state is read and written once per device per bundle, not per
// reading (a per-reading state access costs ~200 µs on prism).
//
// It needs keyed state and event-time timers: prism and Flink have them,
// the legacy direct runner does not.
package dedup
