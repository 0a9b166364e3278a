package nab

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// corpusDir finds the NAB corpus or skips the test.
func corpusDir(t *testing.T) string {
	d, ok := FindCorpus()
	if !ok {
		t.Skip("the NAB corpus is not here: set NAB_DIR or put it at ../shared/nab beside the repository")
	}
	return d
}

func TestScaledSigmoid(t *testing.T) {
	for _, c := range []struct{ pos, want float64 }{{-1, 0.98661}, {-0.5, 0.84828}, {0, 0}, {1, -0.98661}, {3, -1}, {10, -1}} {
		if got := ScaledSigmoid(c.pos); math.Abs(got-c.want) > 1e-5 {
			t.Errorf("ScaledSigmoid(%v) = %v, want %v", c.pos, got, c.want)
		}
	}
}

// TestReproducesPublishedScores feeds the published raw results of two
// detectors to the scorer: with their published thresholds it must give
// their published scores on every profile within 0.5, and optimising the
// threshold itself must land within 0.5 of them too.
func TestReproducesPublishedScores(t *testing.T) {
	dir := corpusDir(t)
	windows, err := LoadWindows(filepath.Join(dir, "labels", "combined_windows.json"))
	if err != nil {
		t.Fatal(err)
	}
	var published map[string]map[string]float64
	readJSONT(t, filepath.Join(dir, "results", "final_results.json"), &published)
	var thresholds map[string]map[string]struct{ Threshold float64 }
	readJSONT(t, filepath.Join(dir, "config", "thresholds.json"), &thresholds)

	for _, det := range []string{"numenta", "windowedGaussian"} {
		results := map[string]Results{}
		for file := range windows {
			dirName, base := filepath.Split(file)
			path := filepath.Join(dir, "results", det, dirName, det+"_"+base)
			r, err := ReadCSV(path)
			if err != nil {
				t.Fatal(err)
			}
			results[file] = r
		}
		if len(results) != 58 {
			t.Fatalf("%s: %d result files, want 58", det, len(results))
		}
		for _, prof := range ProfileNames {
			p := Profiles[prof]
			var files []File
			for file, r := range results {
				f, err := Prepare(file, r.Times, r.Scores, windows[file], p)
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			want := published[det][prof]
			got := Score(files, thresholds[det][prof].Threshold, p)
			if math.Abs(got-want) > 0.5 {
				t.Errorf("%s %s at the published threshold %v: %.3f, published %.3f", det, prof, thresholds[det][prof].Threshold, got, want)
			}
			thr, opt := Optimise(files, p)
			if math.Abs(opt-want) > 0.5 {
				t.Errorf("%s %s optimised: %.3f at %v, published %.3f", det, prof, opt, thr, want)
			}
			t.Logf("%-16s %-18s published %6.2f  at its threshold %6.2f  optimised %6.2f (threshold %.4f)", det, prof, want, got, opt, thr)
		}
	}
}

func readJSONT(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
