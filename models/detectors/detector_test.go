package detectors

import (
	"slices"
	"strings"
	"testing"
)

func TestThreshold(t *testing.T) {
	d := Threshold{Limit: 100}
	for _, c := range []struct {
		v    float64
		want bool
	}{{99.9, false}, {100, false}, {100.0001, true}, {-1e9, false}, {250, true}} {
		got := d.Update(c.v)
		if got.Anomaly != c.want || got.Score != c.v || got.Threshold != 100 {
			t.Errorf("Update(%v) = %+v, want anomaly=%v", c.v, got, c.want)
		}
		if got.Anomaly && (len(got.Baseline) != 1 || got.Baseline[0].Name != "upper" || got.Baseline[0].Value != 100) {
			t.Errorf("Update(%v) baseline %v", c.v, got.Baseline)
		}
	}
	// The limit is used as given: zero included.
	d0, _ := New("threshold", Config{})
	if !d0.Update(0.5).Anomaly {
		t.Error("threshold 0 did not flag 0.5")
	}
}

func TestParseSpec(t *testing.T) {
	for _, c := range []struct {
		spec    string
		want    []string
		wantErr string
	}{
		{"threshold", []string{"threshold"}, ""},
		{" threshold ", []string{"threshold"}, ""},
		{"zscore,robust_zscore,iqr", []string{"zscore", "robust_zscore", "iqr"}, ""},
		{"ewma, mahalanobis ,hst,ensemble", []string{"ewma", "mahalanobis", "hst", "ensemble"}, ""},
		{"zscore,,iqr,", []string{"zscore", "iqr"}, ""},
		{"", nil, "no detector"},
		{" , ", nil, "no detector"},
		{"magic", nil, "unknown detector \"magic\""},
		{"zscore,ZScore", nil, "unknown detector"},
		{"threshold,threshold", nil, "listed twice"},
		{"rcf", nil, "known: cad, ensemble, ewma, hst, iqr, likelihood, mahalanobis, model, pca, robust_zscore, stuck, threshold, zscore"},
		{"model,threshold", []string{"model", "threshold"}, ""},
		{"model,model", nil, "listed twice"},
	} {
		got, err := ParseSpec(c.spec)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseSpec(%q) = %v, %v; want error containing %q", c.spec, got, err, c.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseSpec(%q) = %v, %v; want %v", c.spec, got, err, c.want)
		}
	}
}

// TestNewEveryKnownName: the transform validates specs with New(name,
// Config{}), so every known name must build from the zero Config.
func TestNewEveryKnownName(t *testing.T) {
	want := []string{"cad", "ensemble", "ewma", "hst", "iqr", "likelihood", "mahalanobis", "pca", "robust_zscore", "stuck", "threshold", "zscore"}
	if got := Known(); !slices.Equal(got, want) {
		t.Fatalf("Known() = %v, want %v", got, want)
	}
	for _, n := range Known() {
		d, err := New(n, Config{})
		if err != nil {
			t.Fatalf("New(%q, Config{}): %v", n, err)
		}
		if d.Name() != n {
			t.Errorf("New(%q).Name() = %q", n, d.Name())
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Window: 3}, "Window"},
		{Config{Window: 1 << 20}, "Window"},
		{Config{Alpha: 1.5}, "Alpha"},
		{Config{Alpha: -0.1}, "Alpha"},
		{Config{Quantile: 1}, "Quantile"},
		{Config{QuantileWindow: 1}, "QuantileWindow"},
		{Config{ScoreThreshold: -1}, "ScoreThreshold"},
		{Config{Trees: 1000}, "Trees"},
		{Config{Depth: 30}, "Depth"},
		{Config{TreeWindow: 8}, "TreeWindow"},
		{Config{Combine: 7}, "Combine"},
		{Config{Members: []string{"zscore", "ensemble"}}, "ensemble member \"ensemble\""},
		{Config{Members: []string{"zscore", "zscore"}}, "listed twice"},
		{Config{Members: []string{"nope"}}, "\"nope\""},
	} {
		if _, err := New("ensemble", c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(ensemble, %+v) error = %v, want one naming %s", c.cfg, err, c.want)
		}
	}
	if _, err := New("nope", Config{}); err == nil {
		t.Error("New accepted an unknown name")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "detectors.NewZScore: Window") {
			t.Errorf("NewZScore with a bad Config: recovered %v", r)
		}
	}()
	NewZScore(Config{Window: 2})
}

func TestNewVector(t *testing.T) {
	metrics := []string{"temperature", "pressure"}
	for _, n := range Known() {
		d, err := NewVector(n, metrics, Config{})
		if Multivariate(n) != (err == nil) {
			t.Errorf("NewVector(%q) = %v, %v; Multivariate says %v", n, d, err, Multivariate(n))
			continue
		}
		if err == nil && !slices.Equal(d.Metrics(), metrics) {
			t.Errorf("NewVector(%q).Metrics() = %v", n, d.Metrics())
		}
	}
	for _, bad := range [][]string{nil, {"a", "a"}, {"a", ""}} {
		if _, err := NewVector("mahalanobis", bad, Config{}); err == nil {
			t.Errorf("NewVector accepted metrics %q", bad)
		}
	}
	// The detector keeps its own copy of the names.
	names := []string{"a", "b"}
	d, _ := NewVector("hst", names, Config{})
	names[0] = "changed"
	if d.Metrics()[0] != "a" {
		t.Error("NewVector aliases the caller's metric slice")
	}
}

func TestVectorMisusePanics(t *testing.T) {
	for _, f := range []func(){
		func() { NewMahalanobis([]string{"a", "b"}, Config{}).Update(1) },
		func() { NewHalfSpaceTrees([]string{"a", "b"}, Config{}).Update(1) },
		func() { NewMahalanobis([]string{"a", "b"}, Config{}).UpdateVector([]float64{1}) },
		func() { NewHalfSpaceTrees([]string{"a", "b"}, Config{}).UpdateVector([]float64{1, 2, 3}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("misuse did not panic")
				}
			}()
			f()
		}()
	}
}

func TestParseCombiner(t *testing.T) {
	for _, c := range []Combiner{CombineVote, CombineMax, CombineMean} {
		got, err := ParseCombiner(" " + strings.ToUpper(c.String()))
		if err != nil || got != c {
			t.Errorf("ParseCombiner(%q) = %v, %v", c.String(), got, err)
		}
	}
	if _, err := ParseCombiner("median"); err == nil {
		t.Error("ParseCombiner accepted median")
	}
}
