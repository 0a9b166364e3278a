package kafkaio

import (
	"math"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
)

func TestRangeCoder(t *testing.T) {
	for _, r := range []partitionRange{
		{Topic: "sensor_data", Partition: 7, Start: 12345, End: unboundedEnd},
		{Topic: "t", Partition: 0, Start: 0, End: 0},
		{Topic: "", Partition: math.MaxInt32, Start: -1, End: math.MinInt64},
	} {
		b, err := encodeRange(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRange(b)
		if err != nil || got != r {
			t.Errorf("round trip of %v gave %v, %v", r, got, err)
		}
		if _, err := decodeRange(b[:len(b)-1]); err == nil {
			t.Errorf("a truncated encoding of %v decoded", r)
		}
	}
}

// A checkpoint of an unbounded range keeps what was claimed in the primary,
// which is then done, and the rest, to infinity, in the residual.
func TestTrackerCheckpointUnbounded(t *testing.T) {
	hw := newHighWatermark()
	rt := newRangeTracker(partitionRange{Topic: "t", Partition: 2, Start: 100, End: unboundedEnd}, hw)
	var _ sdf.BoundableRTracker = rt
	if rt.IsBounded() || rt.IsDone() {
		t.Fatal("a new unbounded range is bounded or done")
	}
	for _, off := range []int64{100, 101, 105} { // gaps are fine
		if !rt.TryClaim(off) {
			t.Fatalf("claim %d failed: %v", off, rt.GetError())
		}
	}
	p, r, err := rt.TrySplit(0)
	if err != nil {
		t.Fatal(err)
	}
	if want := (partitionRange{Topic: "t", Partition: 2, Start: 100, End: 106}); p != want {
		t.Errorf("primary %v, want %v", p, want)
	}
	if want := (partitionRange{Topic: "t", Partition: 2, Start: 106, End: unboundedEnd}); r != want {
		t.Errorf("residual %v, want %v", r, want)
	}
	if !rt.IsDone() {
		t.Error("primary not done after the checkpoint")
	}
}

// A checkpoint before any claim (a quiet partition) leaves an empty, done
// primary and the whole range as the residual.
func TestTrackerCheckpointIdle(t *testing.T) {
	rt := newRangeTracker(partitionRange{Topic: "t", Start: 42, End: unboundedEnd}, newHighWatermark())
	p, r, err := rt.TrySplit(0)
	if err != nil {
		t.Fatal(err)
	}
	if p.(partitionRange).Start != 42 || p.(partitionRange).End != 42 || r.(partitionRange).Start != 42 || r.(partitionRange).End != unboundedEnd {
		t.Errorf("primary %v residual %v", p, r)
	}
	if !rt.IsDone() {
		t.Error("empty primary not done")
	}
}

// The end estimate of a growing range is the cached high watermark: it
// drives progress.
func TestTrackerEstimatesFromHighWatermark(t *testing.T) {
	hw := newHighWatermark()
	rt := newRangeTracker(partitionRange{Topic: "t", Start: 0, End: unboundedEnd}, hw)
	hw.raise(1000)
	hw.raise(900) // a stale fetch does not lower it
	if _, rem := rt.GetProgress(); rem != 1000 {
		t.Errorf("remaining %v, want 1000", rem)
	}
}

// A runner's split is refused, of a growing or a bounded range: a
// partition is read in order by one client. Splitting at half let the two
// halves be read at once, and under load TestReadRestartsFromCommittedOffsets
// saw the group's offset go back (150 to 125: the primary of a split
// [100,150) committed its end after the residual) and
// TestReadWatermarkMovesOnlyWithEventTimes lost readings as late (the
// residual's watermark ran ahead of the primary's records).
func TestTrackerRefusesRunnerSplits(t *testing.T) {
	hw := newHighWatermark()
	hw.raise(1000)
	for _, rest := range []partitionRange{{Topic: "t", Start: 0, End: unboundedEnd}, {Topic: "t", Start: 0, End: 150}} {
		rt := newRangeTracker(rest, hw)
		rt.TryClaim(int64(0))
		for _, f := range []float64{0.5, 0.01, 0.99} {
			p, r, err := rt.TrySplit(f)
			if err != nil || r != nil || p != rest {
				t.Errorf("%v split at %v: primary %v residual %v err %v, want it whole and no residual", rest, f, p, r, err)
			}
		}
		if rt.IsDone() {
			t.Errorf("%v done after a refused split", rest)
		}
		if _, r, _ := rt.TrySplit(0); r == nil {
			t.Errorf("%v: no checkpoint after refused splits", rest)
		}
	}
}

// A bounded range is done when its last offset is claimed, and a claim past
// its end fails without error.
func TestTrackerBounded(t *testing.T) {
	rt := newRangeTracker(partitionRange{Topic: "t", Start: 5, End: 8}, newHighWatermark())
	if !rt.IsBounded() {
		t.Fatal("bounded range reports unbounded")
	}
	for _, off := range []int64{5, 6} {
		if !rt.TryClaim(off) {
			t.Fatalf("claim %d failed", off)
		}
	}
	if rt.IsDone() {
		t.Fatal("done before the last offset")
	}
	if !rt.TryClaim(int64(7)) || !rt.IsDone() {
		t.Fatal("not done after the last offset")
	}
	rt = newRangeTracker(partitionRange{Topic: "t", Start: 5, End: 8}, newHighWatermark())
	if rt.TryClaim(int64(9)) || !rt.IsDone() || rt.GetError() != nil {
		t.Errorf("a claim past the end (a gap at the end) should finish the range cleanly: err %v", rt.GetError())
	}
}

func TestRangeSize(t *testing.T) {
	if s := (partitionRange{Start: 10, End: 30}).size(-1); s != 20 {
		t.Errorf("bounded size %v", s)
	}
	if s := (partitionRange{Start: 10, End: unboundedEnd}).size(-1); s != 1 {
		t.Errorf("unbounded size with no high watermark %v, want 1", s)
	}
	if s := (partitionRange{Start: 10, End: unboundedEnd}).size(110); s != 100 {
		t.Errorf("unbounded size %v, want the backlog 100", s)
	}
}
