package watermarks

import (
	"sync"
	"testing"
	"time"
)

// TestOldestOfLiveReads: the oldest live estimate wins; initial states
// (at or before 1970) are ignored; an ended read is forgotten.
func TestOldestOfLiveReads(t *testing.T) {
	var r Registry
	if _, ok := r.Oldest(); ok {
		t.Fatal("an empty registry has a watermark")
	}
	r.Publish("a", 2_000, false)
	r.Publish("b", 1_000, false)
	r.Publish("b", -9_000_000, false)
	if wm, ok := r.Oldest(); !ok || !wm.Equal(time.UnixMilli(1_000)) {
		t.Fatalf("Oldest = %v, %v; want 1000 ms", wm, ok)
	}
	r.Publish("b", 1_500, true)
	if wm, ok := r.Oldest(); !ok || !wm.Equal(time.UnixMilli(2_000)) {
		t.Fatalf("after b ended: %v, %v; want 2000 ms", wm, ok)
	}
	r.Publish("a", 3_000, true)
	if _, ok := r.Oldest(); ok {
		t.Fatal("every read ended, still a watermark")
	}
}

// TestConcurrentPublish: readers publish from many goroutines (run with
// -race).
func TestConcurrentPublish(t *testing.T) {
	var r Registry
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 1000 {
				r.Publish(string(rune('a'+i)), int64(1+j), false)
				r.Oldest()
			}
		}()
	}
	wg.Wait()
	if wm, ok := r.Oldest(); !ok || !wm.Equal(time.UnixMilli(1000)) {
		t.Fatalf("Oldest = %v, %v; want 1000 ms", wm, ok)
	}
}
