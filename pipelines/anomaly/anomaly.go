package anomaly

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/deadletter"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/dedup"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/transforms/endpoint"
	"github.com/beamlens/beamlens/transforms/fused"
	"github.com/beamlens/beamlens/transforms/jsonl"
	"github.com/beamlens/beamlens/transforms/modelscore"
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
	// Model is the model detector's model and settings, used when
	// Detect.Detectors names "model" (detectors.Model): it scores the same
	// per-device batches as the learned detectors (transforms/modelscore).
	Model modelscore.Options
	// Window shapes the monitoring stream of per-device window statistics.
	Window windowstats.Options
	// NoWindowStats leaves the monitoring stream out: anomalies and dead
	// letters only, as in the article's job. Default false.
	NoWindowStats bool
	// SpillDir, for a file input, is a directory where the learned
	// detectors keep each device's batches instead of the runner's
	// shuffle (detect.Options.SpillDir): prism holds a shuffle's whole
	// input in memory, which made a 10M-reading run peak at 14 GB. Every
	// worker must see it; the caller creates and removes it. Default "":
	// the shuffle.
	SpillDir string
}

// Result holds the pipeline's collections, for tests and for callers that
// add sinks of their own.
type Result struct {
	// Anomalies is PCollection<events.Anomaly>.
	Anomalies beam.PCollection
	// WindowStats is PCollection<[]byte>: the monitoring stream as
	// written, JSON Lines, where an element holds one or more
	// events.WindowStats records, one per line (blocks of windows for a
	// stdout or Kafka output of a bounded input,
	// windowstats.MergePartialsJSON); invalid when
	// Config.NoWindowStats is set, and for a file output of a bounded
	// input, whose window statistics windowstats.WriteJSONL writes as it
	// merges them.
	WindowStats beam.PCollection
	// DeadLetters is PCollection<events.DeadLetter>.
	DeadLetters beam.PCollection
}

// Build adds the anomaly pipeline to s (docs/pipeline-shape.md).
//
// Every input goes through the fused stage (transforms/fused): decode and
// stateless detectors in one DoFn per chunk (a byte range of a file, a
// bundle of messages). Files pre-aggregate window statistics in the stage
// and merge the partials (windowstats.MergePartials); message sources ship
// per-device batches to windowstats.PerDevice, which judges lateness by each
// device's own event time. The learned detectors take the same per-device
// batches (detect.ScoreBatches). With dedup, readings travel alone from the
// decoder through dedup's keyed state (buildDedup).
func Build(s beam.Scope, cfg Config) Result {
	s = s.Scope("anomaly")
	if cfg.Dedup.Key != "" {
		return buildDedup(s, cfg)
	}
	if cfg.Input.Kind == endpoint.File {
		return buildFiles(s, cfg)
	}
	return buildMessages(s, cfg)
}

// buildDedup is Build with --dedup: dedup keeps per-device state, so
// readings leave the decoder one by one, pass dedup, and are batched per
// device again for the detectors and the streaming window statistics.
func buildDedup(s beam.Scope, cfg Config) Result {
	readings, dead := decode.Readings(s, endpoint.Read(s, cfg.Input), cfg.Decode)
	readings = dedup.Readings(s, readings, cfg.Dedup)
	det, model := cfg.detectors()
	var anomalies beam.PCollection
	if det != nil {
		var lateDead beam.PCollection
		anomalies, lateDead = detect.Detect(s, readings, *det)
		dead = deadletter.Flatten(s, dead, lateDead)
	}
	if model {
		modelAnomalies, modelDead := modelscore.Score(s, detect.BatchByDevice(s, readings), cfg.Model)
		anomalies = flattenValid(s, anomalies, modelAnomalies)
		dead = deadletter.Flatten(s, dead, modelDead)
	}
	var stats beam.PCollection
	switch {
	case cfg.NoWindowStats:
	case cfg.Input.Kind == endpoint.File:
		stats = jsonl.Format[events.WindowStats](s, windowstats.PerKey(s, readings, cfg.Window)) // bounded: nothing is late
	default:
		window := cfg.Window
		window.AllowedLateness = cfg.Detect.AllowedLateness
		var records, statsDead beam.PCollection
		records, statsDead = windowstats.PerDevice(s, detect.BatchByDevice(s, readings), window)
		stats = jsonl.Format[events.WindowStats](s, records)
		dead = deadletter.Flatten(s, dead, statsDead)
	}
	return write(s, cfg, Result{Anomalies: anomalies, WindowStats: stats, DeadLetters: dead})
}

