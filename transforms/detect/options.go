package detect

import (
	"fmt"

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
	// Threshold is the threshold detector's limit. Default 100; set
	// ThresholdSet to use 0.
	Threshold    float64
	ThresholdSet bool
}

func (o Options) withDefaults() Options {
	if len(o.Detectors) == 0 {
		o.Detectors = []string{"threshold"}
	}
	if o.Metric == "" {
		o.Metric = "temperature"
	}
	if !o.ThresholdSet && o.Threshold == 0 {
		o.Threshold = detectors.DefaultThreshold
	}
	return o
}

func (o Options) validate() {
	for _, n := range o.Detectors {
		if _, err := detectors.New(n, o.config()); err != nil {
			panic(fmt.Sprintf("detect.Detect: %v", err))
		}
	}
}

// config is the detectors.Config every detector is built from.
func (o Options) config() detectors.Config {
	c := o.Learned
	c.Threshold = o.Threshold
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
