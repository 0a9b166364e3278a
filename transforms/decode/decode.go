package decode

import (
	"context"
	"reflect"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/deadletter"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*events.Reading)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*events.Review)(nil)).Elem())
	register.DoFn4x0[context.Context, events.Raw, func(beam.EventTime, events.Reading), func(events.DeadLetter)](&readingsFn{})
	register.DoFn4x0[context.Context, events.Raw, func(beam.EventTime, events.Review), func(events.DeadLetter)](&reviewsFn{})
	register.Emitter2[beam.EventTime, events.Reading]()
	register.Emitter2[beam.EventTime, events.Review]()
}

// Stage is the dead-letter stage of a record that failed decoding; records
// a source rejected (too long) carry StageRead.
const (
	Stage     = "decode"
	StageRead = "read"
)

// Options tunes decoding. The zero value is the default.
type Options struct {
	// MaxFuture is how far past the wall clock an event time may be.
	// Default events.DefaultMaxFuture (5m); negative disables the check.
	MaxFuture time.Duration
}

var (
	readCounter    = beam.NewCounter(deadletter.Namespace, "records_read")
	decodedCounter = beam.NewCounter(deadletter.Namespace, "records_parsed")
)

// Readings decodes PCollection<events.Raw> into PCollection<events.Reading>,
// each stamped with its event time, and PCollection<events.DeadLetter>.
func Readings(s beam.Scope, raws beam.PCollection, opts Options) (readings, dead beam.PCollection) {
	s = s.Scope("decode.Readings")
	return beam.ParDo2(s, &readingsFn{MaxFutureMs: opts.MaxFuture.Milliseconds()}, raws)
}

// Reviews decodes PCollection<events.Raw> into PCollection<events.Review>,
// each stamped with its event time, and PCollection<events.DeadLetter>.
func Reviews(s beam.Scope, raws beam.PCollection, opts Options) (reviews, dead beam.PCollection) {
	s = s.Scope("decode.Reviews")
	return beam.ParDo2(s, &reviewsFn{MaxFutureMs: opts.MaxFuture.Milliseconds()}, raws)
}

// decodeOptions rebuilds the decoders' options from the DoFn's field.
func decodeOptions(maxFutureMs int64) events.DecodeOptions {
	return events.DecodeOptions{MaxFuture: time.Duration(maxFutureMs) * time.Millisecond}
}

// accept counts a raw record and returns it for decoding, or dead-letters
// it when its source already rejected it.
func accept(ctx context.Context, raw events.Raw, dead func(events.DeadLetter)) bool {
	readCounter.Inc(ctx, 1)
	if raw.Problem != "" {
		deadletter.Emit(ctx, dead, StageRead, raw.Problem, raw)
		return false
	}
	return true
}

// decoded reports whether decoding succeeded, dead-lettering the record
// with the decoder's reason when it did not.
func decoded(ctx context.Context, raw events.Raw, err error, dead func(events.DeadLetter)) bool {
	if err != nil {
		deadletter.Emit(ctx, dead, Stage, err.Error(), raw)
		return false
	}
	decodedCounter.Inc(ctx, 1)
	return true
}

type readingsFn struct {
	MaxFutureMs int64
	dec         *events.ReadingDecoder
}

func (fn *readingsFn) Setup() {
	fn.dec = &events.ReadingDecoder{Options: decodeOptions(fn.MaxFutureMs)}
}

func (fn *readingsFn) ProcessElement(ctx context.Context, raw events.Raw, emit func(beam.EventTime, events.Reading), dead func(events.DeadLetter)) {
	if !accept(ctx, raw, dead) {
		return
	}
	r, err := fn.dec.Decode(raw.Data)
	if decoded(ctx, raw, err, dead) {
		r.Source = raw.Source
		emit(beam.EventTime(r.EventTimeMs), r)
	}
}

type reviewsFn struct {
	MaxFutureMs int64
	dec         *events.ReviewDecoder
}

func (fn *reviewsFn) Setup() {
	fn.dec = &events.ReviewDecoder{Options: decodeOptions(fn.MaxFutureMs)}
}

func (fn *reviewsFn) ProcessElement(ctx context.Context, raw events.Raw, emit func(beam.EventTime, events.Review), dead func(events.DeadLetter)) {
	if !accept(ctx, raw, dead) {
		return
	}
	r, err := fn.dec.Decode(raw.Data)
	if decoded(ctx, raw, err, dead) {
		r.Source = raw.Source
		emit(beam.EventTime(r.EventTimeMs), r)
	}
}
