package watermarks

import (
	"testing"
	"time"
)

func TestWatermarkEstimator(t *testing.T) {
	const now = 1_000_000 // the wall clock, far past every record here
	e := NewEstimator(0, 2*time.Second, false, false)
	e.Observe(10_000, now)
	if got := e.CurrentWatermark().UnixMilli(); got != 8_000 {
		t.Errorf("after a record at 10s the watermark is %d ms, want 8000 (the record less the lag)", got)
	}
	e.Observe(9_000, now) // out of order: the watermark does not go back
	if got := e.CurrentWatermark().UnixMilli(); got != 8_000 {
		t.Errorf("an older record moved the watermark to %d ms", got)
	}
	e.Idle(time.UnixMilli(60_000))
	if got := e.CurrentWatermark().UnixMilli(); got != 58_000 {
		t.Errorf("an idle partition's watermark is %d ms, want 58000 (the clock less the lag)", got)
	}
	e.Observe(30_000, now) // a late record: still no going back
	if got := e.CurrentWatermark().UnixMilli(); got != 58_000 {
		t.Errorf("a late record moved the watermark to %d ms", got)
	}
	if e.State() != 58_000 {
		t.Errorf("state %d is not the watermark", e.State())
	}
}

// TestWatermarkFollowsTheClockAtMost: a record stamped 10 h ahead of the
// clock does not move the watermark (and is counted); one a little ahead
// moves it to the clock, not past it.
func TestWatermarkFollowsTheClockAtMost(t *testing.T) {
	const now = 1_000_000
	e := NewEstimator(0, 2*time.Second, true, false)
	e.Observe(now-10_000, now)
	e.Observe(now+10*3600*1000, now)
	if got := e.CurrentWatermark().UnixMilli(); got != now-12_000 || e.TakeAhead() != 1 {
		t.Errorf("after a record 10h ahead the watermark is %d ms (ahead not counted), want %d (1 ahead)", got, now-12_000)
	}
	e.Observe(now+500, now)
	if got := e.CurrentWatermark().UnixMilli(); got != now-2_000 {
		t.Errorf("a record 0.5s ahead moved the watermark to %d ms, want the clock less the lag, %d", got, now-2_000)
	}
}

// TestIdleFieldTimePartition: an idle partition whose newest record is
// old (a replay) keeps its watermark; one whose records are live follows
// the clock, also after a checkpoint (a new estimator from the state).
func TestIdleFieldTimePartition(t *testing.T) {
	now := time.UnixMilli(10_000_000)
	replay := NewEstimator(0, 2*time.Second, true, false)
	replay.Observe(5_000, now.UnixMilli())
	replay.Idle(now)
	if got := replay.CurrentWatermark().UnixMilli(); got != 3_000 {
		t.Errorf("an idle replay moved its watermark to %d ms, want 3000 (its data less the lag)", got)
	}
	restored := NewEstimator(replay.State(), 2*time.Second, true, false)
	restored.Idle(now)
	if got := restored.CurrentWatermark().UnixMilli(); got != 3_000 {
		t.Errorf("an idle replay, resumed, moved its watermark to %d ms, want 3000", got)
	}

	live := NewEstimator(0, 2*time.Second, true, false)
	live.Observe(now.UnixMilli()-1_000, now.UnixMilli())
	live.Idle(now)
	later := now.Add(30 * time.Second)
	resumed := NewEstimator(live.State(), 2*time.Second, true, false)
	resumed.Idle(later)
	if got := resumed.CurrentWatermark().UnixMilli(); got != later.UnixMilli()-2_000 {
		t.Errorf("a live partition, quiet across a checkpoint, has watermark %d ms, want the clock less the lag, %d",
			got, later.UnixMilli()-2_000)
	}
}

func TestFieldTimeWatermarkHoldsOnIdleReplays(t *testing.T) {
	now := time.Now()
	old := NewEstimator(0, time.Second, true, false)
	old.Observe(now.Add(-48*time.Hour).UnixMilli(), now.UnixMilli())
	before := old.CurrentWatermark()
	old.Idle(now)
	if !old.CurrentWatermark().Equal(before) {
		t.Fatalf("a replay's idle partition jumped to the clock: %v -> %v", before, old.CurrentWatermark())
	}
	live := NewEstimator(0, time.Second, true, false)
	live.Observe(now.Add(-5*time.Second).UnixMilli(), now.UnixMilli())
	live.Idle(now)
	if got := live.CurrentWatermark(); got.Before(now.Add(-2 * time.Second)) {
		t.Fatalf("a live idle partition stayed at %v", got)
	}
	kafkaTime := NewEstimator(0, time.Second, false, false)
	kafkaTime.Idle(now)
	if kafkaTime.CurrentWatermark().Before(now.Add(-2 * time.Second)) {
		t.Fatal("a Kafka-time idle partition did not move to the clock")
	}
}

// TestBackfillHoldsTheWatermark: a backfill's watermark stays where it
// started, whatever it reads and however long it idles.
func TestBackfillHoldsTheWatermark(t *testing.T) {
	const now = 1_000_000
	e := NewEstimator(-5, 2*time.Second, true, true)
	e.Observe(500_000, now)
	e.Idle(time.UnixMilli(now))
	if got := e.CurrentWatermark().UnixMilli(); got != -5 {
		t.Errorf("a backfill moved its watermark to %d ms", got)
	}
}

// TestDataTimeWatermark: with event times from the data, a message 10 h
// ahead of the clock does not move the watermark, and an empty pull moves
// it to the clock only while the data is live.
func TestDataTimeWatermark(t *testing.T) {
	now := time.UnixMilli(10_000_000)
	e := NewEstimator(0, 2*time.Second, true, false)
	e.Observe(5_000, now.UnixMilli())
	e.Observe(now.Add(10*time.Hour).UnixMilli(), now.UnixMilli())
	e.Idle(now)
	if got := e.CurrentWatermark().UnixMilli(); got != 3_000 || e.ahead != 1 {
		t.Errorf("a replay with a skewed message, quiet: watermark %d ms, %d ahead; want 3000, 1", got, e.ahead)
	}
	live := NewEstimator(0, 2*time.Second, true, false)
	live.Observe(now.UnixMilli()-500, now.UnixMilli())
	later := now.Add(30 * time.Second)
	live.Idle(later)
	resumed := NewEstimator(live.State(), 2*time.Second, true, false)
	resumed.Idle(later.Add(time.Minute))
	if got, want := resumed.CurrentWatermark().UnixMilli(), later.Add(time.Minute).UnixMilli()-2_000; got != want {
		t.Errorf("a live subscription, quiet across a checkpoint: watermark %d ms, want %d", got, want)
	}
}
