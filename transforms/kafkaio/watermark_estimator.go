package kafkaio

import (
	"fmt"
	"time"

	"github.com/beamlens/beamlens/internal/watermarks"
)

// watermarkEstimator estimates a partition's output watermark from the
// event times of the records read: it trails the newest by lag, and when
// the partition has caught up with its high watermark it moves to the wall
// clock minus lag, so that an idle partition does not hold back the windows
// of the busy ones. It never moves backwards, and never past the wall clock
// (watermarks.Observe): a record stamped further ahead than
// watermarks.ClockTolerance does not move it. Its state, the watermark in
// Unix milliseconds, is what survives a checkpoint.
//
// Only records with an event time move it: a record whose timestamp field
// is missing or unreadable, a tombstone, a control record holds it where
// it was (the read does not call observe for them). Otherwise a malformed
// record, stamped by Kafka with the time it was produced, would pull a
// replay's watermark to the present and make the rest of the replay late.
//
// A backfill (ReadOptions.Bounded) holds its watermark where it started
// until its ranges end, as a bounded source does in Beam: its windows then
// see every record it reads however the records are ordered - the same
// window statistics as a file of the same records.
//
// With event times from a record field (ReadOptions.TimestampField), an
// idle partition moves to the clock only while its data is live - the
// newest event time within liveWindow of the clock: a replay of old records
// must not jump to the present between two batches, or every later record
// of it would be behind the watermark.
type watermarkEstimator struct {
	state int64 // the watermark, Unix ms
	lag   int64 // ms
	// fieldTime is set when timestamps come from a record field; newest is
	// the newest event time seen since this estimator was created (0:
	// none yet).
	fieldTime bool
	newest    int64
	// hold keeps the watermark where it is (a backfill).
	hold bool
	// ahead counts the records that did not move the watermark because
	// they were stamped too far past the clock.
	ahead int64
}

// liveWindow is how recent a field-time partition's newest record must be
// for the partition, once idle, to move its watermark to the clock.
const liveWindow = time.Minute

func newWatermarkEstimator(state int64, lag time.Duration, fieldTime, hold bool) *watermarkEstimator {
	return &watermarkEstimator{state: state, lag: lag.Milliseconds(), fieldTime: fieldTime, hold: hold}
}

// CurrentWatermark implements sdf.WatermarkEstimator.
func (e *watermarkEstimator) CurrentWatermark() time.Time {
	return time.UnixMilli(e.state)
}

// observe takes the event time of a record read, in Unix ms, with the wall
// clock at the read, in Unix ms.
func (e *watermarkEstimator) observe(ms, nowMs int64) {
	ms, ok := watermarks.Observe(ms, nowMs)
	if !ok {
		e.ahead++
		return
	}
	e.newest = max(e.newest, ms)
	e.advance(ms - e.lag)
}

// idle is called when the partition has nothing more to read for now. A
// field-time partition is live when its newest event time is recent,
// either one seen by this estimator or the one its restored watermark
// stands for: a live partition that goes quiet keeps following the clock
// across checkpoints.
func (e *watermarkEstimator) idle(now time.Time) {
	if e.fieldTime && max(e.newest, e.state+e.lag) < now.Add(-liveWindow).UnixMilli() {
		return
	}
	e.advance(now.UnixMilli() - e.lag)
}

func (e *watermarkEstimator) advance(ms int64) {
	if ms > e.state && !e.hold {
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
