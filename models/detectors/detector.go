package detectors

import (
	"fmt"
	"sort"
	"strings"

	"github.com/beamlens/beamlens/models/events"
)

// Verdict is a detector's judgement of one value.
type Verdict struct {
	// Score is what was compared with Threshold.
	Score     float64
	Threshold float64
	// Anomaly is set when Score > Threshold (and the detector is warm).
	Anomaly bool
	// Baseline names what normal looked like, e.g. {"upper": 100}.
	Baseline []events.Metric
}

// Detector scores a value, then learns from it.
type Detector interface {
	// Name identifies the detector in anomaly records ("threshold").
	Name() string
	// Update judges v and then folds it into the detector's state.
	Update(v float64) Verdict
}

// Threshold flags values strictly above a fixed limit: the article's
// "temperature > 100", and the floor every learned detector must beat.
type Threshold struct {
	Limit float64
}

// Name implements Detector.
func (t Threshold) Name() string { return "threshold" }

// Update implements Detector; a threshold learns nothing.
func (t Threshold) Update(v float64) Verdict {
	return Verdict{Score: v, Threshold: t.Limit, Anomaly: v > t.Limit,
		Baseline: []events.Metric{{Name: "upper", Value: t.Limit}}}
}

// Known lists the detector names a spec may use.
func Known() []string {
	names := make([]string, 0, len(constructors))
	for n := range constructors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Config carries the parameters detectors are built from.
type Config struct {
	// Threshold is the static limit of the threshold detector. Default 100,
	// the article's.
	Threshold float64
}

// DefaultThreshold is the article's limit: temperature > 100.
const DefaultThreshold = 100

var constructors = map[string]func(Config) Detector{
	"threshold": func(c Config) Detector { return Threshold{Limit: c.Threshold} },
}

// ParseSpec parses a comma-separated list of detector names, rejecting
// unknown and repeated names.
func ParseSpec(spec string) ([]string, error) {
	var names []string
	seen := map[string]bool{}
	for _, n := range strings.Split(spec, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if _, ok := constructors[n]; !ok {
			return nil, fmt.Errorf("unknown detector %q (known: %s)", n, strings.Join(Known(), ", "))
		}
		if seen[n] {
			return nil, fmt.Errorf("detector %q listed twice", n)
		}
		seen[n] = true
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no detector named (known: %s)", strings.Join(Known(), ", "))
	}
	return names, nil
}

// New builds the named detector; name must be one of Known.
func New(name string, cfg Config) (Detector, error) {
	c, ok := constructors[name]
	if !ok {
		return nil, fmt.Errorf("unknown detector %q (known: %s)", name, strings.Join(Known(), ", "))
	}
	return c(cfg), nil
}
