package sourcetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/filter"
	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/beamlens/beamlens/internal/pipetest"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	register.DoFn1x1[events.Raw, error](&failFn{})
}

// Case names one conformance case.
type Case string

// The cases every source is held to.
const (
	// BoundedRead: a read of what the source holds ends, and gives every
	// record once, with a non-empty Source naming where it came from.
	BoundedRead Case = "BoundedRead"
	// UnboundedPickup: a read that does not end gives the records added
	// while it runs, each once.
	UnboundedPickup Case = "UnboundedPickup"
	// Restart: a second run, after records were added while none ran,
	// reads exactly those records.
	Restart Case = "Restart"
	// Redelivery: the records of a run that failed downstream are all
	// read by the next run: none is lost.
	Redelivery Case = "Redelivery"
	// Watermark: while a read runs, its watermark moves far enough for
	// event-time windows to fire for every record read.
	Watermark Case = "Watermark"
)

// Cases lists every case, in the order Run runs them.
var Cases = []Case{BoundedRead, UnboundedPickup, Restart, Redelivery, Watermark}

// ReadMode says how a case reads a Stream.
type ReadMode struct {
	// Bounded: read what the stream holds now, then end. Otherwise the
	// read runs until its pipeline is cancelled.
	Bounded bool
	// Resume: continue where the previous Resume read of the stream left
	// off (a Kafka group's committed offsets, a Pub/Sub subscription's
	// acknowledgements) rather than from the start.
	Resume bool
	// WatermarkLag is the read's watermark lag (the source's
	// ReadOptions.WatermarkLag): the suite's waits for event-time windows
	// hold only if it leaves room for a loaded machine
	// (pipetest.WatermarkLag). 0, on bounded reads: the source's default.
	WatermarkLag time.Duration
}

// Stream is one fresh place of a source's, holding records for one case.
type Stream interface {
	// Add appends records to the stream, in order.
	Add(t testing.TB, records [][]byte)
	// Read reads the stream; returns PCollection<events.Raw>.
	Read(s beam.Scope, mode ReadMode) beam.PCollection
	// Settle is called between a failed run and the next: what the
	// failed run held (Pub/Sub leases) is released.
	Settle(t testing.TB)
}

// Source is a source under test.
type Source struct {
	// New returns a fresh, empty stream for one case.
	New func(t testing.TB) Stream
	// NotApplicable names the cases that do not apply to the source, each
	// with the reason, which Run reports.
	NotApplicable map[Case]string
}

// Run runs every case against src, a subtest each.
func Run(t *testing.T, src Source) {
	for _, c := range Cases {
		t.Run(string(c), func(t *testing.T) {
			if why, ok := src.NotApplicable[c]; ok {
				t.Skipf("does not apply to this source: %s", why)
			}
			cases[c](t, src.New(t))
		})
	}
}

var cases = map[Case]func(*testing.T, Stream){
	BoundedRead:     boundedRead,
	UnboundedPickup: unboundedPickup,
	Restart:         restart,
	Redelivery:      redelivery,
	Watermark:       watermark,
}

// want is the expected multiset of data, as passert and SameSet take it.
func want(records ...[][]byte) []any {
	var out []any
	for _, rs := range records {
		for _, r := range rs {
			out = append(out, string(r))
		}
	}
	return out
}

func boundedRead(t *testing.T, st Stream) {
	recs := brokertest.Readings(0, 200)
	st.Add(t, recs)
	p, s := beam.NewPipelineWithRoot()
	raws := st.Read(s, ReadMode{Bounded: true})
	passert.Equals(s, beam.ParDo(s, pipetest.RawData, raws), want(recs)...)
	sources := beam.ParDo(s, sourceOf, raws)
	passert.True(s, sources, nonEmpty)
	passert.Count(s, filter.Distinct(s, sources), "distinct sources", len(recs))
	ptest.RunAndValidate(t, p)
}

