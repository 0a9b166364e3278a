package pubsubio

import (
	"testing"
	"time"
)

func TestWatermarkEstimator(t *testing.T) {
	e := newWatermarkEstimator(0, 2*time.Second)
	e.observe(10_000)
	if got := e.CurrentWatermark().UnixMilli(); got != 8_000 {
		t.Errorf("after a message at 10s the watermark is %d ms, want 8000 (the message less the lag)", got)
	}
	e.observe(9_000) // out of order: the watermark does not go back
	if got := e.CurrentWatermark().UnixMilli(); got != 8_000 {
		t.Errorf("an older message moved the watermark to %d ms", got)
	}
	e.idle(time.UnixMilli(60_000))
	if got := e.CurrentWatermark().UnixMilli(); got != 58_000 {
		t.Errorf("an idle subscription's watermark is %d ms, want 58000 (the clock less the lag)", got)
	}
	e.observe(30_000) // a late message: still no going back
	if got := e.CurrentWatermark().UnixMilli(); got != 58_000 {
		t.Errorf("a late message moved the watermark to %d ms", got)
	}
	if e.state != 58_000 {
		t.Errorf("state %d is not the watermark", e.state)
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
