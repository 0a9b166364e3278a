package watermarks

import "time"

// Estimator estimates a source read's output watermark (a Kafka
// partition's, a Pub/Sub subscription's) from the event times of the
// records read: it trails the newest by lag, and when the read has nothing
// to give right now (Idle: a partition caught up with its high watermark,
// a pull that returned nothing) it moves to the wall clock minus lag, so
// that a quiet read does not hold back the windows of the busy ones. It
// never moves backwards, and never past the wall clock (Observe): a record
// stamped further ahead than ClockTolerance does not move it. Its state,
// the watermark in Unix milliseconds, is what survives a checkpoint. The
// Kafka and Pub/Sub reads use it as their SDF's watermark estimator.
//
// Only records with an event time move it: the read does not call Observe
// for a record whose timestamp field is missing or unreadable, a
// tombstone, a control record. Otherwise a malformed record, stamped by
// the broker with the time it was written, would pull a replay's
// watermark to the present and make the rest of the replay late.
//
// A backfill (hold) keeps its watermark where it started until the read
// ends, as a bounded source does in Beam: its windows then see every
// record it reads however the records are ordered - the same window
// statistics as a file of the same records.
//
// With event times from a record field or attribute (fieldTime), an idle
// read moves to the clock only while its data is live - the newest event
// time within LiveWindow of the clock, one seen by this estimator or the
// one its restored watermark stands for: a replay of old records must not
// jump to the present between two batches, or every later record of it
// would be behind the watermark, while a live read that goes quiet keeps
// following the clock across checkpoints.
type Estimator struct {
	state     int64 // the watermark, Unix ms
	lag       int64 // ms
	fieldTime bool
	hold      bool
	newest    int64 // the newest event time observed, Unix ms; 0: none
	// ahead counts the records that did not move the watermark because
	// they were stamped too far past the clock.
	ahead int64
}

// LiveWindow is how recent a field-time read's newest event time must be
// for the read, once idle, to move its watermark to the clock.
const LiveWindow = time.Minute

// NewEstimator returns an estimator restored from state (a watermark in
// Unix ms) that trails event times by lag; fieldTime says the event times
// come from the records' data rather than the broker, hold that the read
// is a backfill.
func NewEstimator(state int64, lag time.Duration, fieldTime, hold bool) *Estimator {
	return &Estimator{state: state, lag: lag.Milliseconds(), fieldTime: fieldTime, hold: hold}
}

// CurrentWatermark implements sdf.WatermarkEstimator.
func (e *Estimator) CurrentWatermark() time.Time { return time.UnixMilli(e.state) }

// State is the watermark in Unix ms: the estimator's checkpointed state.
func (e *Estimator) State() int64 { return e.state }

// Observe takes the event time of a record read, in Unix ms, with the
// wall clock at the read, in Unix ms.
func (e *Estimator) Observe(ms, nowMs int64) {
	ms, ok := Observe(ms, nowMs)
	if !ok {
		e.ahead++
		return
	}
	e.newest = max(e.newest, ms)
	e.advance(ms - e.lag)
}

// Idle is called when the read has nothing more to give for now.
func (e *Estimator) Idle(now time.Time) {
	if e.fieldTime && max(e.newest, e.state+e.lag) < now.Add(-LiveWindow).UnixMilli() {
		return
	}
	e.advance(now.UnixMilli() - e.lag)
}

// TakeAhead returns how many records were stamped too far past the clock
// to move the watermark since the last call.
func (e *Estimator) TakeAhead() int64 {
	n := e.ahead
	e.ahead = 0
	return n
}

func (e *Estimator) advance(ms int64) {
	if ms > e.state && !e.hold {
		e.state = ms
	}
}
