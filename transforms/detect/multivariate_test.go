package detect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/decode"
)

func init() {
	register.Function2x0(describeInFault)
	register.Function1x1(isPCANamingBoth)
}

// The fault of relationStream: from faultStart for faultLen readings,
// pressure stops following current.
const (
	faultStart = 2100
	faultLen   = 150
	pumpStart  = int64(1735689600000) // 2025-01-01T00:00:00Z
)

// relationStream is one pump's readings, a minute apart: current swings
// around 10 A on a 300-minute cycle, and pressure follows it (5 + 0.5
// (current - 10)). During the fault pressure moves against current
// instead, from a zero crossing of the cycle, so neither metric jumps
// and both stay within their normal ranges: only their relation breaks.
func relationStream(n int) [][]byte {
	rng := rand.New(rand.NewPCG(18, 4))
	lines := make([][]byte, n)
	for i := range lines {
		c := 10 + 2*math.Sin(2*math.Pi*float64(i)/300) + 0.2*rng.NormFloat64()
		sign := 0.5
		if i >= faultStart && i < faultStart+faultLen {
			sign = -0.5
		}
		p := 5 + sign*(c-10) + 0.05*rng.NormFloat64()
		lines[i] = fmt.Appendf(nil, `{"device_id":"pump-1","timestamp":%d,"current":%.3f,"pressure":%.3f}`,
			pumpStart+int64(i)*60000, c, p)
	}
	return lines
}

// describeInFault describes an anomaly inside the fault as "detector
// metric" ("pca pressure,current"); it drops the others.
func describeInFault(a events.Anomaly, emit func(string)) {
	i := (a.Reading.EventTimeMs - pumpStart) / 60000
	if i >= faultStart && i < faultStart+faultLen {
		emit(a.Detector + " " + a.Metric)
	}
}

// isPCANamingBoth reports whether an anomaly description is pca's and
// names both metrics.
func isPCANamingBoth(d string) bool {
	return d == "pca current,pressure" || d == "pca pressure,current"
}

// TestMultivariateFindsABrokenRelation: scoring current and pressure
// together (pca over the vector) finds a fault that shows only in how
// they move together, and names both; scoring each metric on its own with
// the default ensemble misses it. Both at the command line's cut-off.
func TestMultivariateFindsABrokenRelation(t *testing.T) {
	lines := relationStream(3000)
	metrics := []string{"current", "pressure"}
	for _, c := range []struct {
		detectors []string
		found     bool
	}{{[]string{"ensemble", "pca"}, true}, {[]string{"ensemble"}, false}} {
		t.Run(strings.Join(c.detectors, "+"), func(t *testing.T) {
			p, s := beam.NewPipelineWithRoot()
			readings, _ := decode.Readings(s, beam.ParDo(s, lineToRaw, beam.CreateList(s, lines)), decode.Options{MaxFuture: -1})
			anomalies, _ := Detect(s, readings, Options{Detectors: c.detectors, Metrics: metrics,
				Learned: detectors.Config{ScoreThreshold: detectors.StreamScoreThreshold}})
			inFault := beam.ParDo(s, describeInFault, anomalies)
			if c.found {
				// Every alarm in the fault is pca's, naming both metrics:
				// none is the per-metric ensemble's.
				passert.NonEmpty(s, inFault)
				passert.True(s, inFault, isPCANamingBoth)
			} else {
				passert.Empty(s, inFault)
			}
			ptest.RunAndValidate(t, p)
		})
	}
}
