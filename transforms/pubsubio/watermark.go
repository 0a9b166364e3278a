package pubsubio

import (
	"time"

	"github.com/beamlens/beamlens/internal/watermarks"
)

// The read's watermark estimator is watermarks.Estimator, shared with
// the Kafka read.

// readWatermarks holds the newest watermark of every subscription this
// process is reading, for Watermark.
var readWatermarks watermarks.Registry

// publishWatermark records a subscription's watermark after a pull; a read
// that ended no longer holds the source back.
func publishWatermark(sub string, ms int64, done bool) { readWatermarks.Publish(sub, ms, done) }

// Watermark returns the oldest watermark among the subscriptions this
// process's workers are reading: the source's watermark when the workers run
// in this process (prism, Flink LOOPBACK). A subscription read by several
// restrictions at once shows the one that pulled last. ok is false when no
// read has estimated one yet.
func Watermark() (wm time.Time, ok bool) { return readWatermarks.Oldest() }
