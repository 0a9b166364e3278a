// Package decode turns raw records (events.Raw, from any source) into typed,
// event-timestamped records with models/events's strict decoders, and every
// record it cannot decode into a dead letter naming the field and the reason.
package decode
