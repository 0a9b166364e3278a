package jsonl

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/events"
)

// Appender is a record that writes itself as one JSON object.
type Appender interface {
	AppendJSON(dst []byte) []byte
}

func init() {
	RegisterFormat[events.Anomaly]()
	RegisterFormat[events.DeadLetter]()
	RegisterFormat[events.ReviewWithThemes]()
	RegisterFormat[events.ThemeCount]()
	RegisterFormat[events.ThemeAlert]()
	RegisterFormat[events.WindowStats]()
}

// RegisterFormat registers Format's DoFn for T; call it from the init of the
// package that owns T, before Format[T] is used in a pipeline.
func RegisterFormat[T Appender]() {
	register.DoFn1x1[T, []byte](&formatFn[T]{})
}

// Format turns a PCollection<T> of records into PCollection<[]byte> of their
// JSON form, ready for Write or a message sink.
func Format[T Appender](s beam.Scope, col beam.PCollection) beam.PCollection {
	s = s.Scope("jsonl.Format")
	return beam.ParDo(s, &formatFn[T]{}, col)
}

type formatFn[T Appender] struct{}

func (fn *formatFn[T]) ProcessElement(v T) []byte { return v.AppendJSON(nil) }
