package watermarks

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/internal/metrics"
)

// ReadCounters are a source read's Beam counters: the elements it read,
// those without a readable event time, and those stamped too far past the
// clock (neither of the last two moved the watermark).
type ReadCounters struct {
	read, untimed, ahead beam.Counter
}

// NewReadCounters returns the counters PREFIX_read,
// PREFIX_without_event_time and PREFIX_ahead_of_clock in the beamlens
// namespace ("kafka_records", "pubsub_messages").
func NewReadCounters(prefix string) ReadCounters {
	return ReadCounters{
		read:    beam.NewCounter(metrics.Namespace, prefix+"_read"),
		untimed: beam.NewCounter(metrics.Namespace, prefix+"_without_event_time"),
		ahead:   beam.NewCounter(metrics.Namespace, prefix+"_ahead_of_clock"),
	}
}

// Count records one ProcessElement call's elements: emitted (also the
// process's records-read metric), untimed of them without an event time,
// and those we saw ahead of the clock since the last call.
func (c ReadCounters) Count(ctx context.Context, emitted, untimed int, we *Estimator) {
	c.read.Inc(ctx, int64(emitted))
	metrics.RecordsRead.Add(float64(emitted))
	if untimed > 0 {
		c.untimed.Inc(ctx, int64(untimed))
	}
	if n := we.TakeAhead(); n > 0 {
		c.ahead.Inc(ctx, n)
	}
}
