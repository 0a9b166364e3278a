package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/pipelines/anomaly"
	"github.com/beamlens/beamlens/pipelines/endpoint"
	"github.com/beamlens/beamlens/runners"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/transforms/windowstats"
)

// anomalyFlags are the anomaly pipeline's command-line options.
type anomalyFlags struct {
	input, output string
	detectors     string
	metric        string
	threshold     float64
	maxFuture     time.Duration
	window        string
	runner        runners.Options
}

func (f *anomalyFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.input, "input", "", "where readings come from: a JSON Lines path or glob (required)")
	fs.StringVar(&f.output, "output", "", "where results go: a directory (anomalies.jsonl, window_stats.jsonl, deadletters.jsonl) or - for stdout (required)")
	fs.StringVar(&f.detectors, "detectors", "threshold", "comma-separated detectors: "+strings.Join(detectors.Known(), ", "))
	fs.StringVar(&f.metric, "metric", "temperature", "the reading field the detectors score")
	fs.Float64Var(&f.threshold, "threshold", detectors.DefaultThreshold, "limit of the threshold detector: a reading is an anomaly when metric > threshold")
	fs.StringVar(&f.window, "window", "5m", "event-time windows of the per-device statistics (window_stats.jsonl): SIZE for fixed windows, SIZE/PERIOD for sliding ones, e.g. 30m/5m")
	fs.DurationVar(&f.maxFuture, "max-future", 24*time.Hour, "reject readings timestamped further than this past the wall clock (negative: no limit)")
}

// config validates the flags and turns them into the pipeline's Config.
func (f *anomalyFlags) config() (anomaly.Config, error) {
	if f.input == "" || f.output == "" {
		return anomaly.Config{}, usagef("--input and --output are required")
	}
	in, err := endpoint.Parse(f.input)
	if err != nil {
		return anomaly.Config{}, usagef("--input: %v", err)
	}
	out, err := endpoint.Parse(f.output)
	if err != nil {
		return anomaly.Config{}, usagef("--output: %v", err)
	}
	if err := endpoint.CheckOutput(out); err != nil {
		return anomaly.Config{}, usagef("--output: %v", err)
	}
	names, err := detectors.ParseSpec(f.detectors)
	if err != nil {
		return anomaly.Config{}, usagef("--detectors: %v", err)
	}
	size, period, err := windowstats.ParseWindow(f.window)
	if err != nil {
		return anomaly.Config{}, usagef("--window: %v", err)
	}
	if f.metric == "" {
		return anomaly.Config{}, usagef("--metric is empty")
	}
	if err := f.runner.Validate(); err != nil {
		return anomaly.Config{}, usagef("%v", err)
	}
	if err := endpoint.CheckInput(in); err != nil {
		// The input names nothing readable: the user's mistake, but not a
		// malformed command line, so exit 1 with the reason.
		return anomaly.Config{}, fmt.Errorf("--input: %w", err)
	}
	return anomaly.Config{
		Input:  in,
		Output: out,
		Decode: decode.Options{MaxFuture: f.maxFuture},
		Detect: detect.Options{Detectors: names, Metric: f.metric, Threshold: f.threshold, ThresholdSet: true},
		Window: windowstats.Options{Size: size, Period: period},
	}, nil
}

func runAnomalies(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f anomalyFlags
	fs := newFlagSet("anomalies", "--input=URI --output=URI [flags]", stderr)
	f.bind(fs)
	runners.Bind(fs, &f.runner)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	p, s := beam.NewPipelineWithRoot()
	anomaly.Build(s, cfg)
	counts, err := execute(ctx, p, f.runner, stderr)
	if err != nil {
		return err
	}
	printCounters(stderr, counts)
	return nil
}
