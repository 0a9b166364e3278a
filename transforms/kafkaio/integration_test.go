package kafkaio

import (
	"context"
	"fmt"
	"github.com/beamlens/beamlens/internal/pipetest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestIntegrationKafka runs Write and Read against a real broker: start one
// with scripts/kafka.sh start and set KAFKA_BOOTSTRAP to what it prints.
func TestIntegrationKafka(t *testing.T) {
	bootstrap := os.Getenv("KAFKA_BOOTSTRAP")
	if bootstrap == "" {
		t.Skip("KAFKA_BOOTSTRAP is not set: start a broker with scripts/kafka.sh start and export what it prints")
	}
	brokers := strings.Split(bootstrap, ",")
	const parts, n = 3, 50_000
	topic := fmt.Sprintf("beamlens-it-%d", time.Now().UnixNano())
	group := topic + "-group"
	adm := kadm.NewClient(newClient(t, brokers))
	ctx := context.Background()
	if _, err := adm.CreateTopic(ctx, parts, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adm.DeleteTopics(context.Background(), topic) })

	recs := jsonRecords(n, 100)
	t.Run("Write", func(t *testing.T) {
		p, s := beam.NewPipelineWithRoot()
		Write(s, WriteOptions{Brokers: brokers, Topic: topic, KeyField: "device_id"}, beam.CreateList(s, recs))
		start := time.Now()
		ptest.RunAndValidate(t, p)
		t.Logf("wrote %d records in %v (%.0f records/s, pipeline start included)", n, time.Since(start), n/time.Since(start).Seconds())
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
		if total != n {
			t.Fatalf("the topic holds %d records, want %d", total, n)
		}
	})

	t.Run("ReadBounded", func(t *testing.T) {
		p, s := beam.NewPipelineWithRoot()
		raws := Read(s, ReadOptions{Brokers: brokers, Topic: topic, Bounded: true, Group: group})
		want := make([]any, n)
		for i, r := range recs {
			want[i] = string(r)
		}
		passert.Equals(s, beam.ParDo(s, pipetest.RawData, raws), want...)
		start := time.Now()
		ptest.RunAndValidate(t, p)
		t.Logf("read %d records in %v (%.0f records/s, pipeline start and passert included)", n, time.Since(start), n/time.Since(start).Seconds())
		var committed int64
		for _, off := range committedOffsetsOf(t, brokers, group, topic) {
			committed += off
		}
		if committed != n {
			t.Errorf("the group committed %d offsets in total, want %d", committed, n)
		}
	})

	t.Run("ReadUnboundedFromCommitted", func(t *testing.T) {
		p, s := beam.NewPipelineWithRoot()
		raws := Read(s, ReadOptions{Brokers: brokers, Topic: topic, Group: group, Start: Committed, IdleDelay: 100 * time.Millisecond})
		sink := pipetest.NewSink(t)
		sink.Collect(s, beam.ParDo(s, pipetest.DescribeRaw, raws))
		done := pipetest.Start(t, p)
		time.Sleep(2 * time.Second) // started, caught up with the committed offsets
		cl := newClient(t, brokers, kgo.DefaultProduceTopic(topic))
		var later []*kgo.Record
		for i := range 300 {
			later = append(later, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, `{"device_id":"late","seq":%d}`, i)})
		}
		if err := cl.ProduceSync(ctx, later...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		pipetest.WaitRunning(t, done, time.Minute, "the records produced while running", func() bool { return sink.Len() >= len(later) })
		time.Sleep(500 * time.Millisecond)
		pipetest.SameSet(t, sink.Got(), describeAll(later))
	})

	t.Run("ReadThroughput", func(t *testing.T) {
		const n = 300_000
		big := topic + "-big"
		if _, err := adm.CreateTopic(ctx, parts, 1, nil, big); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { adm.DeleteTopics(context.Background(), big) })
		produceSensors(t, brokers, big, parts, n)
		for run := range 2 {
			counted.Store(0)
			p, s := beam.NewPipelineWithRoot()
			beam.ParDo0(s, &countFn{}, Read(s, ReadOptions{Brokers: brokers, Topic: big, Bounded: true}))
			start := time.Now()
			ptest.RunAndValidate(t, p)
			if got := counted.Load(); got != n {
				t.Fatalf("read %d records, want %d", got, n)
			}
			t.Logf("run %d: read %d records in %v: %.0f records/s (pipeline start included)", run, n, time.Since(start), n/time.Since(start).Seconds())
		}
	})
}
