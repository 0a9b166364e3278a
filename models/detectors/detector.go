package detectors

import (
	"encoding"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/beamlens/beamlens/models/events"
)

// Verdict is a detector's judgement of one value (or one reading's vector of
// values).
type Verdict struct {
	// Score is what was compared with Threshold. Learned detectors score on
	// a z-like scale: roughly how many standard deviations from normal.
	Score float64
	// Threshold is the limit Score was compared with: ScoreThreshold, the
	// rolling quantile of past scores when that is higher, the static
	// limit, or for a vote the number of members that makes a majority.
	Threshold float64
	// Anomaly is set when Score > Threshold and the detector is warm.
	Anomaly bool
	// Baseline names what normal looked like, e.g. {"mean": 20.1, "std":
	// 0.4, "lower": 18.7, "upper": 21.5}. It is filled for anomalies only,
	// so the common path allocates nothing; the slice is the caller's.
	Baseline []events.Metric
	// Warming is set while the detector is still learning: it never flags
	// then, whatever the score.
	Warming bool
	// Skipped is set when the input was NaN or ±Inf: the detector ignored
	// it, and Score and Threshold are zero.
	Skipped bool
	// Metric, on an anomaly from a vector detector, names the metric that
	// contributed most. Empty otherwise.
	Metric string
}

// Detector scores a value, then learns from it, in that order, so a point
// is never judged against a baseline that already contains it. A Detector
// is not safe for concurrent use.
//
// Its state (everything it learned) round-trips through MarshalBinary and
// UnmarshalBinary, so it can live in a runner's keyed state and survive a
// restart: a restored detector gives the same verdicts, bit for bit, as one
// that never stopped. UnmarshalBinary accepts only state written by a
// detector of the same kind and state-shaping Config; on any error it
// leaves the detector Reset. Reset forgets everything learned, so one
// instance can serve many keys in turn.
type Detector interface {
	// Name identifies the detector in anomaly records ("zscore").
	Name() string
	// Update judges v and then folds it into the detector's state. NaN and
	// ±Inf are skipped: a Skipped verdict, state untouched.
	Update(v float64) Verdict
	// Reset forgets everything learned, leaving the detector as built.
	Reset()
	encoding.BinaryAppender
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// VectorDetector is a Detector for all of a reading's metrics at once. The
// metric names, and so the meaning of each position, are fixed at
// construction.
type VectorDetector interface {
	Name() string
	// Metrics returns the metric names, in the order UpdateVector takes
	// their values.
	Metrics() []string
	// UpdateVector judges one reading, values[i] being Metrics()[i], then
	// learns from it. A reading with a NaN (a missing metric) or ±Inf is
	// skipped whole. It panics if len(values) != len(Metrics()).
	UpdateVector(values []float64) Verdict
	// Reset forgets everything learned, leaving the detector as built.
	Reset()
	encoding.BinaryAppender
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

var (
	_ Detector       = (*Threshold)(nil)
	_ Detector       = (*ZScore)(nil)
	_ Detector       = (*RobustZScore)(nil)
	_ Detector       = (*IQR)(nil)
	_ Detector       = (*EWMA)(nil)
	_ Detector       = (*Mahalanobis)(nil)
	_ Detector       = (*HalfSpaceTrees)(nil)
	_ Detector       = (*CAD)(nil)
	_ Detector       = (*Ensemble)(nil)
	_ Detector       = (*Stuck)(nil)
	_ Detector       = (*Likelihood)(nil)
	_ VectorDetector = (*Mahalanobis)(nil)
	_ VectorDetector = (*HalfSpaceTrees)(nil)
	_ VectorDetector = (*PCA)(nil)
	_ Detector       = (*PCA)(nil)
)

// constructors builds each named detector from checked settings; the
// vector detectors built here are univariate.
var constructors map[string]func(settings) Detector

func init() {
	// Assigned in init because the ensemble's constructor looks its members
	// up here.
	constructors = map[string]func(settings) Detector{
		"threshold":     func(s settings) Detector { return NewThreshold(s.limit) },
		"zscore":        func(s settings) Detector { return newZScore(s) },
		"robust_zscore": func(s settings) Detector { return newRobustZScore(s) },
		"iqr":           func(s settings) Detector { return newIQR(s) },
		"ewma":          func(s settings) Detector { return newEWMA(s) },
		"mahalanobis":   func(s settings) Detector { return newMahalanobis(s, nil) },
		"hst":           func(s settings) Detector { return newHalfSpaceTrees(s, nil) },
		"cad":           func(s settings) Detector { return newCAD(s) },
		"stuck":         func(s settings) Detector { return newStuck(s) },
		"likelihood":    func(s settings) Detector { return newLikelihood(s) },
		"pca":           func(s settings) Detector { return newPCA(s, nil) },
		"ensemble":      func(s settings) Detector { return newEnsemble(s) },
	}
}

// Model names the model detector: a model the user brings (--model), run
// on batches of readings by transforms/modelscore rather than built here,
// since it learns nothing online and scores many readings per call.
const Model = "model"

// Known lists the online detectors New builds.
func Known() []string {
	return slices.Sorted(maps.Keys(constructors))
}

// Names lists every detector name a spec may use: Known and Model.
func Names() []string {
	return slices.Sorted(slices.Values(append(Known(), Model)))
}

// Multivariate reports whether the named detector is built to judge a
// reading's metrics together, through NewVector; New still builds it
// univariate.
func Multivariate(name string) bool { return name == "mahalanobis" || name == "hst" || name == "pca" }

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
		if _, ok := constructors[n]; !ok && n != Model {
			return nil, unknown(n)
		}
		if seen[n] {
			return nil, fmt.Errorf("detector %q listed twice", n)
		}
		seen[n] = true
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no detector named (known: %s)", strings.Join(Names(), ", "))
	}
	return names, nil
}

