package rawbatch

import (
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/mtime"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	t := reflect.TypeOf((*events.RawBatch)(nil)).Elem()
	beam.RegisterType(t)
	beam.RegisterCoder(t, encode, events.DecodeRawBatch)
	beam.RegisterType(reflect.TypeOf((*events.Raw)(nil)).Elem())
	register.Function2x0(records)
	register.Emitter2[beam.EventTime, events.Raw]()
}

func encode(b events.RawBatch) []byte { return b.AppendBinary(nil) }

// Records expects PCollection<events.RawBatch> and returns
// PCollection<events.Raw>: each record alone, stamped with its own event
// time (never before its batch's, the earliest).
func Records(s beam.Scope, batches beam.PCollection) beam.PCollection {
	s = s.Scope("rawbatch.Records")
	return beam.ParDo(s, records, batches)
}

func records(b events.RawBatch, emit func(beam.EventTime, events.Raw)) {
	for i := range b.Len() {
		emit(mtime.FromMilliseconds(b.Times[i]), b.Raw(i))
	}
}
