package detectors

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLikelihoodLearnedRange: a value a little beyond every value the
// device has shown (10% past the top of uniform noise on 0-10, under two
// of its standard deviations from its mean, which no distance test flags) is an incident
// once the range is learned, and only once: the range takes it in. Before
// likelihoodRangeReadings nothing is judged by the range.
func TestLikelihoodLearnedRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 1))
	noise := func(int) float64 { return 10 * rng.Float64() }
	d := NewLikelihood(Config{ScoreThreshold: StreamScoreThreshold})
	for i := range 400 {
		if v := d.Update(noise(i)); v.Anomaly {
			t.Fatalf("reading %d of the noise flagged: %+v", i, v)
		}
	}
	// 10.5 is beyond the range so far (by 5%, the margin: not more).
	if v := d.Update(10.5); v.Anomaly {
		t.Fatalf("a new extreme flagged before the range is learned: %+v", v)
	}
	for i := 401; i < 1000; i++ {
		if v := d.Update(noise(i)); v.Anomaly {
			t.Fatalf("reading %d of the noise flagged: %+v", i, v)
		}
	}
	v := d.Update(11.6)
	if !v.Anomaly || v.Score < 2*v.Threshold {
		t.Fatalf("11.6 beyond a learned 0-10.5: %+v, want an anomaly scored at least twice the threshold", v)
	}
	if got := baselineValue(v, "high"); got != 10.5 {
		t.Errorf("baseline high %v, want 10.5", got)
	}
	if v := d.Update(11.6); v.Anomaly {
		t.Fatalf("the same extreme again: %+v", v)
	}
}

func baselineValue(v Verdict, name string) float64 {
	for _, m := range v.Baseline {
		if m.Name == name {
			return m.Value
		}
	}
	return math.NaN()
}
