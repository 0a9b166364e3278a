package detect

import (
	"cmp"
	"fmt"
	"time"

	"github.com/beamlens/beamlens/models/detectors"
)

// Options configures Detect. The zero value is the article's job: the
// threshold detector on temperature at 100.
type Options struct {
	// Detectors names the detectors to run. Default ["threshold"].
	Detectors []string
	// Learned tunes the learned detectors (score threshold, window,
	// warm-up, ensemble members ...). Its Threshold field is ignored: the
	// threshold detector's limit is Threshold below. Default: the detectors'
	// own defaults.
	Learned detectors.Config
	// Metric is the reading field scored. Default "temperature".
	Metric string
	// Metrics, when set, replaces Metric with a list of reading fields:
	// each univariate detector judges each listed metric on its own (an
	// anomaly names its metric), and each multivariate one (mahalanobis,
	// hst, pca) judges their vector (an anomaly names the metrics that
	// contributed most, comma-separated, e.g. "current,pressure"). A
	// reading missing a metric is judged normal for that metric by the
	// univariate detectors, and skipped whole (judged normal, nothing
	// learned) by the multivariate ones, which cannot learn a relation
	// from half of it. Names must be distinct and non-empty. Default: just
	// Metric.
	Metrics []string
	// Threshold is the threshold detector's limit. Default nil:
	// detectors.DefaultThreshold (100). A pointer so that 0 is a limit
	// like any other: new(0.0) scores against 0.
	Threshold *float64
	// Streaming scores learned detectors with keyed state and event-time
	// timers as the watermark advances, for unbounded inputs; otherwise
	// each device's readings are gathered and sorted once the input ends
	// (which also runs on the direct runner). Default false.
	Streaming bool
	// Pane, when set, makes the streaming scorer hold each device's
	// readings until the watermark passes the end of their pane of this
	// length, so they are scored in event-time order across bundles; an
	// alert then waits for the watermark. Default 0: each bundle's readings
	// are scored as they arrive (ordered within the bundle), the lowest
	// latency and cost.
	Pane time.Duration
	// AllowedLateness is how far behind the point up to which its device
	// was already scored a reading may arrive and still be scored (out of
	// order); a later one becomes a dead letter. Default 0: a reading the
	// watermark has passed is a dead letter.
	AllowedLateness time.Duration
	// StateTTL is how long, in event time, a device may stay silent before
	// the streaming scorer drops its state (its detectors then warm up
	// again when it returns); the state goes after between 15/16 of it and
	// all of it. It bounds the state of a stream whose device
	// ids keep changing. Default DefaultStateTTL; negative keeps state
	// forever.
	StateTTL time.Duration
	// EveryScore emits every judged reading, flagged or not, as an Anomaly
	// record whose Score says how unusual it was: for evaluating detectors
	// (beamlens eval nab), not for alerting. Default false.
	EveryScore bool
	// SpillDir, when set, makes the bounded scorer (ScoreBatches without
	// Streaming) keep batches in files under this directory rather than in
	// the runner's shuffle: each batch is sorted and appended to a file as
	// it arrives, and a device's batches are merged from there, a few KiB
	// of each in memory (see scoreSpilled). The batches must be in the
	// file layout (FileBatch), and every worker must see the directory
	// (prism and the direct runner, whose workers are this process). The
	// caller creates and removes it. Default "": batches go through the
	// shuffle and a device's readings are sorted in memory.
	SpillDir string
}

// DefaultStateTTL is a day: long enough for devices that report hourly or
// pause overnight to keep what their detectors learned.
const DefaultStateTTL = 24 * time.Hour

func (o Options) withDefaults() Options {
	if len(o.Detectors) == 0 {
		o.Detectors = []string{"threshold"}
	}
	o.Metric = cmp.Or(o.Metric, "temperature")
	o.StateTTL = cmp.Or(o.StateTTL, DefaultStateTTL)
	if o.Threshold == nil {
		o.Threshold = new(float64(detectors.DefaultThreshold))
	}
	return o
}

// metrics is the list of reading fields scored.
func (o Options) metrics() []string {
	if len(o.Metrics) > 0 {
		return o.Metrics
	}
	return []string{o.Metric}
}

func (o Options) validate() {
	seen := map[string]bool{}
	for _, m := range o.Metrics {
		if m == "" || seen[m] {
			panic(fmt.Sprintf("detect.Detect: Metrics %q: names must be distinct and non-empty", o.Metrics))
		}
		seen[m] = true
	}
	if o.Pane != 0 && o.Pane < time.Millisecond {
		panic(fmt.Sprintf("detect.Detect: Pane %s is not 0 nor at least a millisecond", o.Pane))
	}
	if o.AllowedLateness < 0 {
		panic(fmt.Sprintf("detect.Detect: AllowedLateness %s is negative", o.AllowedLateness))
	}
	if _, err := newScorer(o.Detectors, o.metrics(), o.config()); err != nil {
		panic(fmt.Sprintf("detect.Detect: %v", err))
	}
}

// config is the detectors.Config every detector is built from. It wants
// o.withDefaults().
func (o Options) config() detectors.Config {
	c := o.Learned
	c.Threshold = *o.Threshold
	return c
}

// stateless reports whether every detector judges a reading alone.
func (o Options) stateless() bool {
	for _, n := range o.Detectors {
		if n != "threshold" {
			return false
		}
	}
	return true
}