// buildMessages is Build for a message source (Kafka, Pub/Sub): the source
// emits one element per poll or pull, the fused stage decodes each and
// ships per-device batches per bundle, which the learned detectors and the
// per-device window statistics take from keyed state.
func buildMessages(s beam.Scope, cfg Config) Result {
	det, model := cfg.detectors()
	learned := learnedOf(det)
	// A bounded read (--bounded) holds its watermark until it ends, as a
	// file does: its window statistics are merged at the end like a
	// file's, whatever order the source delivers (Pub/Sub: none).
	bounded := cfg.Input.Bounded()
	stage := fused.Messages(s, endpoint.ReadBatches(s, cfg.Input), fused.Options{
		Decode:   cfg.Decode,
		Detect:   det,
		Partials: bounded && !cfg.NoWindowStats,
		Window:   cfg.Window,
		Batches:  len(learned.Detectors) > 0 || model || (!bounded && !cfg.NoWindowStats),
	})
	anomalies, dead := withLearned(s, stage, det, model, cfg.Model)
	var stats beam.PCollection
	switch {
	case cfg.NoWindowStats:
	case bounded:
		stats = mergePartials(s, cfg, stage.Partials)
	default:
		window := cfg.Window
		window.AllowedLateness = cfg.Detect.AllowedLateness
		var records, statsDead beam.PCollection
		records, statsDead = windowstats.PerDevice(s, stage.Batches, window)
		stats = jsonl.Format[events.WindowStats](s, records)
		dead = deadletter.Flatten(s, dead, statsDead)
	}
	return write(s, cfg, Result{Anomalies: anomalies, WindowStats: stats, DeadLetters: dead})
}

// detectors returns the detectors but the model, nil when the model is
// the only one, and whether the model detector runs.
func (cfg Config) detectors() (det *detect.Options, model bool) {
	d := cfg.Detect
	d.Detectors = nil
	for _, n := range cfg.Detect.Detectors {
		if n == detectors.Model {
			model = true
		} else {
			d.Detectors = append(d.Detectors, n)
		}
	}
	if model && len(d.Detectors) == 0 {
		return nil, true
	}
	if !model {
		d = cfg.Detect
	}
	return &d, model
}

// learnedOf returns the detectors of det that run on per-device batches.
func learnedOf(det *detect.Options) detect.Options {
	if det == nil {
		return detect.Options{}
	}
	_, learned := detect.SplitStateless(*det)
	return learned
}

// withLearned adds the learned detectors' and the model's anomalies and
// dead letters to the fused stage's.
func withLearned(s beam.Scope, stage fused.Result, det *detect.Options, model bool, modelOpts modelscore.Options) (anomalies, dead beam.PCollection) {
	dead = stage.DeadLetters
	var stateless []string
	learned := learnedOf(det)
	if det != nil {
		stateless, _ = detect.SplitStateless(*det)
	}
	if len(stateless) > 0 {
		anomalies = stage.Anomalies
	}
	if len(learned.Detectors) > 0 {
		learnedAnomalies, lateDead := detect.ScoreBatches(s, stage.Batches, learned)
		anomalies = flattenValid(s, anomalies, learnedAnomalies)
		if learned.Streaming {
			// Bounded, the scorer sorts every reading and none is late:
			// its dead letters are an empty collection, and flattening
			// with it would cost the fused stage its fusion with the
			// dead-letter writer, so prism held every dead letter of
			// the file in memory (2M of a 10M-reading file: ~1.5 GB).
			dead = deadletter.Flatten(s, dead, lateDead)
		}
	}
	if model {
		modelAnomalies, modelDead := modelscore.Score(s, stage.Batches, modelOpts)
		anomalies = flattenValid(s, anomalies, modelAnomalies)
		dead = deadletter.Flatten(s, dead, modelDead)
	}
	if !anomalies.IsValid() {
		anomalies = stage.Anomalies
	}
	return anomalies, dead
}

