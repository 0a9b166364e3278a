package detectors

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// readTemperatures reads the temperatures of a JSON Lines fixture.
func readTemperatures(t *testing.T, name string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct{ Temperature float64 }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Temperature)
	}
	return out
}

// flagsOf runs values through d and returns the indexes it flags.
func flagsOf(d Detector, values []float64) []int {
	var flagged []int
	for i, v := range values {
		if d.Update(v).Anomaly {
			flagged = append(flagged, i)
		}
	}
	return flagged
}

// distanceDetectors are the detectors that judge a value by its distance
// from a learned centre in a learned scale: the ones a zero spread broke.
var distanceDetectors = []string{"zscore", "robust_zscore", "iqr", "ewma", "mahalanobis", "hst", "ensemble"}

// TestOneResolutionStepIsNoAnomaly: a 0.1-resolution sensor that reads one
// value for minutes and then steps by 0.1, once or as a habit, raises
// nothing, at the library's cut-off and the command line's.
func TestOneResolutionStepIsNoAnomaly(t *testing.T) {
	for _, fixture := range []string{"flat.jsonl", "quantised.jsonl"} {
		values := readTemperatures(t, fixture)
		for _, name := range distanceDetectors {
			for _, st := range []float64{DefaultScoreThreshold, StreamScoreThreshold} {
				d, err := New(name, Config{ScoreThreshold: st})
				if err != nil {
					t.Fatal(err)
				}
				if got := flagsOf(d, values); len(got) != 0 {
					t.Errorf("%s, %s at %v: flagged readings %v, want none", fixture, name, st, got)
				}
			}
		}
	}
}

// TestJumpAfterFlatStretchIsAnomaly: the floor is a resolution, not a
// blindfold: a jump of 2 °C (20 steps) after a flat stretch is flagged.
func TestJumpAfterFlatStretchIsAnomaly(t *testing.T) {
	values := readTemperatures(t, "flat.jsonl")
	values[200] = 21.8
	for _, name := range []string{"zscore", "robust_zscore", "iqr", "ewma", "mahalanobis", "ensemble"} {
		d, err := New(name, Config{ScoreThreshold: StreamScoreThreshold})
		if err != nil {
			t.Fatal(err)
		}
		got := flagsOf(d, values)
		if len(got) == 0 || got[0] != 200 {
			t.Errorf("%s: flagged %v, want the jump at 200 first", name, got)
		}
	}
}

// TestResolutionLearned: the floor follows the series' own step, learned,
// not a constant: before any change the decimal place, then the smallest
// change.
func TestResolutionLearned(t *testing.T) {
	var r resolution
	if got := r.current(); got != 0 {
		t.Fatalf("no value yet: step %v, want 0", got)
	}
	r.observe(21.5)
	r.observe(21.5)
	if got := r.current(); got != 0.1 {
		t.Fatalf("after 21.5 twice: step %v, want 0.1 (its decimal place)", got)
	}
	r.observe(22.0)
	r.observe(23.5)
	if got := r.current(); got != 0.5 {
		t.Fatalf("after steps of 0.5 and 1.5: step %v, want 0.5", got)
	}
	for _, c := range []struct{ x, want float64 }{{21, 1}, {21.37, 0.01}, {-0.004, 0.001}, {0, 0}, {1.0 / 3, 0}} {
		if got := decimalQuantum(c.x); got != c.want {
			t.Errorf("decimalQuantum(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

// TestStuckSensor: a noisy sensor frozen at one value for 400 readings
// raises exactly one alarm, soon after the freeze starts; the noisy part
// raises none.
func TestStuckSensor(t *testing.T) {
	values := readTemperatures(t, "stuck.jsonl")
	d := NewStuck(Config{ScoreThreshold: StreamScoreThreshold})
	got := flagsOf(d, values)
	if len(got) != 1 {
		t.Fatalf("flagged %v, want one alarm", got)
	}
	// The freeze starts at 1199 (the last noisy value repeats); the alarm
	// comes after WarmUp (30) readings, the limit for a device whose noise
	// rarely repeats a value.
	if got[0] < 1199+DefaultWarmUp-1 || got[0] > 1199+60 {
		t.Errorf("alarm at %d, want within a minute or so of 1199+%d", got[0], DefaultWarmUp)
	}
}

// TestStuckLearnsHowLongTheDeviceStaysPut: a quantised sensor that
// normally holds a value for a long time is not stuck when it does, and
// a second freeze after a flagged one is flagged again (the flagged run
// was not learned as normal).
func TestStuckLearnsHowLongTheDeviceStaysPut(t *testing.T) {
	for _, fixture := range []string{"flat.jsonl", "quantised.jsonl"} {
		d := NewStuck(Config{})
		if got := flagsOf(d, readTemperatures(t, fixture)); len(got) != 0 {
			t.Errorf("%s: flagged %v, want none", fixture, got)
		}
	}
	values := readTemperatures(t, "stuck.jsonl")
	noisy := values[:1200]
	values = append(values, noisy[:200]...)
	for range 400 {
		values = append(values, noisy[199])
	}
	d := NewStuck(Config{})
	if got := flagsOf(d, values); len(got) != 2 {
		t.Errorf("two freezes: flagged %v, want two alarms", got)
	}
}
