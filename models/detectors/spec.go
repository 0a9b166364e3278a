package detectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Spec is a detector configuration file (--detectors=FILE), YAML or JSON:
//
//	detectors: [ensemble]       # what runs; default: the default ensemble
//	members: [likelihood, stuck]
//	combine: max                # max | vote | mean
//	score_threshold: 4.5
//	window: 100
//	warm_up: 30
//	model: iforest.onnx         # with detectors: [model, ...]
//	model_threshold: -0.05
//
// Every field is optional and defaults as in Config; unknown fields are an
// error, so a typo never silently falls back to a default.
type Spec struct {
	// Detectors names the detectors to run. Default ["ensemble"].
	Detectors []string `json:"detectors" yaml:"detectors"`
	// Threshold is the threshold detector's limit. Default: --threshold.
	Threshold      *float64 `json:"threshold" yaml:"threshold"`
	ScoreThreshold float64  `json:"score_threshold" yaml:"score_threshold"`
	Window         int      `json:"window" yaml:"window"`
	WarmUp         int      `json:"warm_up" yaml:"warm_up"`
	Alpha          float64  `json:"alpha" yaml:"alpha"`
	Quantile       float64  `json:"quantile" yaml:"quantile"`
	QuantileWindow int      `json:"quantile_window" yaml:"quantile_window"`
	Trees          int      `json:"trees" yaml:"trees"`
	TreeWindow     int      `json:"tree_window" yaml:"tree_window"`
	Depth          int      `json:"depth" yaml:"depth"`
	Seed           uint64   `json:"seed" yaml:"seed"`
	Members        []string `json:"members" yaml:"members"`
	// Combine is the ensemble's combiner: max, vote or mean. Default max.
	Combine string `json:"combine" yaml:"combine"`
	// RangePoints, Cooldown and MaxContexts shape cad (see Config).
	RangePoints int `json:"range_points" yaml:"range_points"`
	// LongWindow shapes likelihood (see Config).
	LongWindow  int `json:"long_window" yaml:"long_window"`
	Cooldown    int `json:"cooldown" yaml:"cooldown"`
	MaxContexts int `json:"max_contexts" yaml:"max_contexts"`
	// Range is cad's value range, [low, high], when known in advance.
	Range []float64 `json:"range" yaml:"range"`
	// Model is the model detector's model (--model): FILE.onnx,
	// http://HOST:PORT/v2/models/NAME or mlflow+http://HOST:PORT/invocations;
	// a relative file path is relative to the spec file. --model wins.
	Model string `json:"model" yaml:"model"`
	// ModelThreshold, when set, judges the model's score output instead of
	// its label (--model-threshold); ModelScoreAbove flags scores above it
	// (PyOD) rather than below (scikit-learn). ModelOutlierLabel is the
	// label meaning outlier: -1 (scikit-learn, default) or 1 (PyOD).
	ModelThreshold    *float64 `json:"model_threshold" yaml:"model_threshold"`
	ModelScoreAbove   bool     `json:"model_score_above" yaml:"model_score_above"`
	ModelOutlierLabel *int64   `json:"model_outlier_label" yaml:"model_outlier_label"`
}

// IsSpecFile reports whether a --detectors value names a spec file rather
// than a comma-separated list of detectors.
func IsSpecFile(value string) bool {
	switch strings.ToLower(filepath.Ext(value)) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// LoadSpec reads and checks a spec file; the extension picks the format.
func LoadSpec(path string) (Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, err
	}
	s, err := DecodeSpec(data, strings.ToLower(filepath.Ext(path)) == ".json")
	if err != nil {
		return Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	if s.Model != "" && !strings.Contains(s.Model, "://") && !filepath.IsAbs(s.Model) {
		s.Model = filepath.Join(filepath.Dir(path), s.Model)
	}
	return s, nil
}

// DecodeSpec decodes and checks a spec: JSON when isJSON, else YAML.
// Unknown fields are an error, so a typo never silently means the default.
func DecodeSpec(data []byte, isJSON bool) (Spec, error) {
	var s Spec
	var err error
	if isJSON {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(&s)
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		err = dec.Decode(&s)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return Spec{}, err
	}
	if _, _, err := s.Resolve(DefaultThreshold); err != nil {
		return Spec{}, err
	}
	return s, nil
}

// Resolve returns the detector names and the Config the spec describes;
// threshold is the limit used when the spec sets none.
func (s Spec) Resolve(threshold float64) ([]string, Config, error) {
	names := s.Detectors
	if len(names) == 0 {
		names = []string{"ensemble"}
	}
	names, err := ParseSpec(strings.Join(names, ","))
	if err != nil {
		return nil, Config{}, err
	}
	cfg := Config{
		Threshold: threshold, ScoreThreshold: s.ScoreThreshold, Window: s.Window, WarmUp: s.WarmUp,
		Alpha: s.Alpha, Quantile: s.Quantile, QuantileWindow: s.QuantileWindow, Trees: s.Trees,
		TreeWindow: s.TreeWindow, Depth: s.Depth, Seed: s.Seed, Members: s.Members,
		RangePoints: s.RangePoints, Cooldown: s.Cooldown, MaxContexts: s.MaxContexts, LongWindow: s.LongWindow,
	}
	switch len(s.Range) {
	case 0:
	case 2:
		cfg.Range = [2]float64{s.Range[0], s.Range[1]}
	default:
		return nil, Config{}, fmt.Errorf("range has %d values, want [low, high]", len(s.Range))
	}
	if s.Threshold != nil {
		cfg.Threshold = *s.Threshold
	}
	switch s.Combine {
	case "", "max":
		cfg.Combine = CombineMax
	case "vote":
		cfg.Combine = CombineVote
	case "mean":
		cfg.Combine = CombineMean
	default:
		return nil, Config{}, fmt.Errorf("combine %q is not vote, max or mean", s.Combine)
	}
	for _, n := range names {
		if n == Model {
			continue
		}
		if _, err := New(n, cfg); err != nil {
			return nil, Config{}, err
		}
	}
	return names, cfg, nil
}
