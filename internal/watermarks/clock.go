package watermarks

import "time"

// ClockTolerance is how far ahead of the reading machine's wall clock an
// event time may be and still move a read's watermark. Clocks synchronised
// by NTP agree to milliseconds, and a record travels for a while before it
// is read, so a second's slack covers honest clocks; anything further
// ahead says the device's clock is wrong (a time zone written as UTC, a
// lost battery), and one such device must not drag the watermark into the
// future, where every other device's readings would be behind it and
// dropped as late. The reading itself still flows (it is the decoder's
// --max-future that rejects it).
const ClockTolerance = time.Second

// Observe turns the event time of a record that decoded, in Unix ms, into
// the time it may move a watermark to, given the wall clock now (Unix ms):
// ms itself, capped at now, so that the watermark never passes the wall
// clock; ok is false for a time more than ClockTolerance ahead of now,
// which must not move the watermark at all.
func Observe(ms, nowMs int64) (bounded int64, ok bool) {
	if ms > nowMs+ClockTolerance.Milliseconds() {
		return 0, false
	}
	return min(ms, nowMs), true
}
