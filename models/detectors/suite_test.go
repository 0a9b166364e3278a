package detectors

import (
	"bytes"
	"cmp"
	"math"
	"reflect"
	"slices"
	"testing"
)

// TestSuite runs one set of checks against every detector: the contract of
// the Detector interface, whatever the algorithm behind it.
func TestSuite(t *testing.T) {
	for _, f := range flavours() {
		t.Run(f.label(), func(t *testing.T) {
			t.Run("spikes", func(t *testing.T) { testSpikes(t, f) })
			t.Run("quiet", func(t *testing.T) { testQuiet(t, f) })
			t.Run("warmup", func(t *testing.T) { testWarmUp(t, f) })
			t.Run("roundtrip", func(t *testing.T) { testRoundTrip(t, f) })
			t.Run("nonfinite", func(t *testing.T) { testNonFinite(t, f) })
			t.Run("reset", func(t *testing.T) { testReset(t, f) })
		})
	}
}

// testSpikes: every injected spike is flagged, the level shift is flagged
// within five points (or the flavour's shiftWithin), and false alarms on the normal stretches stay rare.
func testSpikes(t *testing.T, f flavour) {
	if f.static {
		t.Skip("static detector")
	}
	for _, seed := range []uint64{1, 2, 3} {
		s := spiky(seed)
		if f.spikeSigmas > 0 {
			for _, i := range s.spikes {
				level := 20.0
				if i >= s.shift {
					level += 6
				}
				s.values[i] = level + (f.spikeSigmas/8)*(s.values[i]-level)
			}
		}
		vs := run(f.build(t), s.values)
		for _, i := range s.spikes {
			if f.inRecovery(s, i) {
				continue
			}
			if !vs[i].Anomaly {
				t.Errorf("seed %d: spike at %d (%.2f) missed: %+v", seed, i, s.values[i], vs[i])
			}
		}
		within := cmp.Or(f.shiftWithin, 5)
		if !slices.ContainsFunc(vs[s.shift:s.shift+within], func(v Verdict) bool { return v.Anomaly }) {
			t.Errorf("seed %d: level shift at %d not flagged within %d points", seed, s.shift, within)
		}
		// Normal stretches: after warm-up, not within a few points of a
		// spike (an EWMA chart remembers one), not in the shift's wake.
		normal, false_ := 0, 0
		for i := f.warm; i < len(vs); i++ {
			if nearSpike(s, i) || f.inRecovery(s, i) {
				continue
			}
			normal++
			if vs[i].Anomaly {
				false_++
			}
		}
		if rate := float64(false_) / float64(normal); rate > f.maxFalse {
			t.Errorf("seed %d: %d false alarms in %d normal points (%.2f%% > %.2f%%)",
				seed, false_, normal, 100*rate, 100*f.maxFalse)
		}
	}
}

func (f flavour) inRecovery(s stream, i int) bool {
	return i >= s.shift && i < s.shift+f.recovery
}

func nearSpike(s stream, i int) bool {
	for _, j := range s.spikes {
		if i >= j && i <= j+5 {
			return true
		}
	}
	return false
}

// testQuiet: on 20,000 points of pure noise, false alarms stay within the
// flavour's bound.
func testQuiet(t *testing.T, f flavour) {
	if f.static {
		t.Skip("static detector")
	}
	values := gaussian(42, 20000, -3, 0.5)
	vs := run(f.build(t), values)
	n := 0
	for _, v := range vs[f.warm:] {
		if v.Anomaly {
			n++
		}
	}
	if rate := float64(n) / float64(len(vs)-f.warm); rate > f.maxFalse {
		t.Errorf("%d false alarms in %d points (%.3f%%)", n, len(vs)-f.warm, 100*rate)
	}
	t.Logf("false alarm rate on noise: %.3f%%", 100*float64(n)/float64(len(vs)-f.warm))
}

// testWarmUp: wild values during warm-up are learned, never flagged.
func testWarmUp(t *testing.T, f flavour) {
	if f.static {
		t.Skip("static detector")
	}
	values := gaussian(7, f.warm+50, 20, 1)
	for _, i := range []int{3, f.warm / 2, f.warm - 1} {
		values[i] = 1e6
	}
	d := f.build(t)
	for i, v := range run(d, values[:f.warm]) {
		if v.Anomaly || !v.Warming {
			t.Fatalf("point %d of warm-up: %+v", i, v)
		}
	}
}

// testRoundTrip: state saved at any point and restored into a fresh
// detector gives identical verdicts and identical state from then on.
func testRoundTrip(t *testing.T, f flavour) {
	s := spiky(9)
	whole := f.build(t)
	want := run(whole, s.values)
	wantState, err := whole.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{0, 1, 17, 120, 333, 1250, 1999} {
		first := f.build(t)
		run(first, s.values[:cut])
		state, err := first.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		second := f.build(t)
		if err := second.UnmarshalBinary(state); err != nil {
			t.Fatalf("cut %d: UnmarshalBinary: %v", cut, err)
		}
		got := run(second, s.values[cut:])
		for i := range got {
			if !reflect.DeepEqual(got[i], want[cut+i]) {
				t.Fatalf("cut %d, point %d: restored %+v, uninterrupted %+v", cut, cut+i, got[i], want[cut+i])
			}
		}
		gotState, _ := second.AppendBinary([]byte("prefix"))
		if !bytes.Equal(gotState[len("prefix"):], wantState) {
			t.Fatalf("cut %d: final state differs from the uninterrupted detector's", cut)
		}
	}
	t.Logf("state after %d points: %d bytes", len(s.values), len(wantState))
}

// testNonFinite: NaN and ±Inf are skipped without touching state, and huge
// finite values are scored but not learned; either way the verdicts on the
// remaining points equal those of a clean run.
func testNonFinite(t *testing.T, f flavour) {
	s := spiky(5)
	clean := run(f.build(t), s.values)
	d := f.build(t)
	bad := []float64{math.NaN(), math.Inf(1), math.Inf(-1)}
	for i, v := range s.values {
		if i%97 == 0 {
			for _, b := range bad {
				if got := d.Update(b); !got.Skipped || got.Anomaly {
					t.Fatalf("Update(%v) = %+v, want skipped", b, got)
				}
			}
		}
		if i%211 == 0 {
			huge := d.Update(math.Copysign(1e300, float64(i%2)-0.5))
			if math.IsNaN(huge.Score) || math.IsInf(huge.Score, 0) {
				t.Fatalf("score of a huge value is %v", huge.Score)
			}
			if !f.static && i >= 2*f.warm && !f.inRecovery(s, i) && !huge.Anomaly {
				t.Errorf("point %d: 1e300 not flagged: %+v", i, huge)
			}
		}
		if got := d.Update(v); !reflect.DeepEqual(got, clean[i]) {
			t.Fatalf("point %d after bad input: %+v, clean run %+v", i, got, clean[i])
		}
	}
}

// testReset: a Reset detector behaves like a new one.
func testReset(t *testing.T, f flavour) {
	s := spiky(11)
	want := run(f.build(t), s.values[:400])
	d := f.build(t)
	run(d, s.values[1000:])
	d.Reset()
	if got := run(d, s.values[:400]); !reflect.DeepEqual(got, want) {
		t.Fatal("verdicts after Reset differ from a new detector's")
	}
}
