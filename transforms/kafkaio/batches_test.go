package kafkaio

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
	"github.com/twmb/franz-go/pkg/kgo"
)

func init() {
	register.Function3x0[beam.EventTime, events.RawBatch, func(string)](checkBatch)
	register.Emitter1[string]()
}

// checkBatch emits each record of b as "SOURCE|EVENT_MS", and a complaint
// when b's element timestamp is not its earliest record's.
func checkBatch(et beam.EventTime, b events.RawBatch, emit func(string)) {
	if et.Milliseconds() != b.Earliest() {
		emit(fmt.Sprintf("batch %s at %d, its earliest record at %d", b.Source(0), et.Milliseconds(), b.Earliest()))
	}
	for i := range b.Len() {
		emit(fmt.Sprintf("%s|%d", b.Source(i), b.Times[i]))
	}
}

// ReadBatches stamps each poll's batch with its earliest record's event
// time, not its first record's: records out of time order in a partition
// (a producer's clock, a replay) would otherwise be behind their element,
// and late for no reason of their own.
func TestReadBatchesStampsTheEarliestEventTime(t *testing.T) {
	const topic = "skewed"
	_, brokers := newCluster(t, topic, 1)
	base := time.UnixMilli(1_700_000_000_000)
	var want []any
	var times []time.Time
	for i := range 50 {
		ts := base.Add(time.Duration((i*37+13)%50) * time.Second) // out of order, the first not the earliest
		times = append(times, ts)
		want = append(want, fmt.Sprintf("kafka://%s/0@%d|%d", topic, i, ts.UnixMilli()))
	}
	produceAt(t, brokers, topic, times...)

	p, s := beam.NewPipelineWithRoot()
	batches := ReadBatches(s, ReadOptions{Brokers: brokers, Topic: topic, Bounded: true})
	passert.Equals(s, beam.ParDo(s, checkBatch, batches), want...)
	ptest.RunAndValidate(t, p)
}

// An oversize value comes in its batch cut to what a dead letter keeps,
// with the problem that makes it one and its full size.
func TestReadBatchesCutsOversizeValues(t *testing.T) {
	big := make([]byte, events.MaxRecordBytes+1)
	var b events.RawBatch
	addRecord(&b, &kgo.Record{Offset: 7, Value: big}, 1)
	if got := b.Raw(0); len(got.Data) != events.MaxDeadLetterRaw || got.Size != int64(len(big)) || got.Problem == "" {
		t.Errorf("oversize record in its batch: %d bytes kept, size %d, problem %q", len(got.Data), got.Size, got.Problem)
	}
}