// flattenValid merges b into a, a being invalid when nothing came before.
func flattenValid(s beam.Scope, a, b beam.PCollection) beam.PCollection {
	if !a.IsValid() {
		return b
	}
	return beam.Flatten(s, a, b)
}

// buildFiles is Build for a bounded file input.
func buildFiles(s beam.Scope, cfg Config) Result {
	det, model := cfg.detectors()
	if det != nil && !model {
		// Spilling needs batches in the file layout, which the model
		// scorer's do not use.
		det.SpillDir = cfg.SpillDir
	}
	cfg.Window.SpillDir = cfg.SpillDir // for the partials' merge
	learned := learnedOf(det)
	stage := fused.Files(s, cfg.Input.Path, fused.Options{
		Decode:   cfg.Decode,
		Detect:   det,
		Partials: !cfg.NoWindowStats,
		Window:   cfg.Window,
		Batches:  len(learned.Detectors) > 0 || model,
		// The learned detectors' batches leave the raw records behind
		// (the GroupByKey that sorts a device's readings holds them all);
		// the model scorer's dead letters need them.
		FileBatches: !model,
	})
	anomalies, dead := withLearned(s, stage, det, model, cfg.Model)
	if len(learned.Detectors) > 0 && !model {
		anomalies = fused.RestoreRaw(s, anomalies, cfg.Decode)
	}
	var stats beam.PCollection
	if !cfg.NoWindowStats {
		stats = mergePartials(s, cfg, stage.Partials)
	}
	return write(s, cfg, Result{Anomalies: anomalies, WindowStats: stats, DeadLetters: dead})
}

// mergePartials merges the fused stage's window-statistics partials into
// the monitoring stream: blocks of JSON Lines for a file, stdout or Kafka
// (one element per block of windows, not per window; kafkaio.Write makes
// each line a record), one record per element for Pub/Sub (one message
// each).
func mergePartials(s beam.Scope, cfg Config, partials beam.PCollection) beam.PCollection {
	if cfg.Output.Kind == endpoint.File {
		// Merged, formatted and written by the merging workers: the
		// records need not travel through the runner to a writer.
		windowstats.WriteJSONL(s, partials, cfg.Window, endpoint.FilePath(cfg.Output, WindowStatsStream))
		return beam.PCollection{}
	}
	if cfg.Output.Kind == endpoint.Stdout || cfg.Output.Kind == endpoint.Kafka {
		// The Kafka writer makes each line a record: ~400k window records
		// of 1M readings crossed prism one element each (~1.8 s of a 5 s
		// Kafka -> Kafka run, measured), and cross it as hundreds of blocks.
		return windowstats.MergePartialsJSON(s, partials, cfg.Window)
	}
	return jsonl.Format[events.WindowStats](s, windowstats.MergePartials(s, partials, cfg.Window))
}

// write sends the result's streams to the output and returns it.
func write(s beam.Scope, cfg Config, r Result) Result {
	endpoint.Write(s, cfg.Output, AnomaliesStream, jsonl.Format[events.Anomaly](s, r.Anomalies))
	endpoint.Write(s, cfg.Output, DeadLettersStream, jsonl.Format[events.DeadLetter](s, r.DeadLetters))
	if !cfg.NoWindowStats && r.WindowStats.IsValid() {
		endpoint.Write(s, cfg.Output, WindowStatsStream, r.WindowStats)
	}
	return r
}
