package pipetest

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	register.DoFn1x0[string](&collectFn{})
	beam.RegisterType(reflect.TypeOf((*collectFn)(nil)).Elem())
	register.Function2x1[beam.EventTime, events.Raw, string](DescribeRaw)
	register.Function1x1[events.Raw, string](RawData)
	register.Function1x1[events.Raw, []byte](RawBytes)
	register.Function3x0[beam.EventTime, events.Raw, func(events.Raw)](KeepReadings2025)
	register.Emitter1[events.Raw]()
}

// DescribeRaw renders an element of a source read (events.Raw) with its
// event time, for comparisons that cover the timestamp too:
// "SOURCE|EVENT_MS|DATA|SIZE|PROBLEM".
func DescribeRaw(et beam.EventTime, r events.Raw) string {
	return fmt.Sprintf("%s|%d|%s|%d|%s", r.Source, et.Milliseconds(), r.Data, r.Size, r.Problem)
}

// RawData is an element's data as a string.
func RawData(r events.Raw) string { return string(r.Data) }

// RawBytes is an element's data, as a sink writes it.
func RawBytes(r events.Raw) []byte { return r.Data }

// KeepReadings2025 passes on the elements whose data is a reading of 2025
// (Reading's kind, "timestamp":"2025-...") stamped with its own time, as
// a decoder would: a source's watermark tests read old readings mixed
// with broken and untimed records, and count in windows only these.
func KeepReadings2025(et beam.EventTime, r events.Raw, emit func(events.Raw)) {
	if et.ToTime().Year() == 2025 && strings.Contains(string(r.Data), `"timestamp":"2025-`) {
		emit(r)
	}
}

// sinks gathers what collectFn sees, by sink name: the way to look at the
// output of a pipeline that never ends. It works because prism runs the
// workers in this process (loopback).
var sinks = struct {
	sync.Mutex
	m map[string][]string
}{m: map[string][]string{}}

var sinkSeq atomic.Int64

// Sink is where a running pipeline's strings are gathered for a test to
// look at. Each NewSink has a name of its own, so that a test run again
// (go test -count=N) never sees an earlier run's elements: a sink named
// after the test alone would, and its wait conditions would hold at once.
type Sink struct{ name string }

// NewSink returns an empty sink of its own for t.
func NewSink(t testing.TB) Sink {
	return Sink{name: fmt.Sprintf("%s#%d", t.Name(), sinkSeq.Add(1))}
}

// Collect gathers col, a PCollection<string>, into the sink.
func (k Sink) Collect(s beam.Scope, col beam.PCollection) {
	beam.ParDo0(s.Scope("pipetest.Collect"), &collectFn{Sink: k.name}, col)
}

// Got returns what reached the sink so far.
func (k Sink) Got() []string {
	sinks.Lock()
	defer sinks.Unlock()
	return append([]string(nil), sinks.m[k.name]...)
}

// Len returns how many elements reached the sink so far.
func (k Sink) Len() int {
	sinks.Lock()
	defer sinks.Unlock()
	return len(sinks.m[k.name])
}

// Sum returns the sum of the sink's elements read as integers (what
// CountPerWindow gives).
func (k Sink) Sum() int {
	n := 0
	for _, s := range k.Got() {
		var v int
		fmt.Sscan(s, &v)
		n += v
	}
	return n
}

type collectFn struct{ Sink string }

func (fn *collectFn) ProcessElement(s string) {
	sinks.Lock()
	defer sinks.Unlock()
	sinks.m[fn.Sink] = append(sinks.m[fn.Sink], s)
}
