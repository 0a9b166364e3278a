package deadletter

import (
	"context"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*events.DeadLetter)(nil)).Elem())
	register.Emitter1[events.DeadLetter]()
}

var total = beam.NewCounter(metrics.Namespace, "dead_letters")

// Emit reports one bad record: it counts it and emits its dead letter. stage
// names the step that rejected it; reason says why; raw is the record as its
// source delivered it (its Size counts when Data was already cut short).
func Emit(ctx context.Context, emit func(events.DeadLetter), stage, reason string, raw events.Raw) {
	Count(ctx, stage, 1)
	emit(New(stage, reason, raw))
}

// New returns the dead letter of one bad record without counting it (see
// Emit), for code that makes dead letters off the bundle's goroutine, where
// Beam's counters may not be touched, and counts them with Count after.
func New(stage, reason string, raw events.Raw) events.DeadLetter {
	d := events.NewDeadLetter(stage, reason, raw.Data, raw.Source)
	d.RawBytes = max(d.RawBytes, raw.Size)
	return d
}

// Count adds n dead letters of stage to the counters Emit keeps. Call it on
// the bundle's goroutine: Beam's counters are not safe for concurrent use.
func Count(ctx context.Context, stage string, n int64) {
	if n == 0 {
		return
	}
	total.Inc(ctx, n)
	metrics.DeadLettersEmitted.Add(float64(n))
	beam.NewCounter(metrics.Namespace, "dead_letters_"+stage).Inc(ctx, n)
}

// Flatten merges the dead-letter outputs of several stages into one
// PCollection<events.DeadLetter>.
func Flatten(s beam.Scope, cols ...beam.PCollection) beam.PCollection {
	s = s.Scope("deadletter.Flatten")
	if len(cols) == 1 {
		return cols[0]
	}
	return beam.Flatten(s, cols...)
}
