package llm_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/models/llm/llmtest"
)

// BenchmarkStrictBudget is one run of the limiter against a strict
// server: llmtest with a budget of 600 requests a minute and burst 1 (a
// request less than 100 ms after the last one it accepted is a 429), 300 ms
// a request. The client is configured as the CLI's themes stage would be
// for that account: --llm-rpm=600, batches of 20, 4 requests in flight,
// fed by 4 workers calling Extract with 20 reviews each, as themes.Extract
// does. Each iteration is a whole run of BEAMLENS_BENCH_REVIEWS (default
// 6000) distinct reviews; it reports the sustained rate as a share of the
// ceiling (600/min x 20 reviews = 200 reviews/s) and the share of requests
// answered 429. scripts/bench-llm-budget.sh runs the 10-run series:
//
//	go test -run='^$' -bench=StrictBudget -benchtime=1x -count=10 ./models/llm
func BenchmarkStrictBudget(b *testing.B) {
	const (
		rpm, batch, workers = 600, 20, 4
		latency             = 300 * time.Millisecond
	)
	n := 6000
	if v := os.Getenv("BEAMLENS_BENCH_REVIEWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < batch {
			b.Fatalf("BEAMLENS_BENCH_REVIEWS=%q", v)
		}
	}
	clientRPM := rpm
	if v := os.Getenv("BEAMLENS_BENCH_CLIENT_RPM"); v != "" {
		clientRPM, _ = strconv.Atoi(v)
	}
	items := reviewItems(b, n, 77)
	ceiling := float64(rpm) * batch / 60
	for b.Loop() {
		srv := llmtest.NewServer(llmtest.Config{Latency: latency, RequestsPerMinute: rpm, Burst: 1})
		e := newExtractor(b, srv, func(o *llm.Options) {
			o.RequestsPerMinute, o.BatchSize, o.MaxConcurrency, o.CacheSize = clientRPM, batch, workers, -1
			o.InitialBackoff, o.MaxBackoff = 500*time.Millisecond, 30*time.Second
		})
		next := make(chan []llm.Item)
		go func() {
			for i := 0; i < len(items); i += batch {
				next <- items[i:min(i+batch, len(items))]
			}
			close(next)
		}()
		var wg sync.WaitGroup
		var mu sync.Mutex
		failed := 0
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for chunk := range next {
					res, err := e.Extract(context.Background(), chunk)
					mu.Lock()
					if err != nil {
						failed += len(chunk)
					}
					for _, r := range res {
						if r.Err != nil {
							failed++
						}
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		d := time.Since(start)
		st := srv.Stats()
		srv.Close()
		if failed > 0 {
			b.Fatalf("%d of %d reviews failed", failed, n)
		}
		rate := float64(n) / d.Seconds()
		b.ReportMetric(100*rate/ceiling, "%ceiling")
		b.ReportMetric(100*float64(st.OverBudget)/float64(max(1, st.Requests)), "%429")
		b.ReportMetric(float64(st.OverBudget), "429s")
		b.ReportMetric(float64(st.Requests), "requests")
		b.ReportMetric(rate, "reviews/s")
		cs := e.Stats()
		b.ReportMetric(float64(cs.SendLagP99.Microseconds())/1000, "ms-lag-p99")
		b.ReportMetric(float64(cs.SendLagMax.Microseconds())/1000, "ms-lag-max")
	}
}
