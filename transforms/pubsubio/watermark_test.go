package pubsubio

import "testing"

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
