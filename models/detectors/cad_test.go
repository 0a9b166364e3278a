package detectors

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/beamlens/beamlens/models/nab"
)

// sawtooth repeats 0, 1, ..., period-1 scaled to [0, 100).
func sawtooth(n, period int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(i%period) * 100 / float64(period)
	}
	return xs
}

// TestCADLearnsAPatternAndFlagsItsBreak: once a cycle is learned CAD stays
// quiet on it; when the cycle stops - every value still in range, which no
// distance-based detector can see - it flags within a few points, then
// keeps quiet for its cooldown.
func TestCADLearnsAPatternAndFlagsItsBreak(t *testing.T) {
	d := NewCAD(Config{ScoreThreshold: StreamScoreThreshold})
	xs := sawtooth(4000, 16)
	for i, x := range xs {
		v := d.Update(x)
		if i < DefaultRangePoints && !v.Warming {
			t.Fatalf("point %d: flags before its range is learned", i)
		}
		if i >= 2000 && v.Anomaly {
			t.Fatalf("point %d of a learned cycle flagged: %+v", i, v)
		}
	}
	// The cycle stops at its middle value.
	flaggedAt := -1
	for i := range 40 {
		v := d.Update(50)
		if v.Anomaly && flaggedAt < 0 {
			flaggedAt = i
			if len(v.Baseline) != 4 || v.Baseline[0].Name != "expected" {
				t.Errorf("baseline %v", v.Baseline)
			}
			continue
		}
		if flaggedAt >= 0 && i-flaggedAt <= DefaultCooldown && v.Score != 0 {
			t.Errorf("point %d, %d after the alarm: score %v inside the cooldown", i, i-flaggedAt, v.Score)
		}
	}
	if flaggedAt < 0 || flaggedAt > 3 {
		t.Fatalf("the stopped cycle was flagged at point %d of it, want within 3", flaggedAt)
	}
}

// TestCADKnownRange: with Range given CAD learns no range and may flag at
// once; its state is refused by a CAD with another range.
func TestCADKnownRange(t *testing.T) {
	d := NewCAD(Config{Range: [2]float64{0, 100}, WarmUp: -1})
	xs := sawtooth(1000, 16)
	if v := d.Update(xs[0]); v.Warming {
		t.Fatalf("warming with a known range: %+v", v)
	}
	run(d, xs[1:])
	if v := d.Update(500); !v.Anomaly {
		t.Fatalf("500 beyond a 0-100 range: %+v", v)
	}
	state, _ := d.MarshalBinary()
	other := NewCAD(Config{Range: [2]float64{0, 200}, WarmUp: -1})
	if err := other.UnmarshalBinary(state); !errors.Is(err, ErrStateMismatch) {
		t.Fatalf("state for range 0-100 restored into 0-200: %v", err)
	}
	if _, err := New("cad", Config{Range: [2]float64{5, 4}}); err == nil {
		t.Fatal("a reversed range accepted")
	}
	if _, _, err := (Spec{Detectors: []string{"cad"}, Range: []float64{1}}).Resolve(DefaultThreshold); err == nil {
		t.Fatal("a one-value range accepted")
	}
}

// TestCADFlagsOutOfRange: a value far beyond the learned range is a level
// no pattern holds.
func TestCADFlagsOutOfRange(t *testing.T) {
	d := NewCAD(Config{ScoreThreshold: StreamScoreThreshold})
	run(d, sawtooth(3000, 16))
	if v := d.Update(1e6); !v.Anomaly {
		t.Fatalf("1e6 after a 0-100 cycle: %+v", v)
	}
	d.Reset()
	run(d, sawtooth(3000, 16))
	if v := d.Update(-1e6); !v.Anomaly {
		t.Fatalf("-1e6 after a 0-100 cycle: %+v", v)
	}
	if v := d.Update(1e200); !v.Anomaly {
		t.Fatalf("1e200, beyond what is learned: %+v", v)
	}
}

// TestCADMemoryIsBounded: noise makes a new pattern nearly every step;
// memory stops at MaxContexts and scoring goes on.
func TestCADMemoryIsBounded(t *testing.T) {
	d := NewCAD(Config{MaxContexts: 512, RangePoints: 10, WarmUp: -1})
	xs := gaussian(7, 20000, 0, 1)
	run(d, xs)
	if n := len(d.core.contexts); n != 512 {
		t.Fatalf("%d contexts, want the bound 512", n)
	}
	small, _ := d.MarshalBinary()
	run(d, gaussian(8, 5000, 0, 1))
	if n := len(d.core.contexts); n != 512 {
		t.Fatalf("%d contexts after more noise", n)
	}
	if big, _ := d.MarshalBinary(); len(big) > 2*len(small) {
		t.Errorf("state grew from %d to %d bytes at the bound", len(small), len(big))
	}
}

// TestCADReproducesContextOSE: CAD run as NAB runs contextOSE - each
// series' range known in advance (Config.Range), its rest period as the
// cooldown - scores within 1.5 points of contextOSE's published scores on
// every profile. This checks the port; with its range learned from the
// stream CAD scores lower (BENCHMARKS.md).
func TestCADReproducesContextOSE(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole NAB corpus: about 15 s")
	}
	dir, ok := nab.FindCorpus()
	if !ok {
		t.Skip("the NAB corpus is not here: set NAB_DIR or put it at ../shared/nab beside the repository")
	}
	windows, err := nab.LoadWindows(filepath.Join(dir, "labels", "combined_windows.json"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]nab.File{}
	for name := range windows {
		r, err := nab.ReadCSV(filepath.Join(dir, "data", name))
		if err != nil {
			t.Fatal(err)
		}
		scores := referenceCAD(r.Values)
		for _, prof := range nab.ProfileNames {
			f, err := nab.Prepare(name, r.Times, scores, windows[name], nab.Profiles[prof])
			if err != nil {
				t.Fatal(err)
			}
			files[prof] = append(files[prof], f)
		}
	}
	var published map[string]map[string]float64
	if err := readJSONFile(filepath.Join(dir, "results", "final_results.json"), &published); err != nil {
		t.Fatal(err)
	}
	for _, prof := range nab.ProfileNames {
		_, got := nab.Optimise(files[prof], nab.Profiles[prof])
		want := published["contextOSE"][prof]
		t.Logf("%s: %.2f, published %.2f", prof, got, want)
		if math.Abs(got-want) > 1.5 {
			t.Errorf("%s: %.2f, published %.2f", prof, got, want)
		}
	}
}

// referenceCAD scores a series as NAB's contextOSE is run: CAD given the
// series' range (NAB hands every detector its min and max) and a cooldown
// of a fifth of the probationary period (the reference's rest period).
// The reference also rests over its first rest period; that falls inside
// the probationary period, which NAB does not score.
func referenceCAD(values []float64) []float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	rest := int(float64(nab.ProbationaryRows(len(values))) / 5)
	d := NewCAD(Config{ScoreThreshold: StreamScoreThreshold, Range: [2]float64{lo, hi}, Cooldown: rest,
		MaxContexts: maxContexts, WarmUp: -1})
	out := make([]float64, len(values))
	for i, v := range values {
		if s := d.Update(v); s.Score > 0 {
			out[i] = s.Score / (s.Score + s.Threshold)
		}
	}
	return out
}

func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
