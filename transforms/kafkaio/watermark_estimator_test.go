package kafkaio

import (
	"testing"
	"time"
)

func TestWatermarkEstimator(t *testing.T) {
	e := newWatermarkEstimator(0, 2*time.Second, false)
	e.observe(10_000)
	if got := e.CurrentWatermark().UnixMilli(); got != 8_000 {
		t.Errorf("after a record at 10s the watermark is %d ms, want 8000 (the record less the lag)", got)
	}
	e.observe(9_000) // out of order: the watermark does not go back
	if got := e.CurrentWatermark().UnixMilli(); got != 8_000 {
		t.Errorf("an older record moved the watermark to %d ms", got)
	}
	now := time.UnixMilli(60_000)
	e.idle(now)
	if got := e.CurrentWatermark().UnixMilli(); got != 58_000 {
		t.Errorf("an idle partition's watermark is %d ms, want 58000 (the clock less the lag)", got)
	}
	e.observe(30_000) // a late record: still no going back
	if got := e.CurrentWatermark().UnixMilli(); got != 58_000 {
		t.Errorf("a late record moved the watermark to %d ms", got)
	}
	if e.state != 58_000 {
		t.Errorf("state %d is not the watermark", e.state)
	}
}

// TestWatermarkIsTheOldestOpenPartitions: the source's watermark is its
// slowest partition's, a range read to its end stops counting, and an
// estimator's initial state is no estimate. (Other tests' reads share the
// process-wide table, so the values here are older than any real one.)
func TestWatermarkIsTheOldestOpenPartitions(t *testing.T) {
	a := partitionRange{Topic: "wm-test", Partition: 0}
	b := partitionRange{Topic: "wm-test", Partition: 1}
	oldest := func() int64 {
		wm, ok := Watermark()
		if !ok {
			return -1
		}
		return wm.UnixMilli()
	}
	publishWatermark(a, 2_000, false)
	publishWatermark(b, 1_000, false)
	publishWatermark(b, -9_000_000, false) // initial state: ignored
	if got := oldest(); got != 1_000 {
		t.Fatalf("watermark %d, want the slower partition's 1000", got)
	}
	publishWatermark(b, 1_500, true)
	if got := oldest(); got != 2_000 {
		t.Fatalf("watermark %d after partition 1 ended, want 2000", got)
	}
	publishWatermark(a, 3_000, true)
	if got := oldest(); got >= 0 && got <= 3_000 {
		t.Fatalf("watermark %d after both ended: ended ranges still count", got)
	}
}
