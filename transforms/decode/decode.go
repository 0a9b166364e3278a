package decode

import (
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/deadletter"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*events.Reading)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*events.Review)(nil)).Elem())
	register.DoFn4x1[context.Context, events.Raw, func(beam.EventTime, events.Reading), func(events.DeadLetter), error](&readingsFn{})
	register.DoFn4x1[context.Context, events.Raw, func(beam.EventTime, events.Review), func(events.DeadLetter), error](&reviewsFn{})
	register.Emitter2[beam.EventTime, events.Reading]()
	register.Emitter2[beam.EventTime, events.Review]()
}

// Stage is the dead-letter stage of a record that failed decoding; records
// a source rejected (too long) carry StageRead.
const (
	Stage     = "decode"
	StageRead = "read"
)

// Options tunes decoding: field mapping, metrics, timestamp units and
// layouts, Schema Registry framing. It is events.DecodeOptions (see there
// for every field and its default), so that any stage that decodes carries
// the same mapping; the zero value is the default.
type Options = events.DecodeOptions

var (
	readCounter    = beam.NewCounter(metrics.Namespace, "records_read")
	decodedCounter = beam.NewCounter(metrics.Namespace, "records_parsed")
	coercedCounter = beam.NewCounter(metrics.Namespace, "coerced")
)

// Readings decodes PCollection<events.Raw> into PCollection<events.Reading>,
// each stamped with its event time, and PCollection<events.DeadLetter>.
// Readings that carry none of opts.Required are dead letters; when most of
// a worker's first readings are, a hint naming the closest field goes to
// stderr once per process.
func Readings(s beam.Scope, raws beam.PCollection, opts Options) (readings, dead beam.PCollection) {
	s = s.Scope("decode.Readings")
	mustValidate("decode.Readings", opts)
	return beam.ParDo2(s, &readingsFn{Opts: opts}, raws)
}

// Reviews decodes PCollection<events.Raw> into PCollection<events.Review>,
// each stamped with its event time, and PCollection<events.DeadLetter>.
func Reviews(s beam.Scope, raws beam.PCollection, opts Options) (reviews, dead beam.PCollection) {
	s = s.Scope("decode.Reviews")
	mustValidate("decode.Reviews", opts)
	return beam.ParDo2(s, &reviewsFn{Opts: opts}, raws)
}

func mustValidate(fn string, opts Options) {
	if err := opts.Validate(); err != nil {
		panic(fn + ": " + err.Error())
	}
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
// with the decoder's reason when the record was at fault. Any other error
// (a Schema Registry out of reach) fails the bundle, so that the runner
// retries it rather than losing good records.
func decoded(ctx context.Context, raw events.Raw, err error, dead func(events.DeadLetter)) (bool, error) {
	if err != nil {
		if !events.IsFieldError(err) {
			return false, fmt.Errorf("decode %s: %w", raw.Source, err)
		}
		deadletter.Emit(ctx, dead, Stage, err.Error(), raw)
		return false, nil
	}
	decodedCounter.Inc(ctx, 1)
	return true, nil
}

// hintOnce prints the missing-metric hint once per process.
var hintOnce sync.Once

// HintOutput is where the missing-metric hint goes. Default os.Stderr.
var HintOutput io.Writer = os.Stderr

func showHint(h string) {
	if h != "" {
		hintOnce.Do(func() { fmt.Fprintln(HintOutput, "beamlens: "+h) })
	}
}

type readingsFn struct {
	Opts events.DecodeOptions
	dec  *events.ReadingDecoder
}

func (fn *readingsFn) Setup() {
	fn.dec = &events.ReadingDecoder{Options: fn.Opts}
}

func (fn *readingsFn) ProcessElement(ctx context.Context, raw events.Raw, emit func(beam.EventTime, events.Reading), dead func(events.DeadLetter)) error {
	if !accept(ctx, raw, dead) {
		return nil
	}
	r, err := fn.dec.Decode(raw.Data)
	ok, err := decoded(ctx, raw, err, dead)
	if n := fn.dec.TakeCoerced(); n > 0 {
		coercedCounter.Inc(ctx, int64(n))
		metrics.Coerced.Add(float64(n))
	}
	if ok {
		r.Source = raw.Source
		emit(beam.EventTime(r.EventTimeMs), r)
	} else {
		showHint(fn.dec.MissingHint(false))
	}
	return err
}

// FinishBundle gives the hint for inputs shorter than its sample.
func (fn *readingsFn) FinishBundle(func(beam.EventTime, events.Reading), func(events.DeadLetter)) {
	showHint(fn.dec.MissingHint(true))
}

type reviewsFn struct {
	Opts events.DecodeOptions
	dec  *events.ReviewDecoder
}

func (fn *reviewsFn) Setup() {
	fn.dec = &events.ReviewDecoder{Options: fn.Opts}
}

func (fn *reviewsFn) ProcessElement(ctx context.Context, raw events.Raw, emit func(beam.EventTime, events.Review), dead func(events.DeadLetter)) error {
	if !accept(ctx, raw, dead) {
		return nil
	}
	r, err := fn.dec.Decode(raw.Data)
	ok, err := decoded(ctx, raw, err, dead)
	if ok {
		r.Source = raw.Source
		emit(beam.EventTime(r.EventTimeMs), r)
	}
	return err
}

// AfterReading does what every reading decoder owes the job after a
// record: it counts the metric values dec read from strings, and, when
// decoding failed, gives the missing-metric hint once per process. Stages
// that decode readings themselves (transforms/fused) call it, or, off the
// bundle's goroutine, tally dec.TakeCoerced() for CountCoerced and call
// HintFailure.
func AfterReading(ctx context.Context, dec *events.ReadingDecoder, failed bool) {
	CountCoerced(ctx, int64(dec.TakeCoerced()))
	if failed {
		HintFailure(dec)
	}
}

// CountCoerced adds n metric values read from strings to the counters. Call
// it on the bundle's goroutine: Beam's counters are not safe for concurrent
// use.
func CountCoerced(ctx context.Context, n int64) {
	if n > 0 {
		coercedCounter.Inc(ctx, n)
		metrics.Coerced.Add(float64(n))
	}
}

// HintFailure gives dec's missing-metric hint after a failed record, once
// per process. Safe for concurrent use.
func HintFailure(dec *events.ReadingDecoder) { showHint(dec.MissingHint(false)) }

// FinishReadings gives the hint for inputs shorter than its sample.
func FinishReadings(dec *events.ReadingDecoder) { showHint(dec.MissingHint(true)) }
