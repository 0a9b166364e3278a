package detectors

import (
	"math"
	"math/rand/v2"
	"slices"
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

// TestLikelihoodSpikeHabit: a lone spike ranks by its margin against the
// series' usual spike. The same spike (+28 on noise of sd 1, after the
// same 150 quiet readings, inside both series' ranges) scores lower on a
// series whose spikes are habitually +45 than on one whose spikes are
// +30; both stay alarms, in the lone-spike band (T, 1.01T]; and a spike as
// large as the habit scores in the band's middle.
func TestLikelihoodSpikeHabit(t *testing.T) {
	series := func(habit float64) *Likelihood {
		rng := rand.New(rand.NewPCG(18, 2))
		d := NewLikelihood(Config{ScoreThreshold: StreamScoreThreshold})
		for i := range 3000 {
			x := 20 + rng.NormFloat64()
			// Irregular, so the spikes make no period.
			if slices.Contains([]int{1013, 1190, 1433, 1581, 1872, 2050, 2311, 2502, 2777}, i) {
				x += habit
			}
			d.Update(x)
		}
		for range 150 {
			d.Update(20 + rng.NormFloat64())
		}
		return d
	}
	habitual, quiet := series(45), series(30)
	if quiet.spikes != likelihoodSpikeSpan || habitual.spikes != likelihoodSpikeSpan {
		t.Fatalf("spikes learned: %d and %d, want %d", quiet.spikes, habitual.spikes, likelihoodSpikeSpan)
	}
	band := func(v Verdict) bool { return v.Anomaly && v.Score <= v.Threshold*(1+spikeBand) }
	vh, vq := habitual.Update(48), quiet.Update(48)
	if !band(vh) || !band(vq) {
		t.Fatalf("+28 spike: %+v on the +45 series, %+v on the +30 one; want both lone-spike alarms", vh, vq)
	}
	if !(vq.Score > vh.Score) {
		t.Errorf("+28 spike scores %v where spikes are +30, %v where they are +45: want the first higher", vq.Score, vh.Score)
	}
	rng := rand.New(rand.NewPCG(18, 3))
	for range 200 {
		quiet.Update(20 + rng.NormFloat64())
	}
	v := quiet.Update(50)
	if mid := v.Threshold * (1 + spikeBand/2); !band(v) || math.Abs(v.Score-mid) > v.Threshold*spikeBand/5 {
		t.Errorf("a habitual +30 spike scores %+v, want an alarm near the band's middle %v", v, mid)
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

// TestLikelihoodRiseBar: an incident needs the recent mean of raw scores
// 1.5 above its usual level as well as 3 sigmas of its history. Steady
// noise whose spread grows by half for 40 readings lifts the recent mean
// by over 5 sigmas of its steady history (an alarm on the likelihood
// alone), yet by less than 1.5: no incident; a spread six times the usual
// is one. (Two early
// excursions widen the learned range, so only the likelihood judges.)
func TestLikelihoodRiseBar(t *testing.T) {
	for _, c := range []struct {
		spread   float64
		incident bool
	}{{1.5, false}, {6, true}} {
		rng := rand.New(rand.NewPCG(18, 4))
		d := NewLikelihood(Config{ScoreThreshold: StreamScoreThreshold})
		for i := range 3000 {
			x := 20 + rng.NormFloat64()
			if i == 100 || i == 101 {
				// Two early excursions widen the learned range, so the
				// stretch below is judged by the likelihood, not the range.
				x = 20 + 15*float64(1-2*(i%2))
			}
			if v := d.Update(x); v.Anomaly && i > 1000 {
				t.Fatalf("reading %d of steady noise flagged: %+v", i, v)
			}
		}
		incident, maxLik := false, 0.0
		for range 40 {
			v := d.Update(20 + c.spread*rng.NormFloat64())
			// A lone spike scores in the band up to 1.01 times the
			// threshold; an incident above it.
			incident = incident || v.Score > v.Threshold*(1+spikeBand)
			maxLik = max(maxLik, (d.lastRecent-d.hmean)/d.histSigma())
		}
		if incident != c.incident {
			t.Errorf("noise spread %vx for 40 readings: incident %v, want %v", c.spread, incident, c.incident)
		}
		if !c.incident && maxLik <= likelihoodAlarm {
			t.Errorf("noise spread %vx: the likelihood reached only %.1f sigmas; the case does not test the rise bar", c.spread, maxLik)
		}
	}
}

// TestLikelihoodSeason: a cycle of 50 readings (a sine of amplitude 5 on
// noise of sd 0.3) gives the period 50 once the ring is full; a cycle that
// then skips - the value holds at the mean for 60 readings, every value and
// step ordinary - is an incident, which without the seasonal score no raw
// score sees. State written mid-stream restores to the same verdicts.
func TestLikelihoodSeason(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 5))
	cycle := func(i int) float64 { return 20 + 5*math.Sin(2*math.Pi*float64(i)/50) + 0.3*rng.NormFloat64() }
	d := NewLikelihood(Config{ScoreThreshold: StreamScoreThreshold})
	for i := range 3000 {
		d.Update(cycle(i))
	}
	if d.period != 50 {
		t.Fatalf("period %d, want 50", d.period)
	}
	state, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	restored := NewLikelihood(Config{ScoreThreshold: StreamScoreThreshold})
	if err := restored.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	incident := false
	for i := 3000; i < 3060; i++ {
		x := 20 + 0.3*rng.NormFloat64()
		v, w := d.Update(x), restored.Update(x)
		if v.Score != w.Score || v.Anomaly != w.Anomaly {
			t.Fatalf("reading %d: %+v, restored %+v", i, v, w)
		}
		incident = incident || v.Score > v.Threshold*(1+spikeBand)
	}
	if !incident {
		t.Errorf("a skipped cycle raised no incident")
	}
}
