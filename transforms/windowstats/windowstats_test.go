package windowstats

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
)

func TestMain(m *testing.M) {
	ptest.MainWithDefault(m, "prism")
}

func init() {
	beam.RegisterFunction(stampReading)
	beam.RegisterFunction(summarise)
}

func stampReading(r events.Reading) (beam.EventTime, events.Reading) {
	return beam.EventTime(r.EventTimeMs), r
}

// summarise reduces a WindowStats to the exact fields a test can predict.
func summarise(w events.WindowStats) string {
	return fmt.Sprintf("%s/%s [%d,%d) n=%d mean=%g min=%g max=%g var=%g p50~%.0f",
		w.DeviceID, w.Metric, w.WindowStartMs/1000, w.WindowEndMs/1000, w.Count, w.Mean, w.Min, w.Max, w.Variance, w.Quantiles[0].Value)
}

// global re-windows for passert, which compares in the global window; the
// window bounds are already part of each summary.
func global(s beam.Scope, col beam.PCollection) beam.PCollection {
	return beam.WindowInto(s, window.NewGlobalWindows(), col)
}

func reading(dev string, sec int64, temp float64) events.Reading {
	return events.Reading{DeviceID: dev, EventTimeMs: sec * 1000,
		Metrics: []events.Metric{{Name: "temperature", Value: temp}}}
}

func TestFixedWindows(t *testing.T) {
	p, s := beam.NewPipelineWithRoot()
	in := beam.ParDo(s, stampReading, beam.Create(s,
		reading("a", 0, 10), reading("a", 30, 20), reading("a", 59, 30), // window [0,60)
		reading("a", 60, 5), // window [60,120)
		reading("b", 10, 7), reading("b", 20, 7),
	))
	out := PerKey(s, in, Options{Size: time.Minute, Quantiles: []float64{0.5}})
	passert.Equals(s, global(s, beam.ParDo(s, summarise, out)),
		"a/temperature [0,60) n=3 mean=20 min=10 max=30 var=100 p50~20",
		"a/temperature [60,120) n=1 mean=5 min=5 max=5 var=0 p50~5",
		"b/temperature [0,60) n=2 mean=7 min=7 max=7 var=0 p50~7",
	)
	ptest.RunAndValidate(t, p)
}

func TestSlidingWindows(t *testing.T) {
	p, s := beam.NewPipelineWithRoot()
	in := beam.ParDo(s, stampReading, beam.Create(s, reading("a", 0, 1), reading("a", 45, 3)))
	out := PerKey(s, in, Options{Size: time.Minute, Period: 30 * time.Second, Quantiles: []float64{0.5}})
	// Each reading is in two windows: [-30,30) and [0,60) for t=0; [0,60) and [30,90) for t=45.
	passert.Count(s, global(s, out), "windows", 3)
	passert.Equals(s, global(s, beam.ParDo(s, summarise, out)),
		"a/temperature [-30,30) n=1 mean=1 min=1 max=1 var=0 p50~1",
		"a/temperature [0,60) n=2 mean=2 min=1 max=3 var=2 p50~1",
		"a/temperature [30,90) n=1 mean=3 min=3 max=3 var=0 p50~3",
	)
	ptest.RunAndValidate(t, p)
}
