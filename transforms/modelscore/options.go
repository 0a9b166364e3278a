package modelscore

import (
	"cmp"
	"fmt"
	"math"
	"time"

	"github.com/beamlens/beamlens/models/inference"
)

// Options configures Score. URI and Metrics are required.
type Options struct {
	// URI is the model: FILE.onnx, http://HOST:PORT/v2/models/NAME (KServe
	// v2) or mlflow+http://HOST:PORT/invocations. Required.
	URI string
	// Metrics are the model's input features, in the order it was trained
	// on; a row is a reading's values of these. Required.
	Metrics []string
	// Threshold, when not nil, judges the model's score output instead of
	// its label: an outlier is a score below *Threshold (scikit-learn's
	// decision_function, whose boundary is 0), or above it with ScoreAbove
	// (PyOD's decision_function). Default nil: the label judges.
	Threshold  *float64
	ScoreAbove bool
	// OutlierLabel is the label that means outlier: 1 for PyOD's 0/1
	// labels. Default nil: DefaultOutlierLabel, scikit-learn's -1.
	OutlierLabel *int64
	// BatchSize is the most rows per model call. Default DefaultBatchSize.
	BatchSize int
	// Concurrency bounds the model calls in flight per worker. Default 4
	// for a server, 1 in process (ONNX Runtime is CPU-bound).
	Concurrency int
	// Timeout bounds each request to a server. Default 30s.
	Timeout time.Duration
	// GiveUpAfter bounds how long a batch waits for a server that is down
	// before its readings become dead letters. Default 0: wait for ever
	// (the stream pauses).
	GiveUpAfter time.Duration
	// TokenEnv and TokenFile name where a server's bearer token is: an
	// environment variable (default BEAMLENS_MODEL_TOKEN) or a file. The
	// token itself never travels in the job graph.
	TokenEnv  string
	TokenFile string
	// EveryScore emits every scored reading, outlier or not, as an
	// anomaly record carrying its score. Default false.
	EveryScore bool
}

const (
	// DefaultOutlierLabel is the label scikit-learn's outlier detectors
	// give an outlier (an inlier is 1).
	DefaultOutlierLabel int64 = -1
	// DefaultBatchSize is the most rows per model call unless
	// Options.BatchSize says otherwise: large enough that a call's fixed
	// cost is shared, small enough for a server's request limit.
	DefaultBatchSize = 1024
)

func (o Options) withDefaults() Options {
	o.BatchSize = cmp.Or(o.BatchSize, DefaultBatchSize)
	if o.OutlierLabel == nil {
		o.OutlierLabel = new(DefaultOutlierLabel)
	}
	if o.Concurrency == 0 {
		o.Concurrency = 4
		if k, _ := inference.ParseURI(o.URI); k == inference.ONNX {
			o.Concurrency = 1
		}
	}
	return o
}

func (o Options) validate() {
	if _, err := inference.ParseURI(o.URI); err != nil {
		panic(fmt.Sprintf("modelscore.Score: %v", err))
	}
	if len(o.Metrics) == 0 {
		panic("modelscore.Score: no Metrics: name the model's input features in order")
	}
	seen := map[string]bool{}
	for _, m := range o.Metrics {
		if m == "" || seen[m] {
			panic(fmt.Sprintf("modelscore.Score: Metrics %q: names must be distinct and non-empty", o.Metrics))
		}
		seen[m] = true
	}
	if t := o.Threshold; t != nil && (math.IsNaN(*t) || math.IsInf(*t, 0)) {
		panic(fmt.Sprintf("modelscore.Score: Threshold %v is not finite", *t))
	}
	if o.BatchSize < 1 || o.Concurrency < 1 {
		panic(fmt.Sprintf("modelscore.Score: BatchSize %d and Concurrency %d must be positive", o.BatchSize, o.Concurrency))
	}
	if o.Timeout < 0 || o.GiveUpAfter < 0 {
		panic("modelscore.Score: Timeout and GiveUpAfter must not be negative")
	}
}

// inferenceOptions are the model client's options.
func (o Options) inferenceOptions() inference.Options {
	return inference.Options{Width: len(o.Metrics), Timeout: o.Timeout, Concurrency: o.Concurrency,
		GiveUpAfter: o.GiveUpAfter, TokenEnv: o.TokenEnv, TokenFile: o.TokenFile}
}

// Open opens the model as the pipeline's workers will, for a start-up
// check (inference.Check) before a job is built.
func Open(opts Options) (inference.Model, error) {
	return inference.Open(opts.URI, opts.withDefaults().inferenceOptions())
}
