package main

import (
	"context"
	"flag"
	"slices"
	"strconv"
	"time"

	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/inference"
	"github.com/beamlens/beamlens/pipelines/anomaly"
	"github.com/beamlens/beamlens/transforms/modelscore"
)

// modelFlags are the model detector's options (--detectors=model).
type modelFlags struct {
	uri          string
	threshold    string
	scoreAbove   bool
	outlierLabel int64
	batch        int
	concurrency  int
	timeout      time.Duration
	giveUp       time.Duration
	tokenFile    string
	// spec holds the model settings of a --detectors spec file.
	spec *detectors.Spec
}

func (f *modelFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.uri, "model", "", "the model detector's model (--detectors=model, combinable with others): FILE.onnx (run in process by ONNX Runtime; its library from scripts/pyenv.sh or $"+inference.LibraryEnv+"), http://HOST:PORT/v2/models/NAME (a KServe v2 server: MLServer, KServe, Triton, Seldon) or mlflow+http://HOST:PORT/invocations (an MLflow scoring server). It is fed the --metrics, in that order, which must be listed by name; a bearer token comes from $"+inference.DefaultTokenEnv+" or --model-token-file")
	fs.StringVar(&f.threshold, "model-threshold", "", "judge the model's score output instead of its label: an outlier scores below this (scikit-learn's decision_function, boundary 0), or above it with --model-score-above (PyOD). Default: the label")
	fs.BoolVar(&f.scoreAbove, "model-score-above", false, "with --model-threshold: scores above the threshold are outliers (PyOD) rather than below (scikit-learn)")
	fs.Int64Var(&f.outlierLabel, "model-outlier-label", modelscore.DefaultOutlierLabel, "the label that means outlier: -1 (scikit-learn) or 1 (PyOD's 0/1 labels)")
	fs.IntVar(&f.batch, "model-batch", modelscore.DefaultBatchSize, "most readings per model call (readings are batched per device and bundle, never one call each)")
	fs.IntVar(&f.concurrency, "model-concurrency", 0, "model calls in flight per worker (default 4 for a server, 1 in process)")
	fs.DurationVar(&f.timeout, "model-timeout", 30*time.Second, "timeout of each request to a model server")
	fs.DurationVar(&f.giveUp, "model-give-up", 0, "how long a batch waits for a model server that is down before its readings become dead letters (default 0: wait for ever; the stream pauses)")
	fs.StringVar(&f.tokenFile, "model-token-file", "", "a file holding the model server's bearer token (else $"+inference.DefaultTokenEnv+" when set)")
}

// options turns the flags (and a spec file's model settings, which the
// flags override) into the model detector's options; features are the
// --metrics names, in order.
func (f *modelFlags) options(fs *flag.FlagSet, features []string) (modelscore.Options, error) {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	o := modelscore.Options{URI: f.uri, Metrics: features, ScoreAbove: f.scoreAbove,
		OutlierLabel: new(f.outlierLabel), BatchSize: f.batch,
		Concurrency: f.concurrency, Timeout: f.timeout, GiveUpAfter: f.giveUp, TokenFile: f.tokenFile}
	if sp := f.spec; sp != nil {
		if o.URI == "" {
			o.URI = sp.Model
		}
		if sp.ModelThreshold != nil && !set["model-threshold"] {
			o.Threshold = new(*sp.ModelThreshold)
		}
		if sp.ModelScoreAbove && !set["model-score-above"] {
			o.ScoreAbove = true
		}
		if sp.ModelOutlierLabel != nil && !set["model-outlier-label"] {
			o.OutlierLabel = new(*sp.ModelOutlierLabel)
		}
	}
	if f.threshold != "" {
		v, err := strconv.ParseFloat(f.threshold, 64)
		if err != nil {
			return o, usagef("--model-threshold %q is not a number", f.threshold)
		}
		o.Threshold = &v
	}
	if _, err := inference.ParseURI(o.URI); err != nil {
		return o, usagef("--detectors=model: %v", err)
	}
	if len(features) == 0 {
		return o, usagef("--detectors=model needs --metrics naming the model's input features in the order it was trained on (e.g. --metrics=current,pressure,vibration): 'all' has no order")
	}
	if f.batch < 1 || f.concurrency < 0 || f.timeout <= 0 || f.giveUp < 0 {
		return o, usagef("--model-batch and --model-timeout must be positive, --model-concurrency and --model-give-up not negative")
	}
	return o, nil
}

// modelFeatures returns the metric names of a --metrics spec, in order, one
// each (several paths may map to one name).
func modelFeatures(metrics string) ([]string, error) {
	mapped, _, err := events.ParseMetrics(metrics)
	if err != nil {
		return nil, usagef("--metrics: %v", err)
	}
	var names []string
	for _, m := range mapped {
		if !slices.Contains(names, m.Name) {
			names = append(names, m.Name)
		}
	}
	return names, nil
}

// modelCheckTimeout bounds the start-up probe of a model: loading a large
// ONNX file or a server's first answer take longer than a broker's.
var modelCheckTimeout = 30 * time.Second

// preflightModel opens the model as the workers will and scores one row,
// so that a missing or corrupt file, a model of another width or a server
// out of reach fails the command at start, not mid-stream.
func preflightModel(ctx context.Context, cfg anomaly.Config) error {
	if !slices.Contains(cfg.Detect.Detectors, detectors.Model) {
		return nil
	}
	m, err := modelscore.Open(cfg.Model)
	if err != nil {
		return preflightf("--model: %v", err)
	}
	defer m.Close()
	ctx, cancel := context.WithTimeout(ctx, modelCheckTimeout)
	defer cancel()
	if err := inference.Check(ctx, m); err != nil {
		return preflightf("--model %s: %v", cfg.Model.URI, err)
	}
	return nil
}
