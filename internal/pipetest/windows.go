package pipetest

import (
	"strconv"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.Function1x1[beam.T, int](one)
	register.Function2x1[int, int, int](sumInts)
	register.Function1x1[int, string](strconv.Itoa)
}

func one(beam.T) int       { return 1 }
func sumInts(a, b int) int { return a + b }

// WatermarkLag is the watermark lag for a live source whose windows a
// test waits on with CountPerWindow. A caught-up source moves its
// watermark to the clock less the lag, so a record read later than the
// lag after it was stamped is late, and its window drops it: the count
// never adds up. On a loaded machine (go test -count=3 ./... on two cores)
// produce-to-read took up to 1.4s, and kafkaio's TestReadUnbounded with a
// lag of 500ms failed 5 runs in 10; 5s leaves room and still has windows
// fire within seconds.
const WatermarkLag = 5 * time.Second

// CountPerWindow counts col's elements in fixed event-time windows of size
// and returns PCollection<string>, one decimal count per window that
// fired: the sum of what reaches a Sink tells how many elements the
// watermark has let through while the pipeline runs.
func CountPerWindow(s beam.Scope, col beam.PCollection, size time.Duration) beam.PCollection {
	s = s.Scope("pipetest.CountPerWindow")
	return beam.ParDo(s, strconv.Itoa, countWindows(s, col, size))
}

// CountInWindows counts col's elements in fixed event-time windows of size
// and returns PCollection<int> in the global window: the one total of the
// windows that fired, which falls short when the watermark passed a
// window before all its elements were read (they were late and dropped).
func CountInWindows(s beam.Scope, col beam.PCollection, size time.Duration) beam.PCollection {
	s = s.Scope("pipetest.CountInWindows")
	return beam.Combine(s, sumInts, beam.WindowInto(s, window.NewGlobalWindows(), countWindows(s, col, size)))
}

// countWindows returns the count of col's elements in each fixed window of
// size that fires.
func countWindows(s beam.Scope, col beam.PCollection, size time.Duration) beam.PCollection {
	counted := beam.WindowInto(s, window.NewFixedWindows(size), beam.ParDo(s, one, col))
	return beam.Combine(s, sumInts, counted)
}
