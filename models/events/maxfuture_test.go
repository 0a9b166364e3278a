package events

import (
	"strings"
	"testing"
	"time"
)

// TestMaxFutureDefaultAndReason: by default a reading 10 minutes ahead of
// the clock is refused, 2 minutes ahead is kept, and the reason says how
// far ahead the device's clock is.
func TestMaxFutureDefaultAndReason(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := ReadingDecoder{Options: DecodeOptions{NowMs: now.UnixMilli()}}
	if _, err := d.Decode([]byte(`{"device_id":"d","timestamp":"2026-01-01T00:02:00Z"}`)); err != nil {
		t.Errorf("a reading 2m ahead was refused: %v", err)
	}
	_, err := d.Decode([]byte(`{"device_id":"d","timestamp":"2026-01-01T10:00:00Z"}`))
	if err == nil {
		t.Fatal("a reading 10h ahead was accepted")
	}
	for _, want := range []string{"10h0m0s ahead", "max-future 5m0s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("reason %q does not say %q", err, want)
		}
	}
}
