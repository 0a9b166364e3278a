package detectors

import (
	"fmt"
	"math"
	"slices"

	"github.com/beamlens/beamlens/models/events"
)

// vectorModel is model for detectors that judge all of a reading's metrics
// at once.
type vectorModel interface {
	peekVector(x []float64) Verdict
	appendBaseline(dst []events.Metric, prefix string, v Verdict) []events.Metric
	learnVector(x []float64, v Verdict)
	// blame names the metric most responsible for the verdict just peeked.
	blame() string
}

// stepVector is UpdateVector for every vector detector. It copies values
// into the detector's scratch, so the caller may reuse its slice, turning
// -0 into +0 on the way as step does.
func stepVector(m vectorModel, values, scratch []float64) Verdict {
	learnable := true
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Verdict{Skipped: true}
		}
		if math.Abs(v) > maxLearnable {
			learnable = false
		}
		scratch[i] = v + 0
	}
	v := m.peekVector(scratch)
	if v.Anomaly {
		v.Metric = m.blame()
		v.Baseline = m.appendBaseline(nil, "", v)
	}
	if learnable {
		m.learnVector(scratch, v)
	}
	return v
}

// checkMetrics rejects a metric list no reading could fill unambiguously.
func checkMetrics(metrics []string) error {
	if len(metrics) > maxMetrics {
		return fmt.Errorf("%d metrics, at most %d", len(metrics), maxMetrics)
	}
	for i, name := range metrics {
		if name == "" {
			return fmt.Errorf("metric %d has no name", i)
		}
		if slices.Contains(metrics[:i], name) {
			return fmt.Errorf("metric %q listed twice", name)
		}
	}
	return nil
}

// mustCheckMetrics is checkMetrics for the typed constructors, where a bad
// list is a programming error.
func mustCheckMetrics(fn string, metrics []string) {
	if err := checkMetrics(metrics); err != nil {
		panic("detectors." + fn + ": " + err.Error())
	}
}

// baselineNames builds "<metric>.<stat>" for every metric and stat once, at
// construction, so an anomaly's baseline costs no string building.
func baselineNames(metrics []string, stats ...string) []string {
	if len(metrics) == 0 {
		return stats
	}
	names := make([]string, 0, len(metrics)*len(stats))
	for _, m := range metrics {
		for _, s := range stats {
			names = append(names, m+"."+s)
		}
	}
	return names
}

// learnMoments updates a running mean and covariance (d×d, row-major,
// kept symmetric) with reading x at weight w: exact running moments while
// w is 1/(n+1), exponential once it is the span's weight. The deviation
// from the old mean is scaled by shrink in the covariance, so that a
// reading far out teaches it as if it lay on the clipping boundary. dev is
// scratch, left holding x - the old mean. Mahalanobis and PCA learn
// through it.
func learnMoments(mean, cov, dev, x []float64, w, shrink float64) {
	d := len(mean)
	for i := range d {
		dev[i] = x[i] - mean[i]
		mean[i] += w * dev[i]
	}
	for i := range d {
		for j := 0; j <= i; j++ {
			c := (1 - w) * (cov[i*d+j] + w*shrink*shrink*dev[i]*dev[j])
			cov[i*d+j], cov[j*d+i] = c, c
		}
	}
}
