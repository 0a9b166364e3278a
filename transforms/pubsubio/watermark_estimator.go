package pubsubio

import (
	"time"

	"github.com/beamlens/beamlens/internal/watermarks"
)

// watermarkEstimator estimates the read's output watermark from the event
// times of the messages read: it trails the newest by lag, and after a pull
// that returned nothing it moves to the wall clock minus lag, so that a
// quiet subscription does not hold back event-time windows. It never moves
// backwards. Its state, the watermark in Unix milliseconds, is what survives
// a checkpoint.
type watermarkEstimator struct {
	state int64 // the watermark, Unix ms
	lag   int64 // ms
}

func newWatermarkEstimator(state int64, lag time.Duration) *watermarkEstimator {
	return &watermarkEstimator{state: state, lag: lag.Milliseconds()}
}

// CurrentWatermark implements sdf.WatermarkEstimator.
func (e *watermarkEstimator) CurrentWatermark() time.Time {
	return time.UnixMilli(e.state)
}

// observe takes the event time of a message read, in Unix ms.
func (e *watermarkEstimator) observe(ms int64) { e.advance(ms - e.lag) }

// idle is called when a pull returned nothing: the subscription has no
// message to give right now.
func (e *watermarkEstimator) idle(now time.Time) { e.advance(now.UnixMilli() - e.lag) }

func (e *watermarkEstimator) advance(ms int64) {
	if ms > e.state {
		e.state = ms
	}
}

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
