package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/pipelines/anomaly"
	"github.com/beamlens/beamlens/runners"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/transforms/endpoint"
	"github.com/beamlens/beamlens/transforms/modelscore"
	"github.com/beamlens/beamlens/transforms/windowstats"
)

// anomalyFlags are the anomaly pipeline's command-line options.
type anomalyFlags struct {
	ioFlags
	records         recordFlags
	detectors       string
	metric          string
	threshold       float64
	window          string
	allowedLateness time.Duration
	reorder         time.Duration
	stateTTL        time.Duration
	scoreThreshold  float64
	model           modelFlags
	fs              *flag.FlagSet
}

func (f *anomalyFlags) bind(fs *flag.FlagSet) {
	f.ioFlags.bind(fs, "where readings come from", "anomalies.jsonl, window_stats.jsonl, deadletters.jsonl")
	f.bindStreamTopics(fs, map[string]string{anomaly.WindowStatsStream: "sensor_window_stats"})
	f.fs = fs
	fs.StringVar(&f.detectors, "detectors", "ensemble", "comma-separated detectors ("+strings.Join(detectors.Names(), ", ")+
		"), or a YAML/JSON spec FILE (.yaml, .yml, .json); the default ensemble is likelihood+stuck, either alarm counting; threshold is the article's metric > --threshold; model is a model you bring (--model)")
	f.model.bind(fs)
	fs.StringVar(&f.metric, "metric", "temperature", "the metrics the detectors score, comma-separated NAMEs from --metrics (readings carrying none of them are dead letters); unset, every name --metrics lists when it lists them without all, else temperature. With several, univariate detectors score each on its own, multivariate ones (mahalanobis, hst, pca) their vector, and the default detectors become ensemble,pca")
	fs.Float64Var(&f.threshold, "threshold", detectors.DefaultThreshold, "limit of the threshold detector: a reading is an anomaly when metric > threshold")
	fs.Float64Var(&f.scoreThreshold, "score-threshold", detectors.StreamScoreThreshold, "learned detectors flag a score above this (z-like: standard deviations from normal); a spec file's score_threshold wins")
	fs.DurationVar(&f.allowedLateness, "allowed-lateness", 5*time.Minute, "streaming input: how far behind the newest reading of its device already scored a reading may arrive and still be scored (out of order); later ones become dead letters")
	fs.DurationVar(&f.reorder, "reorder", 0, "streaming input: hold readings until the watermark passes the end of their pane of this length, so that readings arriving out of order across bundles are scored in event-time order (e.g. 1s; default 0: score each bundle's readings as they arrive, sorted within the bundle)")
	fs.DurationVar(&f.stateTTL, "device-state-ttl", detect.DefaultStateTTL, "streaming input: drop what the detectors learned about a device after it has been silent this long in event time, so a stream of ever-new device ids keeps bounded state (it warms up again when it returns; negative: keep forever)")
	f.records.bindReadings(fs)
	fs.StringVar(&f.window, "window", "5m", "event-time windows of the per-device statistics (window_stats.jsonl): SIZE for fixed windows, SIZE/PERIOD for sliding ones, e.g. 30m/5m, or off for no statistics (anomalies and dead letters only)")
}

// config validates the flags and turns them into the pipeline's Config.
func (f *anomalyFlags) config() (anomaly.Config, error) {
	names, learned, err := f.detectorSpec()
	if err != nil {
		return anomaly.Config{}, err
	}
	if f.allowedLateness < 0 {
		return anomaly.Config{}, usagef("--allowed-lateness is negative")
	}
	if f.stateTTL == 0 {
		return anomaly.Config{}, usagef("--device-state-ttl must not be 0 (negative keeps state forever)")
	}
	if f.reorder < 0 || (f.reorder > 0 && f.reorder < time.Millisecond) {
		return anomaly.Config{}, usagef("--reorder must be 0 or at least 1ms")
	}
	noStats := f.window == "off"
	var size, period time.Duration
	if !noStats {
		if size, period, err = windowstats.ParseWindow(f.window); err != nil {
			return anomaly.Config{}, usagef("--window: %v", err)
		}
	}
	scored, err := f.scoredMetrics()
	if err != nil {
		return anomaly.Config{}, err
	}
	if len(scored) > 1 && !f.isSet("detectors") {
		names = []string{"ensemble", "pca"}
	}
	required := scored
	var model modelscore.Options
	if slices.Contains(names, detectors.Model) {
		features, err := modelFeatures(f.records.metrics)
		if err != nil {
			return anomaly.Config{}, err
		}
		if model, err = f.model.options(f.fs, features); err != nil {
			return anomaly.Config{}, err
		}
		// A reading the model cannot take is a dead letter at decoding,
		// with the metric it lacks; --metric matters only to the others.
		required = features
		if len(names) > 1 {
			required = slices.Clone(scored)
			for _, m := range features {
				if !slices.Contains(required, m) {
					required = append(required, m)
				}
			}
		}
	}
	dec, err := f.records.decodeOptions(f.maxFuture, required...)
	if err != nil {
		return anomaly.Config{}, err
	}
	dd, err := f.records.dedupOptions(f.runner.Runner)
	if err != nil {
		return anomaly.Config{}, err
	}
	in, out, err := f.endpoints()
	if err != nil {
		return anomaly.Config{}, err
	}
	out.Kafka.KeyField = "device_id" // a device's records stay in order on one partition
	out.PubSub.OrderingKeyField = "device_id"
	f.routeStreams(in, &out, anomaly.AnomaliesStream, anomaly.DeadLettersStream)
	return anomaly.Config{
		Input:  in,
		Output: out,
		Decode: dec,
		Dedup:  dd,
		Detect: detect.Options{Detectors: names, Learned: learned, Metric: scored[0], Metrics: metricsList(scored), Threshold: new(learned.Threshold),
			Streaming: !in.Bounded(), AllowedLateness: f.allowedLateness, Pane: f.reorder,
			StateTTL: f.stateTTL},
		Model:         model,
		Window:        windowstats.Options{Size: size, Period: period},
		NoWindowStats: noStats,
	}, nil
}

