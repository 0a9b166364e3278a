package detectors

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func writeSpec(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadSpecYAMLAndJSONAgree(t *testing.T) {
	y := writeSpec(t, "d.yaml", "detectors: [ensemble, zscore]\nmembers: [robust_zscore, ewma]\ncombine: max\nscore_threshold: 4\nwarm_up: 50\nthreshold: 90\n")
	j := writeSpec(t, "d.json", `{"detectors":["ensemble","zscore"],"members":["robust_zscore","ewma"],"combine":"max","score_threshold":4,"warm_up":50,"threshold":90}`)
	var got [2]Config
	for i, p := range []string{y, j} {
		s, err := LoadSpec(p)
		if err != nil {
			t.Fatal(err)
		}
		names, cfg, err := s.Resolve(DefaultThreshold)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(names, []string{"ensemble", "zscore"}) {
			t.Fatalf("%s: names %v", p, names)
		}
		got[i] = cfg
	}
	want := Config{Threshold: 90, ScoreThreshold: 4, WarmUp: 50, Members: []string{"robust_zscore", "ewma"}, Combine: CombineMax}
	for i := range got {
		if !reflect.DeepEqual(got[i], want) {
			t.Fatalf("config %d = %+v, want %+v", i, got[i], want)
		}
	}
}

func TestEmptySpecIsTheDefaultEnsemble(t *testing.T) {
	s, err := LoadSpec(writeSpec(t, "empty.yml", "# nothing\n"))
	if err != nil {
		t.Fatal(err)
	}
	names, cfg, err := s.Resolve(DefaultThreshold)
	if err != nil || !reflect.DeepEqual(names, []string{"ensemble"}) || cfg.Threshold != DefaultThreshold {
		t.Fatalf("names %v cfg %+v err %v", names, cfg, err)
	}
}

func TestLoadSpecRejectsMistakes(t *testing.T) {
	for name, body := range map[string]string{
		"typo.yaml":    "detectorz: [zscore]\n",
		"typo.json":    `{"window": 10, "windw": 3}`,
		"unknown.yaml": "detectors: [prophet]\n",
		"combine.yaml": "combine: median\n",
		"window.yaml":  "window: 2\n",
		"member.json":  `{"members": ["ensemble"]}`,
		"syntax.json":  `{"detectors": [}`,
	} {
		if _, err := LoadSpec(writeSpec(t, name, body)); err == nil {
			t.Errorf("%s: no error for %q", name, body)
		}
	}
	if _, err := LoadSpec(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestIsSpecFile(t *testing.T) {
	for v, want := range map[string]bool{"a.yaml": true, "x/B.YML": true, "d.json": true, "zscore,ewma": false, "ensemble": false} {
		if IsSpecFile(v) != want {
			t.Errorf("IsSpecFile(%q) = %v", v, !want)
		}
	}
}

// TestSpecModel: a spec names the model detector and its model; a relative
// model path is the spec file's neighbour, and New refuses to build it as
// an online detector.
func TestSpecModel(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "spec.yaml")
	if err := os.WriteFile(path, []byte("detectors: [model, threshold]\nmodel: iforest.onnx\nmodel_threshold: -0.05\nmodel_outlier_label: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "iforest.onnx"); s.Model != want {
		t.Errorf("Model = %q, want %q", s.Model, want)
	}
	if s.ModelThreshold == nil || *s.ModelThreshold != -0.05 || s.ModelOutlierLabel == nil || *s.ModelOutlierLabel != 1 {
		t.Errorf("model settings = %v, %v", s.ModelThreshold, s.ModelOutlierLabel)
	}
	names, _, err := s.Resolve(DefaultThreshold)
	if err != nil || !slices.Equal(names, []string{"model", "threshold"}) {
		t.Errorf("Resolve = %v, %v", names, err)
	}
	if _, err := New(Model, Config{}); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Errorf("New(model) = %v, want an error pointing at --model", err)
	}
}
