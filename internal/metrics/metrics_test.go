package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestWatermarkLagOnlyWithASource: the lag gauge is absent until a source
// has a watermark (0 would read "up to date"), then shows the oldest.
func TestWatermarkLagOnlyWithASource(t *testing.T) {
	// The sources are process-wide: start from none and leave none
	// behind, so that a second run (go test -count=N) starts as the first.
	watermarkSources.Lock()
	saved := watermarkSources.oldest
	watermarkSources.oldest = nil
	watermarkSources.Unlock()
	t.Cleanup(func() {
		watermarkSources.Lock()
		watermarkSources.oldest = saved
		watermarkSources.Unlock()
	})
	if n, err := testutil.GatherAndCount(Registry, "beamlens_watermark_lag_seconds"); err != nil || n != 0 {
		t.Fatalf("lag gauge with no source: %d series, %v", n, err)
	}
	var at time.Time
	has := false
	AddWatermarkSource(func() (time.Time, bool) { return at, has })
	AddWatermarkSource(func() (time.Time, bool) { return time.Now().Add(-time.Second), true })
	has, at = true, time.Now().Add(-time.Minute)
	lag, ok := WatermarkLag(time.Now())
	if !ok || lag < time.Minute || lag > time.Minute+10*time.Second {
		t.Fatalf("lag %s (ok %v), want the older source's minute", lag, ok)
	}
	if n, err := testutil.GatherAndCount(Registry, "beamlens_watermark_lag_seconds"); err != nil || n != 1 {
		t.Fatalf("lag gauge with a source: %d series, %v", n, err)
	}
}

// TestObserveEventTimeSkipsNoTime: Beam's "no time" (at or before 1970)
// is not a record's event time and must not land in +Inf.
func TestObserveEventTimeSkipsNoTime(t *testing.T) {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h", Buckets: []float64{1, 10}})
	now := time.Now()
	ObserveEventTime(h, -9223372036854775, now)
	ObserveEventTime(h, 0, now)
	ObserveEventTime(h, now.Add(-5*time.Second).UnixMilli(), now)
	want := `
# HELP h 
# TYPE h histogram
h_bucket{le="1"} 0
h_bucket{le="10"} 1
h_bucket{le="+Inf"} 1
h_sum 5
h_count 1
`
	if err := testutil.CollectAndCompare(h, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// TestValueReadsCountersAndGauges: the progress line reads the counters.
func TestValueReadsCountersAndGauges(t *testing.T) {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "c"})
	c.Add(41)
	c.Inc()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"})
	g.Set(-2.5)
	if Count(c) != 42 || Value(g) != -2.5 {
		t.Errorf("counter %d, gauge %g", Count(c), Value(g))
	}
}

// TestRegistryIsValid: every registered collector gathers without a clash,
// and the Go and process collectors are there.
func TestRegistryIsValid(t *testing.T) {
	fams, err := Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range fams {
		seen[f.GetName()] = true
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "beamlens_records_read_total", "beamlens_llm_calls_total"} {
		if !seen[name] {
			t.Errorf("registry lacks %s", name)
		}
	}
}
