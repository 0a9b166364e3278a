//go:build cgo

package inference

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/beamlens/beamlens/internal/pyenvtest"
)

// iforestFixture trains scripts/models/iforest.py's IsolationForest in
// BEAMLENS_PYENV's venv (scripts/pyenv.sh) and returns its iforest.onnx,
// as skl2onnx exported it.
func iforestFixture(t *testing.T) string {
	t.Helper()
	venv := pyenvtest.Venv(t)
	dir := t.TempDir()
	out, err := exec.Command(filepath.Join(venv, "bin", "python"), "../../scripts/models/iforest.py", dir, "--readings=10", "--devices=1").CombinedOutput()
	if err != nil {
		t.Fatalf("iforest.py: %v\n%s", err, out)
	}
	return filepath.Join(dir, "iforest.onnx")
}

// TestIntegrationModelFusedForest: the IsolationForest rewritten into one
// tree ensemble scores generated rows as the graph skl2onnx exported does
// (within 1e-5) and flags the same rows.
func TestIntegrationModelFusedForest(t *testing.T) {
	path := iforestFixture(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fused, err := fuseForest(data)
	if err != nil {
		t.Fatalf("the IsolationForest fixture was not rewritten: %v", err)
	}
	before, _ := parseGraph(data)
	after, err := parseGraph(fused)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d nodes as exported, %d rewritten", len(before.Nodes), len(after.Nodes))
	if len(after.Nodes) > 20 {
		t.Errorf("the rewritten forest has %d nodes", len(after.Nodes))
	}

	t.Setenv(AsExportedEnv, "1")
	exported, err := Open(path, Options{Width: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(AsExportedEnv, "")
	rewritten, err := Open(path, Options{Width: 3})
	if err != nil {
		t.Fatal(err)
	}
	if exported == rewritten {
		t.Fatal("both opens share one session")
	}

	// Rows like the training stream's, and rows anywhere in a wide box, so
	// that every tree's leaves are reached.
	rng := rand.New(rand.NewPCG(22, 1))
	const n = 20000
	x := make([]float32, 0, 3*n)
	for i := range n {
		c := 10 + rng.NormFloat64()
		row := []float64{c, 2*c + rng.NormFloat64()*0.5, 0.3*c + rng.NormFloat64()*0.2}
		if i%2 == 1 {
			row = []float64{rng.Float64()*40 - 10, rng.Float64()*80 - 20, rng.Float64()*20 - 5}
		}
		for _, v := range row {
			x = append(x, float32(v))
		}
	}
	want, err := exported.Predict(context.Background(), x, n)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rewritten.Predict(context.Background(), x, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Scores) != n || len(want.Scores) != n || len(got.Labels) != n || len(want.Labels) != n {
		t.Fatalf("scores %d and %d, labels %d and %d for %d rows", len(got.Scores), len(want.Scores), len(got.Labels), len(want.Labels), n)
	}
	worst, flagged, differ := 0.0, 0, 0
	for i := range n {
		d := math.Abs(got.Scores[i] - want.Scores[i])
		worst = max(worst, d)
		if d > 1e-5 {
			differ++
			if differ <= 5 {
				t.Errorf("row %d %v: score %v rewritten, %v as exported", i, x[3*i:3*i+3], got.Scores[i], want.Scores[i])
			}
		}
		if got.Labels[i] != want.Labels[i] {
			t.Errorf("row %d %v: label %d rewritten, %d as exported (scores %v, %v)", i, x[3*i:3*i+3], got.Labels[i], want.Labels[i], got.Scores[i], want.Scores[i])
		}
		if want.Labels[i] == -1 {
			flagged++
		}
	}
	t.Logf("%d rows, %d flagged, largest score difference %.3g", n, flagged, worst)
	if differ > 0 {
		t.Errorf("%d of %d scores differ by more than 1e-5", differ, n)
	}
	if flagged == 0 || flagged == n {
		t.Errorf("%d of %d rows flagged: the rows test nothing", flagged, n)
	}
}
