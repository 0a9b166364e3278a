package detectors

import (
	"fmt"
	"testing"
)

// benchValues is normal noise, so the benchmarks time the common path: no
// anomaly, no baseline, no allocation.
var benchValues = gaussian(1, 4096, 20, 1)

// BenchmarkUpdate times one Update of each detector, warmed up, with
// default settings, plus the rolling-quantile threshold on zscore.
func BenchmarkUpdate(b *testing.B) {
	type variant struct {
		label, name string
		cfg         Config
	}
	var vs []variant
	for _, n := range Known() {
		vs = append(vs, variant{n, n, Config{Threshold: DefaultThreshold}})
	}
	vs = append(vs, variant{"zscore+quantile", "zscore", Config{Quantile: 0.995}})
	for _, v := range vs {
		b.Run(v.label, func(b *testing.B) {
			d, err := New(v.name, v.cfg)
			if err != nil {
				b.Fatal(err)
			}
			run(d, benchValues)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				d.Update(benchValues[i&4095])
				i++
			}
		})
	}
}

// BenchmarkUpdateVector times the multivariate detectors on three metrics.
func BenchmarkUpdateVector(b *testing.B) {
	rows := correlated(1, 4096)
	x := make([][]float64, len(rows))
	for i, r := range rows {
		x[i] = []float64{r[0], r[1], r[0]*0.5 + benchValues[i]}
	}
	for _, n := range []string{"mahalanobis", "hst", "pca"} {
		b.Run(n+"/3", func(b *testing.B) {
			d, err := NewVector(n, []string{"a", "b", "c"}, Config{})
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range x {
				d.UpdateVector(r)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				d.UpdateVector(x[i&4095])
				i++
			}
		})
	}
}

// BenchmarkState times what a keyed runner pays per key and pane: restore
// the state into a reused detector, then save it into a reused buffer. It
// reports the state's size.
func BenchmarkState(b *testing.B) {
	for _, n := range Known() {
		b.Run(n, func(b *testing.B) {
			d, _ := New(n, Config{})
			run(d, benchValues)
			state, _ := d.MarshalBinary()
			buf := make([]byte, 0, len(state))
			b.ReportAllocs()
			for b.Loop() {
				if err := d.UnmarshalBinary(state); err != nil {
					b.Fatal(err)
				}
				buf, _ = d.AppendBinary(buf[:0])
			}
			b.ReportMetric(float64(len(state)), "state-bytes")
		})
	}
}

// BenchmarkNew times building a detector: once per DoFn, not per key.
func BenchmarkNew(b *testing.B) {
	for _, n := range []string{"zscore", "hst", "ensemble"} {
		b.Run(n, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := New(n, Config{}); err != nil {
					b.Fatal(fmt.Sprint(err))
				}
			}
		})
	}
}
