package main

import (
	"context"
	"flag"
	"io"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/pipelines/anomaly"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/transforms/windowstats"
)

// anomalyFlags are the anomaly pipeline's command-line options.
type anomalyFlags struct {
	ioFlags
	detectors string
	metric    string
	threshold float64
	window    string
}

func (f *anomalyFlags) bind(fs *flag.FlagSet) {
	f.ioFlags.bind(fs, "where readings come from", "anomalies.jsonl, window_stats.jsonl, deadletters.jsonl")
	fs.StringVar(&f.detectors, "detectors", "threshold", "comma-separated detectors: "+strings.Join(detectors.Known(), ", "))
	fs.StringVar(&f.metric, "metric", "temperature", "the reading field the detectors score")
	fs.Float64Var(&f.threshold, "threshold", detectors.DefaultThreshold, "limit of the threshold detector: a reading is an anomaly when metric > threshold")
	fs.StringVar(&f.window, "window", "5m", "event-time windows of the per-device statistics (window_stats.jsonl): SIZE for fixed windows, SIZE/PERIOD for sliding ones, e.g. 30m/5m")
}

// config validates the flags and turns them into the pipeline's Config.
func (f *anomalyFlags) config() (anomaly.Config, error) {
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
	in, out, err := f.endpoints()
	if err != nil {
		return anomaly.Config{}, err
	}
	for _, n := range names {
		if n != "threshold" && !in.Bounded() {
			return anomaly.Config{}, usagef("--detectors=%s: learned detectors judge each device's readings in event-time order and for now need an input that ends (a file, or kafka:// or pubsub:// with --bounded); the threshold detector streams", n)
		}
	}
	out.Kafka.KeyField = "device_id" // a device's records stay in order on one partition
	out.PubSub.OrderingKeyField = "device_id"
	f.routeStreams(in, &out, anomaly.AnomaliesStream, anomaly.DeadLettersStream,
		map[string]string{anomaly.WindowStatsStream: "sensor_window_stats"})
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	f.runner.JobLabel = "anomalies"
	_, err = buildAndRun(ctx, func(s beam.Scope) { anomaly.Build(s, cfg) }, f.runner, stderr, true)
	return err
}
