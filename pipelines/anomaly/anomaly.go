package anomaly

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/pipelines/endpoint"
	"github.com/beamlens/beamlens/transforms/deadletter"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/transforms/fused"
	"github.com/beamlens/beamlens/transforms/jsonl"
	"github.com/beamlens/beamlens/transforms/windowstats"
)

// Stream names, which are also the output file names (without .jsonl).
const (
	AnomaliesStream   = "anomalies"
	WindowStatsStream = "window_stats"
	DeadLettersStream = "deadletters"
)

// Config is everything the anomaly pipeline needs.
type Config struct {
	Input  endpoint.URI
	Output endpoint.URI
	Decode decode.Options
	Detect detect.Options
	// Window shapes the monitoring stream of per-device window statistics.
	Window windowstats.Options
	// NoWindowStats leaves the monitoring stream out: anomalies and dead
	// letters only, as in the article's job. Default false.
	NoWindowStats bool
}

// Result holds the pipeline's collections, for tests and for callers that
// add sinks of their own.
type Result struct {
	// Anomalies is PCollection<events.Anomaly>.
	Anomalies beam.PCollection
	// WindowStats is PCollection<events.WindowStats>, in event-time
	// windows; invalid when Config.NoWindowStats is set.
	WindowStats beam.PCollection
	// DeadLetters is PCollection<events.DeadLetter>.
	DeadLetters beam.PCollection
}

// Build adds the anomaly pipeline to s (docs/pipeline-shape.md).
//
// Files go through the fused stage (transforms/fused) in byte ranges:
// decode, stateless detectors and window-statistics partials in one DoFn per
// range; partials merge in windowstats.MergePartials and the learned
// detectors judge per-device batches (detect.ScoreBatches). Message sources
// (Kafka, Pub/Sub) decode per record and compute window statistics in
// event-time windows.
func Build(s beam.Scope, cfg Config) Result {
	s = s.Scope("anomaly")
	if cfg.Input.Kind == endpoint.File {
		return buildFiles(s, cfg)
	}
	raws := endpoint.Read(s, cfg.Input)
	readings, decodeDead := decode.Readings(s, raws, cfg.Decode)
	anomalies, lateDead := detect.Detect(s, readings, cfg.Detect)
	dead := deadletter.Flatten(s, decodeDead, lateDead)
	var stats beam.PCollection
	if !cfg.NoWindowStats {
		stats = windowstats.PerKey(s, readings, cfg.Window)
	}
	return write(s, cfg, Result{Anomalies: anomalies, WindowStats: stats, DeadLetters: dead})
}

// buildFiles is Build for a bounded file input.
func buildFiles(s beam.Scope, cfg Config) Result {
	stateless, learned := detect.SplitStateless(cfg.Detect)
	stage := fused.Files(s, cfg.Input.Path, fused.Options{
		MaxFuture: cfg.Decode.MaxFuture,
		Detect:    &cfg.Detect,
		Partials:  !cfg.NoWindowStats,
		Window:    cfg.Window,
		Batches:   len(learned.Detectors) > 0,
	})
	anomalies, dead := stage.Anomalies, stage.DeadLetters
	if len(learned.Detectors) > 0 {
		learnedAnomalies, lateDead := detect.ScoreBatches(s, stage.Batches, learned)
		if len(stateless) > 0 {
			anomalies = beam.Flatten(s, anomalies, learnedAnomalies)
		} else {
			anomalies = learnedAnomalies
		}
		dead = deadletter.Flatten(s, dead, lateDead)
	}
	var stats beam.PCollection
	if !cfg.NoWindowStats {
		stats = windowstats.MergePartials(s, stage.Partials, cfg.Window)
	}
	return write(s, cfg, Result{Anomalies: anomalies, WindowStats: stats, DeadLetters: dead})
}

// write sends the result's streams to the output and returns it.
func write(s beam.Scope, cfg Config, r Result) Result {
	endpoint.Write(s, cfg.Output, AnomaliesStream, jsonl.Format[events.Anomaly](s, r.Anomalies))
	endpoint.Write(s, cfg.Output, DeadLettersStream, jsonl.Format[events.DeadLetter](s, r.DeadLetters))
	if !cfg.NoWindowStats {
		endpoint.Write(s, cfg.Output, WindowStatsStream, jsonl.Format[events.WindowStats](s, r.WindowStats))
	}
	return r
}
