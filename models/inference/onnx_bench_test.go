//go:build cgo

package inference

import (
	"context"
	"os"
	"testing"
)

// BenchmarkONNXPredict scores batches of 1024 rows with the IsolationForest
// fixture (BEAMLENS_MODEL_FIXTURE: a directory from
// scripts/models/iforest.py), rewritten into one tree ensemble and as
// skl2onnx exported it; it reports rows/s.
func BenchmarkONNXPredict(b *testing.B) {
	dir := os.Getenv("BEAMLENS_MODEL_FIXTURE")
	if dir == "" {
		b.Skip("BEAMLENS_MODEL_FIXTURE is not set (a directory from scripts/models/iforest.py)")
	}
	for _, bc := range []struct{ name, asExported string }{{"fused", ""}, {"as-exported", "1"}} {
		b.Run(bc.name, func(b *testing.B) {
			b.Setenv(AsExportedEnv, bc.asExported)
			m, err := Open(dir+"/iforest.onnx", Options{Width: 3})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			const n = 1024
			x := make([]float32, 3*n)
			for i := range n {
				x[3*i], x[3*i+1], x[3*i+2] = 10+float32(i%7), 20, 3
			}
			b.ResetTimer()
			for range b.N {
				if _, err := m.Predict(context.Background(), x, n); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
