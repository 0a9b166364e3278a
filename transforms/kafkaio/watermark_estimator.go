package kafkaio

import (
	"fmt"
	"time"

	"github.com/beamlens/beamlens/internal/watermarks"
)

// watermarkEstimator estimates a partition's output watermark from the
// timestamps of the records read: it trails the newest timestamp by lag,
// and when the partition has caught up with its high watermark it moves to
// the wall clock minus lag, so that an idle partition does not hold back the
// windows of the busy ones. It never moves backwards. Its state, the
// watermark in Unix milliseconds, is what survives a checkpoint.
//
// With event times from a record field (ReadOptions.TimestampField), an
// idle partition moves to the clock only while its records are live - the
// newest within liveWindow of the clock: a replay of old records must not
// jump to the present between two batches, or every later record of it
// would be behind the watermark.
type watermarkEstimator struct {
	state int64 // the watermark, Unix ms
	lag   int64 // ms
	// fieldTime is set when timestamps come from a record field; newest is
	// the newest seen since this estimator was created (0: none yet).
	fieldTime bool
	newest    int64
}

// liveWindow is how recent a field-time partition's newest record must be
// for the partition, once idle, to move its watermark to the clock.
const liveWindow = time.Minute

func newWatermarkEstimator(state int64, lag time.Duration, fieldTime bool) *watermarkEstimator {
	return &watermarkEstimator{state: state, lag: lag.Milliseconds(), fieldTime: fieldTime}
}

// CurrentWatermark implements sdf.WatermarkEstimator.
func (e *watermarkEstimator) CurrentWatermark() time.Time {
	return time.UnixMilli(e.state)
}

// observe takes the timestamp of a record read, in Unix ms.
func (e *watermarkEstimator) observe(ms int64) {
	e.newest = max(e.newest, ms)
	e.advance(ms - e.lag)
}

// idle is called when the partition has nothing more to read for now.
func (e *watermarkEstimator) idle(now time.Time) {
	if e.fieldTime && e.newest < now.Add(-liveWindow).UnixMilli() {
		return
	}
	e.advance(now.UnixMilli() - e.lag)
}

func (e *watermarkEstimator) advance(ms int64) {
	if ms > e.state {
		e.state = ms
	}
}

// readWatermarks holds the newest watermark of every partition this
// process is reading ("topic/partition"), for Watermark.
var readWatermarks watermarks.Registry

// publishWatermark records a partition's watermark after a read; a range
// read to its end no longer holds the source back.
func publishWatermark(r partitionRange, ms int64, done bool) {
	readWatermarks.Publish(fmt.Sprintf("%s/%d", r.Topic, r.Partition), ms, done)
}

// Watermark returns the oldest watermark among the partitions this
// process's workers are reading, which is the Kafka source's watermark when
// the workers run in this process (prism, Flink LOOPBACK); ok is false when
// no partition has estimated one yet (or every range has ended).
func Watermark() (wm time.Time, ok bool) { return readWatermarks.Oldest() }
