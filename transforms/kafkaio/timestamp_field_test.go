package kafkaio

import (
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

func TestFieldTimeMs(t *testing.T) {
	var p fastjson.Parser
	want := time.Date(2025, 1, 1, 0, 1, 0, 0, time.UTC).UnixMilli()
	for in, ok := range map[string]bool{
		`{"timestamp":"2025-01-01T00:01:00Z","x":1}`: true,
		`{"timestamp":1735689660000}`:                true,
		`{"timestamp":"yesterday"}`:                  false,
		`{"timestamp":true}`:                         false,
		`{"time":"2025-01-01T00:01:00Z"}`:            false,
		`{"timestamp":1e300}`:                        false,
		`not json`:                                   false,
	} {
		got, gotOK := fieldTimeMs(&p, []byte(in), "timestamp")
		if gotOK != ok || (ok && got != want) {
			t.Errorf("%s: got %d %v, want %d %v", in, got, gotOK, want, ok)
		}
	}
}

func TestFieldTimeWatermarkHoldsOnIdleReplays(t *testing.T) {
	now := time.Now()
	old := newWatermarkEstimator(0, time.Second, true)
	old.observe(now.Add(-48 * time.Hour).UnixMilli())
	before := old.CurrentWatermark()
	old.idle(now)
	if !old.CurrentWatermark().Equal(before) {
		t.Fatalf("a replay's idle partition jumped to the clock: %v -> %v", before, old.CurrentWatermark())
	}
	live := newWatermarkEstimator(0, time.Second, true)
	live.observe(now.Add(-5 * time.Second).UnixMilli())
	live.idle(now)
	if got := live.CurrentWatermark(); got.Before(now.Add(-2 * time.Second)) {
		t.Fatalf("a live idle partition stayed at %v", got)
	}
	kafkaTime := newWatermarkEstimator(0, time.Second, false)
	kafkaTime.idle(now)
	if kafkaTime.CurrentWatermark().Before(now.Add(-2 * time.Second)) {
		t.Fatal("a Kafka-time idle partition did not move to the clock")
	}
}