func unboundedPickup(t *testing.T, st Stream) {
	before := brokertest.Readings(0, 20)
	st.Add(t, before)
	p, s := beam.NewPipelineWithRoot()
	sink := pipetest.NewSink(t)
	sink.Collect(s, beam.ParDo(s, pipetest.RawData, st.Read(s, ReadMode{WatermarkLag: pipetest.WatermarkLag})))
	done := pipetest.Start(t, p)

	pipetest.WaitRunning(t, done, time.Minute, "the records added before the start", func() bool { return sink.Len() >= len(before) })
	all := before
	for round := range 2 {
		later := brokertest.Readings(100+20*round, 20)
		st.Add(t, later)
		all = append(all, later...)
		pipetest.WaitRunning(t, done, time.Minute, "the records added while running", func() bool { return sink.Len() >= len(all) })
	}
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show up
	pipetest.SameSet(t, sink.Got(), want(all))
}

func restart(t *testing.T, st Stream) {
	first, second := brokertest.Readings(0, 50), brokertest.Readings(50, 30)
	st.Add(t, first)
	p, s := beam.NewPipelineWithRoot()
	passert.Equals(s, beam.ParDo(s, pipetest.RawData, st.Read(s, ReadMode{Bounded: true, Resume: true})), want(first)...)
	ptest.RunAndValidate(t, p)

	st.Add(t, second)
	p, s = beam.NewPipelineWithRoot()
	passert.Equals(s, beam.ParDo(s, pipetest.RawData, st.Read(s, ReadMode{Bounded: true, Resume: true})), want(second)...)
	ptest.RunAndValidate(t, p)
}

// failFn fails every element, as a downstream transform whose bundle
// cannot complete.
type failFn struct{}

func (failFn) ProcessElement(events.Raw) error { return fmt.Errorf("sourcetest: downstream failure") }

func redelivery(t *testing.T, st Stream) {
	recs := brokertest.Readings(0, 50)
	st.Add(t, recs)
	p, s := beam.NewPipelineWithRoot()
	// The failing run reads without end: a bounded Kafka read commits its
	// end offsets as it reaches them, before its bundle is committed
	// (kafkaio.Read's doc), so a bounded run that fails right there is
	// the one case where a restart skips records.
	beam.ParDo0(s, &failFn{}, st.Read(s, ReadMode{Resume: true, WatermarkLag: pipetest.WatermarkLag}))
	if err := ptest.Run(p); err == nil || !strings.Contains(err.Error(), "downstream failure") {
		t.Fatalf("run with a failing bundle: err %v, want the downstream failure", err)
	}
	st.Settle(t)
	p, s = beam.NewPipelineWithRoot()
	passert.Equals(s, beam.ParDo(s, pipetest.RawData, st.Read(s, ReadMode{Bounded: true, Resume: true})), want(recs)...)
	ptest.RunAndValidate(t, p)
}

func watermark(t *testing.T, st Stream) {
	recs := brokertest.Readings(0, 30)
	st.Add(t, recs)
	p, s := beam.NewPipelineWithRoot()
	raws := st.Read(s, ReadMode{WatermarkLag: pipetest.WatermarkLag})
	windows := pipetest.NewSink(t)
	windows.Collect(s, pipetest.CountPerWindow(s, raws, time.Second))
	done := pipetest.Start(t, p)

	pipetest.WaitRunning(t, done, time.Minute, "event-time windows to fire for the records added before the start", func() bool { return windows.Sum() == len(recs) })
	later := brokertest.Readings(100, 10)
	st.Add(t, later)
	pipetest.WaitRunning(t, done, time.Minute, "event-time windows to fire for the records added while running", func() bool { return windows.Sum() == len(recs)+len(later) })
}

func init() {
	register.Function1x1[events.Raw, string](sourceOf)
	register.Function1x1[string, bool](nonEmpty)
}

func sourceOf(r events.Raw) string { return r.Source }
func nonEmpty(s string) bool       { return s != "" }
