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

// CountPerWindow counts col's elements in fixed event-time windows of size
// and returns PCollection<string>, one decimal count per window that
// fired: the sum of what reaches a Sink tells how many elements the
// watermark has let through while the pipeline runs.
func CountPerWindow(s beam.Scope, col beam.PCollection, size time.Duration) beam.PCollection {
	s = s.Scope("pipetest.CountPerWindow")
	counted := beam.WindowInto(s, window.NewFixedWindows(size), beam.ParDo(s, one, col))
	return beam.ParDo(s, strconv.Itoa, beam.Combine(s, sumInts, counted))
}
