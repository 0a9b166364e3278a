package pubsubio

import (
	"testing"
	"time"
)

func TestWatermarkEstimator(t *testing.T) {
	const now = 1_000_000 // the wall clock, past every message here
	e := newWatermarkEstimator(0, 2*time.Second, false, false)
	e.observe(10_000, now)
	if got := e.CurrentWatermark().UnixMilli(); got != 8_000 {
		t.Errorf("after a message at 10s the watermark is %d ms, want 8000 (the message less the lag)", got)
	}
	e.observe(9_000, now) // out of order: the watermark does not go back
	if got := e.CurrentWatermark().UnixMilli(); got != 8_000 {
		t.Errorf("an older message moved the watermark to %d ms", got)
	}
	e.idle(time.UnixMilli(60_000))
	if got := e.CurrentWatermark().UnixMilli(); got != 58_000 {
		t.Errorf("an idle subscription's watermark is %d ms, want 58000 (the clock less the lag)", got)
	}
	e.observe(30_000, now) // a late message: still no going back
	if got := e.CurrentWatermark().UnixMilli(); got != 58_000 {
		t.Errorf("a late message moved the watermark to %d ms", got)
	}
	if e.state != 58_000 {
		t.Errorf("state %d is not the watermark", e.state)
	}
}

// TestDataTimeWatermark: with event times from the data, a message 10 h
// ahead of the clock does not move the watermark, and an empty pull moves
// it to the clock only while the data is live.
func TestDataTimeWatermark(t *testing.T) {
	now := time.UnixMilli(10_000_000)
	e := newWatermarkEstimator(0, 2*time.Second, true, false)
	e.observe(5_000, now.UnixMilli())
	e.observe(now.Add(10*time.Hour).UnixMilli(), now.UnixMilli())
	e.idle(now)
	if got := e.CurrentWatermark().UnixMilli(); got != 3_000 || e.ahead != 1 {
		t.Errorf("a replay with a skewed message, quiet: watermark %d ms, %d ahead; want 3000, 1", got, e.ahead)
	}
	live := newWatermarkEstimator(0, 2*time.Second, true, false)
	live.observe(now.UnixMilli()-500, now.UnixMilli())
	later := now.Add(30 * time.Second)
	live.idle(later)
	resumed := newWatermarkEstimator(live.state, 2*time.Second, true, false)
	resumed.idle(later.Add(time.Minute))
	if got, want := resumed.CurrentWatermark().UnixMilli(), later.Add(time.Minute).UnixMilli()-2_000; got != want {
		t.Errorf("a live subscription, quiet across a checkpoint: watermark %d ms, want %d", got, want)
	}
}

// TestWatermarkIsTheOldestOpenSubscriptions: the source's watermark is its
// slowest subscription's, a read that ended stops counting, and an
// estimator's initial state is no estimate. (Other tests' reads share the
// process-wide table, so the values here are older than any real one.)
func TestWatermarkIsTheOldestOpenSubscriptions(t *testing.T) {
	oldest := func() int64 {
		wm, ok := Watermark()
		if !ok {
			return -1
		}
		return wm.UnixMilli()
	}
	publishWatermark("wm-test-a", 2_000, false)
	publishWatermark("wm-test-b", 1_000, false)
	publishWatermark("wm-test-b", -9_000_000, false)
	if got := oldest(); got != 1_000 {
		t.Fatalf("watermark %d, want the slower subscription's 1000", got)
	}
	publishWatermark("wm-test-b", 1_500, true)
	publishWatermark("wm-test-a", 3_000, true)
	if got := oldest(); got >= 0 && got <= 3_000 {
		t.Fatalf("watermark %d after both reads ended: ended reads still count", got)
	}
}

// TestBackfillHoldsTheWatermark: a backfill's watermark stays where it
// started, whatever it reads and however long it idles.
func TestBackfillHoldsTheWatermark(t *testing.T) {
	const now = 1_000_000
	e := newWatermarkEstimator(-5, 2*time.Second, true, true)
	e.observe(500_000, now)
	e.idle(time.UnixMilli(now))
	if got := e.CurrentWatermark().UnixMilli(); got != -5 {
		t.Errorf("a backfill moved its watermark to %d ms", got)
	}
}
