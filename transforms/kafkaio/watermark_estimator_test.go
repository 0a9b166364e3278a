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