// scoredMetrics is the list of metrics the detectors score: --metric when
// given, else every name --metrics maps when it lists them without all
// (a vector detector needs the same metrics on every reading, which all
// cannot promise), else --metric's default, temperature.
func (f *anomalyFlags) scoredMetrics() ([]string, error) {
	if !f.isSet("metric") {
		mapped, all, err := events.ParseMetrics(f.records.metrics)
		if err != nil {
			return nil, usagef("--metrics: %v", err)
		}
		if !all && len(mapped) > 0 {
			var names []string
			for _, m := range mapped {
				if !slices.Contains(names, m.Name) {
					names = append(names, m.Name)
				}
			}
			return names, nil
		}
	}
	var names []string
	for _, m := range strings.Split(f.metric, ",") {
		m = strings.TrimSpace(m)
		if m == "" {
			return nil, usagef("--metric %q: a metric name is empty", f.metric)
		}
		if slices.Contains(names, m) {
			return nil, usagef("--metric %q: %s is named twice", f.metric, m)
		}
		names = append(names, m)
	}
	return names, nil
}

// metricsList is detect.Options.Metrics for the scored metrics: nil for
// one, so a lone threshold keeps the fused stage's fast path.
func metricsList(scored []string) []string {
	if len(scored) < 2 {
		return nil
	}
	return scored
}

// isSet reports whether the flag was given on the command line. Flags
// filled in by code, with no FlagSet, all count as given.
func (f *anomalyFlags) isSet(name string) bool {
	if f.fs == nil {
		return true
	}
	set := false
	f.fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// detectorSpec reads --detectors: a spec file or a comma-separated list.
// A file's threshold, when it sets one, wins over --threshold.
func (f *anomalyFlags) detectorSpec() ([]string, detectors.Config, error) {
	if detectors.IsSpecFile(f.detectors) {
		spec, err := detectors.LoadSpec(f.detectors)
		if err != nil {
			return nil, detectors.Config{}, usagef("--detectors: %v", err)
		}
		if spec.ScoreThreshold == 0 {
			spec.ScoreThreshold = f.scoreThreshold
		}
		names, cfg, err := spec.Resolve(f.threshold)
		if err != nil {
			return nil, detectors.Config{}, usagef("--detectors: %v", err)
		}
		f.model.spec = &spec
		return names, cfg, nil
	}
	names, err := detectors.ParseSpec(f.detectors)
	if err != nil {
		return nil, detectors.Config{}, usagef("--detectors: %v", err)
	}
	cfg := detectors.Config{Threshold: f.threshold, ScoreThreshold: f.scoreThreshold}
	if names[0] == detectors.Model {
		return names, cfg, nil
	}
	if _, err := detectors.New(names[0], cfg); err != nil {
		return nil, detectors.Config{}, usagef("%v", err)
	}
	return names, cfg, nil
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
	// The model first: a wrong model is the user's to fix before anything
	// (an output directory) is made.
	if err := preflightModel(ctx, cfg); err != nil {
		return err
	}
	if err := preflight(ctx, cfg.Input, cfg.Output, f.runner, f.overwrite); err != nil {
		return err
	}
	f.runner.JobLabel = "anomalies"
	if dir, err := spillDir(cfg, f.runner); err != nil {
		return err
	} else if dir != "" {
		defer os.RemoveAll(dir)
		cfg.SpillDir = dir
	}
	err = runWithMetrics(ctx, f.metricsAddr, func(s beam.Scope) { anomaly.Build(s, cfg) }, f.runner, stderr)
	removeStoppedLeftovers(cfg.Output, err)
	return err
}

// spillDir makes a temporary directory where a file run's learned
// detectors keep their batches (anomaly.Config.SpillDir), when the runner's
// workers run in this process and so see it: prism, which would otherwise
// hold every batch in memory, and the direct runner. Flink shuffles
// through its own managed memory and disk, and its workers may be
// elsewhere. "" when not wanted.
func spillDir(cfg anomaly.Config, ro runners.Options) (string, error) {
	if cfg.Input.Kind != endpoint.File {
		return "", nil
	}
	switch cmp.Or(ro.Runner, runners.Default) {
	case "prism", "direct":
	default:
		return "", nil
	}
	dir, err := os.MkdirTemp("", "beamlens-spill-")
	if err != nil {
		return "", fmt.Errorf("a directory for the detectors' batches: %w", err)
	}
	return dir, nil
}
