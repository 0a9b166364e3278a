package detectors

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// directPeriod is findPeriod's choice as it was made before the FFT: every
// lag's sum of products added in increasing i, then the same rules. It is
// the reference choosePeriod must agree with, bit for bit.
func directPeriod(buf *[likelihoodRing]float64, v0 float64) int {
	var acf [likelihoodPeriodMax + 1]float64
	for lag := 2; lag <= likelihoodPeriodMax; lag++ {
		c := 0.0
		for i := lag; i < likelihoodRing; i++ {
			c += buf[i] * buf[i-lag]
		}
		acf[lag] = c / (v0 * float64(likelihoodRing-lag) / likelihoodRing)
	}
	best, first := likelihoodPeriodACF, 0
	prev, rising := 1.0, false
	for lag := 2; lag <= likelihoodPeriodMax; lag++ {
		c := acf[lag]
		if !rising && c > prev {
			rising, first = true, lag
		}
		if rising && lag >= likelihoodPeriodMin {
			best = max(best, c)
		}
		prev = c
	}
	if best == likelihoodPeriodACF {
		return 0
	}
	for lag := max(first, likelihoodPeriodMin); lag <= likelihoodPeriodMax; lag++ {
		if acf[lag] >= likelihoodPeriodHarmonic*best && (lag == likelihoodPeriodMax || acf[lag] >= acf[lag+1]) {
			return lag
		}
	}
	return 0
}

// centred centres buf and returns its sum of squares, as findPeriod does
// before it takes the autocorrelation.
func centred(buf *[likelihoodRing]float64) float64 {
	mean := 0.0
	for _, x := range buf {
		mean += x
	}
	mean /= likelihoodRing
	v0 := 0.0
	for i := range buf {
		buf[i] -= mean
		v0 += buf[i] * buf[i]
	}
	return v0
}

// periodRings are rings of the kinds findPeriod meets: noise, cycles of
// many lengths (with their harmonics' near-ties), square waves and integer
// repeats (exact ties between lags), spikes, and scales from 1e-6 to 1e6.
func periodRings(yield func(name string, buf *[likelihoodRing]float64) bool) {
	rng := rand.New(rand.NewPCG(11, 12))
	for round := range 400 {
		var buf [likelihoodRing]float64
		scale := math.Pow(10, float64(round%13-6))
		period := 2 + rng.IntN(300)
		noise := []float64{0, 0.01, 0.1, 0.5, 2}[round%5]
		kind := round % 5
		for i := range buf {
			var x float64
			switch kind {
			case 0:
				x = math.Sin(2 * math.Pi * float64(i) / float64(period))
			case 1:
				if i%period < period/2 {
					x = 1
				}
			case 2:
				x = float64((i % period) % 7) // exact integer repeats: exact ties
			case 3:
				if i%period == 0 {
					x = 10
				}
			case 4:
				x = math.Sin(float64(i)/7) + math.Sin(2*math.Pi*float64(i)/float64(period))
			}
			buf[i] = scale * (x + noise*rng.NormFloat64())
		}
		if !yield("", &buf) {
			return
		}
	}
}

// TestChoosePeriodMatchesDirectSums: the FFT with exact fallback must choose
// the very period the direct sums choose, on every ring.
func TestChoosePeriodMatchesDirectSums(t *testing.T) {
	found := map[bool]int{}
	for _, buf := range periodRings {
		v0 := centred(buf)
		want := directPeriod(buf, v0)
		var lc lagCorrelations
		lc.buf = *buf
		lc.init(v0)
		got := choosePeriod(&lc)
		if got != want {
			t.Fatalf("period %d, direct sums %d", got, want)
		}
		found[want > 0]++
	}
	if found[true] < 100 || found[false] < 50 {
		t.Fatalf("the rings must exercise both outcomes: %v", found)
	}
}

// TestLagCorrelationsFFTErrorFarBelowMargin: periodMargin is only safe if the
// FFT's error is far smaller; measured on the same rings.
func TestLagCorrelationsFFTErrorFarBelowMargin(t *testing.T) {
	worst := 0.0
	for _, buf := range periodRings {
		v0 := centred(buf)
		var lc lagCorrelations
		lc.buf = *buf
		lc.init(v0)
		for lag := 2; lag <= likelihoodPeriodMax; lag++ {
			approx := lc.at(lag)
			lc.makeExact(lag)
			worst = max(worst, math.Abs(approx-lc.at(lag)))
		}
	}
	if worst > periodMargin/1000 {
		t.Fatalf("FFT error %g is within 1000x of the margin %g", worst, periodMargin)
	}
	t.Logf("worst FFT error on a normalised autocorrelation: %g", worst)
}

// TestChoosePeriodFallsBackOnTies: where two compared values are within the
// margin, the exact sums decide; an exact repeat has many such ties.
func TestChoosePeriodFallsBackOnTies(t *testing.T) {
	var buf [likelihoodRing]float64
	for i := range buf {
		buf[i] = float64(i % 16)
	}
	v0 := centred(&buf)
	var lc lagCorrelations
	lc.buf = buf
	lc.init(v0)
	if got, want := choosePeriod(&lc), directPeriod(&buf, v0); got != want || got != 16 {
		t.Fatalf("period %d, direct sums %d, want 16", got, want)
	}
	exact := 0
	for _, e := range lc.exact {
		if e {
			exact++
		}
	}
	if exact == 0 {
		t.Fatal("a ring of exact repeats must need the exact sums somewhere")
	}
}

// TestFindPeriodAllocatesNothing: the period search runs every 512
// readings on the scorer's hot path; its ring copy and FFT buffers must
// stay on the stack (a kept pointer once moved 8 KiB a search to the
// heap). Counted over many searches, not averaged: testing.AllocsPerRun
// would round one allocation in 512 readings down to none.
func TestFindPeriodAllocatesNothing(t *testing.T) {
	d, err := New("likelihood", Config{Threshold: DefaultThreshold})
	if err != nil {
		t.Fatal(err)
	}
	run(d, benchValues)
	l := d.(*Likelihood)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 64 {
		l.findPeriod()
	}
	runtime.ReadMemStats(&after)
	if n := after.Mallocs - before.Mallocs; n != 0 {
		t.Fatalf("%d allocations in 64 period searches, want none", n)
	}
}
