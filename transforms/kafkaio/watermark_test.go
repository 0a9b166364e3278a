package kafkaio

import "testing"

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
