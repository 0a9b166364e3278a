package pubsubio

import "time"

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