// New builds the named detector for one series; name must be one of Known
// but Model. It fails on an invalid Config.
func New(name string, cfg Config) (Detector, error) {
	if name == Model {
		return nil, errModel
	}
	c, ok := constructors[name]
	if !ok {
		return nil, unknown(name)
	}
	s, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("detector %q: %w", name, err)
	}
	return c(s), nil
}

// NewVector builds the named multivariate detector (see Multivariate) over
// the given metrics, which must be distinct and non-empty.
func NewVector(name string, metrics []string, cfg Config) (VectorDetector, error) {
	if name == Model {
		return nil, errModel
	}
	if _, ok := constructors[name]; !ok {
		return nil, unknown(name)
	}
	if !Multivariate(name) {
		return nil, fmt.Errorf("detector %q judges one metric at a time; multivariate: mahalanobis, hst, pca", name)
	}
	if len(metrics) == 0 {
		return nil, fmt.Errorf("detector %q: no metrics named", name)
	}
	if err := checkMetrics(metrics); err != nil {
		return nil, fmt.Errorf("detector %q: %w", name, err)
	}
	s, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("detector %q: %w", name, err)
	}
	metrics = slices.Clone(metrics)
	switch name {
	case "mahalanobis":
		return newMahalanobis(s, metrics), nil
	case "pca":
		if len(metrics) < 2 {
			return nil, fmt.Errorf("detector %q needs at least two metrics", name)
		}
		return newPCA(s, metrics), nil
	}
	return newHalfSpaceTrees(s, metrics), nil
}

// errModel is New or NewVector asked for the model detector.
var errModel = fmt.Errorf("detector %q scores batches of readings with a model you bring (--model, transforms/modelscore); it is not built as an online detector", Model)

func unknown(name string) error {
	return fmt.Errorf("unknown detector %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Severity puts a verdict's score on one scale for every detector: with
// m = Score/Threshold, m/(1+m), in [0, 1). It is 0.5 exactly at the
// detector's threshold (where Anomaly starts), 0.67 at twice it, 0.8 at
// four times, and 0 for a score of 0; it keeps the scores' order, so it
// ranks readings as the score does. A z-like score of 9 against the
// default 4.5 is severity 0.67, and so is a vote ensemble's 4 against 2.
// A detector whose threshold is not positive (a threshold detector at 0 or
// below) has no such ratio: its severity is 1 for an anomaly, else 0.
func Severity(v Verdict) float64 {
	switch {
	case !(v.Threshold > 0):
		if v.Anomaly {
			return 1
		}
		return 0
	case !(v.Score > 0):
		return 0
	case v.Score > math.MaxFloat64/2:
		return 1
	}
	m := v.Score / v.Threshold
	return m / (1 + m)
}
