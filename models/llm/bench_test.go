package llm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/models/llm/llmtest"
)

// BenchmarkOpenAIExtractor measures reviews a second through the whole
// client against a server that takes 20ms a request plus 1ms a review,
// by batch size (the cache is off: every review costs a request slot).
func BenchmarkOpenAIExtractor(b *testing.B) {
	for _, batch := range []int{1, 10, 40} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			srv := startServer(b, llmtest.Config{Latency: 20 * time.Millisecond, LatencyPerReview: time.Millisecond})
			e := newExtractor(b, srv, func(o *llm.Options) { o.BatchSize, o.CacheSize = batch, -1 })
			items := reviewItems(b, 200, 30)
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.Extract(context.Background(), items); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(items)*b.N)/b.Elapsed().Seconds(), "reviews/s")
		})
	}
}
