package kafkaio

import (
	"testing"
	"time"
)

func TestWatermarkEstimator(t *testing.T) {
	const now = 1_000_000 // the wall clock, far past every record here
	e := newWatermarkEstimator(0, 2*time.Second, false, false)
	e.observe(10_000, now)
	if got := e.CurrentWatermark().UnixMilli(); got != 8_000 {
		t.Errorf("after a record at 10s the watermark is %d ms, want 8000 (the record less the lag)", got)
	}
	e.observe(9_000, now) // out of order: the watermark does not go back
	if got := e.CurrentWatermark().UnixMilli(); got != 8_000 {
		t.Errorf("an older record moved the watermark to %d ms", got)
	}
	e.idle(time.UnixMilli(60_000))
	if got := e.CurrentWatermark().UnixMilli(); got != 58_000 {
		t.Errorf("an idle partition's watermark is %d ms, want 58000 (the clock less the lag)", got)
	}
	e.observe(30_000, now) // a late record: still no going back
	if got := e.CurrentWatermark().UnixMilli(); got != 58_000 {
		t.Errorf("a late record moved the watermark to %d ms", got)
	}
	if e.state != 58_000 {
		t.Errorf("state %d is not the watermark", e.state)
	}
}

// TestWatermarkFollowsTheClockAtMost: a record stamped 10 h ahead of the
// clock does not move the watermark (and is counted); one a little ahead
// moves it to the clock, not past it.
func TestWatermarkFollowsTheClockAtMost(t *testing.T) {
	const now = 1_000_000
	e := newWatermarkEstimator(0, 2*time.Second, true, false)
	e.observe(now-10_000, now)
	e.observe(now+10*3600*1000, now)
	if got := e.CurrentWatermark().UnixMilli(); got != now-12_000 || e.ahead != 1 {
		t.Errorf("after a record 10h ahead the watermark is %d ms (%d ahead), want %d (1 ahead)", got, e.ahead, now-12_000)
	}
	e.observe(now+500, now)
	if got := e.CurrentWatermark().UnixMilli(); got != now-2_000 {
		t.Errorf("a record 0.5s ahead moved the watermark to %d ms, want the clock less the lag, %d", got, now-2_000)
	}
}

// TestIdleFieldTimePartition: an idle partition whose newest record is
// old (a replay) keeps its watermark; one whose records are live follows
// the clock, also after a checkpoint (a new estimator from the state).
func TestIdleFieldTimePartition(t *testing.T) {
	now := time.UnixMilli(10_000_000)
	replay := newWatermarkEstimator(0, 2*time.Second, true, false)
	replay.observe(5_000, now.UnixMilli())
	replay.idle(now)
	if got := replay.CurrentWatermark().UnixMilli(); got != 3_000 {
		t.Errorf("an idle replay moved its watermark to %d ms, want 3000 (its data less the lag)", got)
	}
	restored := newWatermarkEstimator(replay.state, 2*time.Second, true, false)
	restored.idle(now)
	if got := restored.CurrentWatermark().UnixMilli(); got != 3_000 {
		t.Errorf("an idle replay, resumed, moved its watermark to %d ms, want 3000", got)
	}

	live := newWatermarkEstimator(0, 2*time.Second, true, false)
	live.observe(now.UnixMilli()-1_000, now.UnixMilli())
	live.idle(now)
	later := now.Add(30 * time.Second)
	resumed := newWatermarkEstimator(live.state, 2*time.Second, true, false)
	resumed.idle(later)
	if got := resumed.CurrentWatermark().UnixMilli(); got != later.UnixMilli()-2_000 {
		t.Errorf("a live partition, quiet across a checkpoint, has watermark %d ms, want the clock less the lag, %d",
			got, later.UnixMilli()-2_000)
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

func TestFieldTimeWatermarkHoldsOnIdleReplays(t *testing.T) {
	now := time.Now()
	old := newWatermarkEstimator(0, time.Second, true, false)
	old.observe(now.Add(-48*time.Hour).UnixMilli(), now.UnixMilli())
	before := old.CurrentWatermark()
	old.idle(now)
	if !old.CurrentWatermark().Equal(before) {
		t.Fatalf("a replay's idle partition jumped to the clock: %v -> %v", before, old.CurrentWatermark())
	}
	live := newWatermarkEstimator(0, time.Second, true, false)
	live.observe(now.Add(-5*time.Second).UnixMilli(), now.UnixMilli())
	live.idle(now)
	if got := live.CurrentWatermark(); got.Before(now.Add(-2 * time.Second)) {
		t.Fatalf("a live idle partition stayed at %v", got)
	}
	kafkaTime := newWatermarkEstimator(0, time.Second, false, false)
	kafkaTime.idle(now)
	if kafkaTime.CurrentWatermark().Before(now.Add(-2 * time.Second)) {
		t.Fatal("a Kafka-time idle partition did not move to the clock")
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
