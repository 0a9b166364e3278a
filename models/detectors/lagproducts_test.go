package detectors

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLagProductsSameBitsAsOneLagAtATime: working on four lags at once must
// not change a single bit of any lag's sum (findPeriod's choices, and so the
// anomalies, would move).
func TestLagProductsSameBitsAsOneLagAtATime(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for round := range 20 {
		var buf [likelihoodRing]float64
		for i := range buf {
			buf[i] = rng.NormFloat64()*math.Pow(10, float64(round%7-3)) + math.Sin(float64(i)/7)
		}
		var got [likelihoodPeriodMax + 1]float64
		lagProducts(&buf, &got)
		for lag := 2; lag <= likelihoodPeriodMax; lag++ {
			want := 0.0
			for i := lag; i < likelihoodRing; i++ {
				want += buf[i] * buf[i-lag]
			}
			if math.Float64bits(got[lag]) != math.Float64bits(want) {
				t.Fatalf("round %d lag %d: %v, one lag at a time %v", round, lag, got[lag], want)
			}
		}
	}
}
