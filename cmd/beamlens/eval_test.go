package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beamlens/beamlens/models/nab"
)

// TestEvalNAB runs `beamlens eval nab` on the NAB corpus (../shared/nab or
// NAB_DIR) through the production transforms/detect, and checks what it
// promises: every row of the 58 series scored, NAB-format results per
// file, the three profile scores in scores.json (each within NAB's scale),
// the published scoreboard beside them, and the plot.
func TestEvalNAB(t *testing.T) {
	corpus := nabCorpus(t)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "eval", "nab", "--corpus="+corpus, "--out="+out, "--detectors=zscore")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var scores map[string]float64
	b, err := os.ReadFile(filepath.Join(out, "scores.json"))
	if err != nil || json.Unmarshal(b, &scores) != nil || len(scores) != 3 {
		t.Fatalf("scores.json: %s (%v)", b, err)
	}
	for _, p := range []string{"standard", "reward_low_FP_rate", "reward_low_FN_rate"} {
		if s, ok := scores[p]; !ok || s < -200 || s > 100 {
			t.Errorf("%s score %v", p, s)
		}
	}
	for _, want := range []string{"58 series", "numenta", "ARTime", "beamlens zscore"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout)
		}
	}
	results, _ := filepath.Glob(filepath.Join(out, "results", "*", "beamlens_*.csv"))
	if len(results) != 58 {
		t.Errorf("%d result files, want 58", len(results))
	}
	if svg, err := os.ReadFile(filepath.Join(out, "scores.svg")); err != nil || !strings.Contains(string(svg), "beamlens zscore") {
		t.Errorf("scores.svg: %v", err)
	}
}

// TestEvalNABRange: with --nab-range every series runs through its own
// detection, told its range and rest period as NAB's runner tells every
// detector; cad then scores as contextOSE's published numbers do (the
// detector alone is checked against them in models/detectors).
func TestEvalNABRange(t *testing.T) {
	corpus := nabCorpus(t)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "eval", "nab", "--corpus="+corpus, "--out="+out, "--detectors=cad", "--nab-range")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var scores, published map[string]float64
	b, _ := os.ReadFile(filepath.Join(out, "scores.json"))
	if err := json.Unmarshal(b, &scores); err != nil {
		t.Fatalf("scores.json: %s (%v)", b, err)
	}
	var table map[string]map[string]float64
	b, _ = os.ReadFile(filepath.Join(corpus, "results", "final_results.json"))
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	published = table["contextOSE"]
	for p, want := range published {
		if got := scores[p]; got < want-1.5 || got > want+1.5 {
			t.Errorf("%s: %.2f, contextOSE published %.2f", p, got, want)
		}
	}
	if !strings.Contains(stdout, "beamlens cad (NAB range)") {
		t.Errorf("the report does not say the range was given:\n%s", stdout)
	}
}

// nabCorpus finds the NAB corpus or skips the test.
func nabCorpus(t *testing.T) string {
	dir, ok := nab.FindCorpus()
	if !ok {
		t.Skip("the NAB corpus is not here: set NAB_DIR or put it at ../shared/nab beside the repository")
	}
	return dir
}
