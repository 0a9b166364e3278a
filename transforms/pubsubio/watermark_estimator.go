package pubsubio

import (
	"time"

	"github.com/beamlens/beamlens/internal/watermarks"
)

// watermarkEstimator estimates the read's output watermark from the event
// times of the messages read: it trails the newest by lag, and after a pull
// that returned nothing it moves to the wall clock minus lag, so that a
// quiet subscription does not hold back event-time windows. It never moves
// backwards, and never past the wall clock (watermarks.Observe): a message
// stamped further ahead than watermarks.ClockTolerance does not move it,
// nor does a message without a readable event time (the read does not
// call observe for it). Its state, the watermark in Unix milliseconds, is
// what survives a checkpoint.
//
// A backfill (ReadOptions.StopAfterIdle) holds its watermark where it
// started until the read ends, as a bounded source does in Beam: Pub/Sub
// delivers a backlog in no particular order, so no watermark drawn from
// the messages read so far would be safe, and its windows then see every
// message it reads - the same window statistics as a file of the same
// records.
//
// With event times from the data or an attribute (dataTime), a quiet
// subscription moves to the clock only while its messages are live - the
// newest event time within liveWindow of the clock, one seen by this
// estimator or the one its restored watermark stands for: a replay of old
// messages must not jump to the present at the first empty pull, or every
// later message of it would be behind the watermark.
type watermarkEstimator struct {
	state    int64 // the watermark, Unix ms
	lag      int64 // ms
	dataTime bool
	hold     bool  // a backfill: the watermark stays
	newest   int64 // the newest event time observed, Unix ms; 0: none
	// ahead counts the messages that did not move the watermark because
	// they were stamped too far past the clock.
	ahead int64
}

// liveWindow is how recent a subscription's newest event time must be for
// it, once quiet, to move its watermark to the clock.
const liveWindow = time.Minute

func newWatermarkEstimator(state int64, lag time.Duration, dataTime, hold bool) *watermarkEstimator {
	return &watermarkEstimator{state: state, lag: lag.Milliseconds(), dataTime: dataTime, hold: hold}
}

// CurrentWatermark implements sdf.WatermarkEstimator.
func (e *watermarkEstimator) CurrentWatermark() time.Time {
	return time.UnixMilli(e.state)
}

// observe takes the event time of a message read, in Unix ms, with the
// wall clock at the read, in Unix ms.
func (e *watermarkEstimator) observe(ms, nowMs int64) {
	ms, ok := watermarks.Observe(ms, nowMs)
	if !ok {
		e.ahead++
		return
	}
	e.newest = max(e.newest, ms)
	e.advance(ms - e.lag)
}

// idle is called when a pull returned nothing: the subscription has no
// message to give right now.
func (e *watermarkEstimator) idle(now time.Time) {
	if e.dataTime && max(e.newest, e.state+e.lag) < now.Add(-liveWindow).UnixMilli() {
		return
	}
	e.advance(now.UnixMilli() - e.lag)
}

func (e *watermarkEstimator) advance(ms int64) {
	if ms > e.state && !e.hold {
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
