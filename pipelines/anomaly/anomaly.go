package anomaly

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/pipelines/endpoint"
	"github.com/beamlens/beamlens/transforms/deadletter"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/dedup"
	"github.com/beamlens/beamlens/transforms/detect"
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
	// Dedup, when its Key is set, drops redelivered copies of readings
	// before detection and window statistics. Default off.
	Dedup  dedup.Options
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

// Build adds the anomaly pipeline to s: input -> decode [-> dedup] ->
// detect -> anomalies, and the same readings -> windowed per-device
// statistics -> monitoring.
func Build(s beam.Scope, cfg Config) Result {
	s = s.Scope("anomaly")
	raws := endpoint.Read(s, cfg.Input)
	readings, decodeDead := decode.Readings(s, raws, cfg.Decode)
	if cfg.Dedup.Key != "" {
		readings = dedup.Readings(s, readings, cfg.Dedup)
	}
	anomalies, lateDead := detect.Detect(s, readings, cfg.Detect)
	dead := deadletter.Flatten(s, decodeDead, lateDead)

	endpoint.Write(s, cfg.Output, AnomaliesStream, jsonl.Format[events.Anomaly](s, anomalies))
	endpoint.Write(s, cfg.Output, DeadLettersStream, jsonl.Format[events.DeadLetter](s, dead))
	var stats beam.PCollection
	if !cfg.NoWindowStats {
		stats = windowstats.PerKey(s, readings, cfg.Window)
		endpoint.Write(s, cfg.Output, WindowStatsStream, jsonl.Format[events.WindowStats](s, stats))
	}
	return Result{Anomalies: anomalies, WindowStats: stats, DeadLetters: dead}
}
