package kafkaio

import "time"

// watermarkEstimator estimates a partition's output watermark from the
// timestamps of the records read: it trails the newest timestamp by lag,
// and when the partition has caught up with its high watermark it moves to
// the wall clock minus lag, so that an idle partition does not hold back the
// windows of the busy ones. It never moves backwards. Its state, the
// watermark in Unix milliseconds, is what survives a checkpoint.
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

// observe takes the timestamp of a record read, in Unix ms.
func (e *watermarkEstimator) observe(ms int64) { e.advance(ms - e.lag) }

// idle is called when the partition has nothing more to read for now.
func (e *watermarkEstimator) idle(now time.Time) { e.advance(now.UnixMilli() - e.lag) }

func (e *watermarkEstimator) advance(ms int64) {
	if ms > e.state {
		e.state = ms
	}
}
