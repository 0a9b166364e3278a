package detectors

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSmallUnitsJudgedAsLarge: a quantity in small units (a current of
// picoamperes given in amperes) is judged by its own spread: the series
// scaled by 2^-40 (~1e-12) or 2^-110 (~8e-34), exactly in binary floating
// point, gets the very readings flagged that it gets at scale 1. Before
// scaleFloor was relative to the series' level, an absolute floor of 1e-9
// made every detector blind to such series: they were "normal".
func TestSmallUnitsJudgedAsLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	series := make([]float64, 6000)
	for i := range series {
		x := math.Sin(2*math.Pi*float64(i)/50) + 0.1*rng.NormFloat64()
		if i >= 4000 && i < 4050 {
			x = 0.1 * rng.NormFloat64() // a skipped cycle
		}
		if i == 5000 {
			x += 8
		}
		series[i] = x
	}
	flagged := func(name string, scale float64) []int {
		d, err := New(name, Config{})
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for i, x := range series {
			if d.Update(x * scale).Anomaly {
				out = append(out, i)
			}
		}
		return out
	}
	for _, name := range []string{"ensemble", "likelihood", "zscore", "robust_zscore", "ewma", "iqr", "hst", "cad"} {
		want := flagged(name, 1)
		if !slices.Contains(want, 5000) {
			t.Errorf("%s misses the spike at scale 1: %v", name, want)
		}
		for _, scale := range []float64{0x1p-40, 0x1p-110} {
			if got := flagged(name, scale); !slices.Equal(got, want) {
				t.Errorf("%s at scale %g flags %d readings %v, at scale 1 %d %v", name, scale, len(got), head(got), len(want), head(want))
			}
		}
	}
}

func head(s []int) []int { return s[:min(len(s), 8)] }

// TestSmallUnitsJudgedAsLargeVector: the same for the multivariate
// detectors, on two related series whose relation breaks once.
func TestSmallUnitsJudgedAsLargeVector(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	rows := make([][2]float64, 4000)
	for i := range rows {
		x := math.Sin(2*math.Pi*float64(i)/50) + 0.1*rng.NormFloat64()
		y := 2*x + 0.1*rng.NormFloat64()
		if i == 3012 { // x near its crest
			y = -2 * x // each value ordinary, the pair not
		}
		rows[i] = [2]float64{x, y}
	}
	flagged := func(name string, scale float64) []int {
		d, err := NewVector(name, []string{"x", "y"}, Config{})
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for i, r := range rows {
			if d.UpdateVector([]float64{r[0] * scale, r[1] * scale}).Anomaly {
				out = append(out, i)
			}
		}
		return out
	}
	for _, name := range []string{"mahalanobis", "pca"} {
		want := flagged(name, 1)
		if !slices.Contains(want, 3012) {
			t.Errorf("%s misses the broken relation at scale 1: %v", name, head(want))
		}
		for _, scale := range []float64{0x1p-40, 0x1p-110} {
			if got := flagged(name, scale); !slices.Equal(got, want) {
				t.Errorf("%s at scale %g flags %d readings %v, at scale 1 %d %v", name, scale, len(got), head(got), len(want), head(want))
			}
		}
	}
}
