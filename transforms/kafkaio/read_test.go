package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"github.com/beamlens/beamlens/internal/pipetest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

// A bounded read of a multi-partition topic gives every record exactly
// once, with its source, value and timestamp as event time.
func TestReadBounded(t *testing.T) {
	const topic, parts = "sensor_data", 3
	_, brokers := newCluster(t, topic, parts)
	recs := produce(t, brokers, topic, parts, 0, 1000)

	p, s := beam.NewPipelineWithRoot()
	raws := Read(s, ReadOptions{Brokers: brokers, Topic: topic, Bounded: true, BatchRecords: 100})
	passert.Equals(s, beam.ParDo(s, pipetest.DescribeRaw, raws), describeAll(recs)...)
	ptest.RunAndValidate(t, p)
}

// An unbounded read delivers records produced while it runs, and moves the
// watermark on partitions that receive nothing, so event-time windows fire
// while the pipeline runs.
func TestReadUnbounded(t *testing.T) {
	const topic, parts = "live", 3
	_, brokers := newCluster(t, topic, parts)
	before := produce(t, brokers, topic, parts, 0, 30)

	p, s := beam.NewPipelineWithRoot()
	raws := Read(s, ReadOptions{Brokers: brokers, Topic: topic, IdleDelay: 100 * time.Millisecond, WatermarkLag: pipetest.WatermarkLag})
	sink, windows := pipetest.NewSink(t), pipetest.NewSink(t)
	sink.Collect(s, beam.ParDo(s, pipetest.DescribeRaw, raws))
	windows.Collect(s, pipetest.CountPerWindow(s, raws, time.Second))

	done := pipetest.Start(t, p)

	pipetest.WaitRunning(t, done, time.Minute, "the records produced before the start", func() bool { return sink.Len() >= len(before) })
	var after []*kgo.Record
	for round := range 3 {
		// Only partition 0 gets records now: 1 and 2 are idle.
		recs := produce(t, brokers, topic, 1, 100+10*round, 10)
		produced := time.Now()
		after = append(after, recs...)
		want := len(before) + len(after)
		pipetest.WaitRunning(t, done, 30*time.Second, "the records produced while running", func() bool { return sink.Len() >= want })
		t.Logf("round %d: produce-to-collect latency %v", round, time.Since(produced))
	}
	all := append(before, after...)
	pipetest.WaitRunning(t, done, 30*time.Second, "the records produced while running", func() bool { return sink.Len() >= len(all) })
	pipetest.WaitRunning(t, done, 30*time.Second, "event-time windows to fire for every record", func() bool { return windows.Sum() == len(all) })
	time.Sleep(500 * time.Millisecond) // room for a duplicate to show up
	pipetest.SameSet(t, sink.Got(), describeAll(all))
}

// With MaxRecordsPerPartition the read is bounded by count: it waits for
// records produced after it started and finishes when every partition has
// given its share.
func TestReadMaxRecordsWaitsForLaterRecords(t *testing.T) {
	const topic, parts = "count", 2
	_, brokers := newCluster(t, topic, parts)
	before := produce(t, brokers, topic, parts, 0, 10)

	p, s := beam.NewPipelineWithRoot()
	raws := Read(s, ReadOptions{Brokers: brokers, Topic: topic, MaxRecordsPerPartition: 20, IdleDelay: 100 * time.Millisecond})
	sink := pipetest.NewSink(t)
	sink.Collect(s, beam.ParDo(s, pipetest.DescribeRaw, raws))

	done := pipetest.RunAsync(context.Background(), p)
	pipetest.WaitRunning(t, done, time.Minute, "the first records", func() bool { return sink.Len() == len(before) })
	time.Sleep(time.Second)
	select {
	case err := <-done:
		t.Fatalf("the read finished before its partitions had 20 records each (err %v)", err)
	default:
	}
	after := produce(t, brokers, topic, parts, 10, 40) // 20 per partition: 15 wanted, 5 beyond
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the read did not finish after its partitions got 20 records each")
	}
	var want []*kgo.Record
	for _, r := range append(before, after...) {
		if r.Offset < 20 {
			want = append(want, r)
		}
	}
	pipetest.SameSet(t, sink.Got(), describeAll(want))
}

// A read with a group commits its progress; a new pipeline starting from
// the committed offsets reads exactly what the first did not.
func TestReadRestartsFromCommittedOffsets(t *testing.T) {
	const topic, parts, group = "resume", 3, "beamlens-test"
	_, brokers := newCluster(t, topic, parts)
	first := produce(t, brokers, topic, parts, 0, 300)

	opts := ReadOptions{Brokers: brokers, Topic: topic, Group: group, Start: Committed,
		BatchRecords: 25, IdleDelay: 100 * time.Millisecond}
	p, s := beam.NewPipelineWithRoot()
	sink := pipetest.NewSink(t)
	sink.Collect(s, beam.ParDo(s, pipetest.DescribeRaw, Read(s, opts)))
	ctx, cancel := context.WithCancel(context.Background())
	done := pipetest.RunAsync(ctx, p)
	pipetest.WaitRunning(t, done, time.Minute, "the first run to read its records", func() bool { return sink.Len() >= len(first) })
	// Once caught up, each resumed range commits where it resumes: the end.
	pipetest.WaitRunning(t, done, 30*time.Second, "the group to commit the end offsets", func() bool {
		c := committedOffsetsOf(t, brokers, group, topic)
		return c[0] == 100 && c[1] == 100 && c[2] == 100
	})
	pipetest.Stop(t, cancel, done)
	pipetest.SameSet(t, sink.Got(), describeAll(first))

	// Records produced while no pipeline runs.
	second := produce(t, brokers, topic, parts, 300, 150)
	opts.Bounded = true
	p, s = beam.NewPipelineWithRoot()
	passert.Equals(s, beam.ParDo(s, pipetest.DescribeRaw, Read(s, opts)), describeAll(second)...)
	ptest.RunAndValidate(t, p)
	if c := committedOffsetsOf(t, brokers, group, topic); c[0] != 150 || c[1] != 150 || c[2] != 150 {
		t.Errorf("after the bounded run the group's offsets are %v, want 150 each", c)
	}
}

// Dropped connections and retriable error codes from the broker are
// retried: the read still gives every record exactly once.
func TestReadRetriesBrokerErrors(t *testing.T) {
	const topic, parts = "flaky", 3
	c, brokers := newCluster(t, topic, parts)
	recs := produce(t, brokers, topic, parts, 0, 600)

	var listDrops, fetchErrs atomic.Int32
	c.ControlKey(int16(kmsg.ListOffsets), func(kmsg.Request) (kmsg.Response, error, bool) {
		if listDrops.Add(1) > 2 {
			c.DropControl()
			return nil, nil, false
		}
		c.KeepControl()
		return nil, errors.New("injected: connection dropped"), true
	})
	c.ControlKey(int16(kmsg.Fetch), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		if fetchErrs.Add(1) > 3 {
			c.DropControl()
			return nil, nil, false
		}
		c.KeepControl()
		req := kreq.(*kmsg.FetchRequest)
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		for _, rt := range req.Topics {
			t := kmsg.NewFetchResponseTopic()
			t.Topic, t.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				p := kmsg.NewFetchResponseTopicPartition()
				p.Partition = rp.Partition
				p.ErrorCode = kerr.NotLeaderForPartition.Code
				t.Partitions = append(t.Partitions, p)
			}
			resp.Topics = append(resp.Topics, t)
		}
		return resp, nil, true
	})
	metaFaults := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Metadata}, Topic: topic, Err: kerr.LeaderNotAvailable, Count: 2})

	p, s := beam.NewPipelineWithRoot()
	raws := Read(s, ReadOptions{Brokers: brokers, Topic: topic, Bounded: true, BatchRecords: 100})
	passert.Equals(s, beam.ParDo(s, pipetest.DescribeRaw, raws), describeAll(recs)...)
	ptest.RunAndValidate(t, p)
	if listDrops.Load() < 2 || fetchErrs.Load() < 3 || metaFaults.Hits() < 2 {
		t.Errorf("injected %d dropped ListOffsets, %d failed fetches and %d failed metadata requests, want 2, 3 and 2",
			listDrops.Load(), fetchErrs.Load(), metaFaults.Hits())
	}
}

// A missing topic fails the pipeline with ErrTopicNotFound's message
// rather than waiting forever.
func TestReadMissingTopic(t *testing.T) {
	defer func(old time.Duration) { unknownTopicGrace = old }(unknownTopicGrace)
	unknownTopicGrace = time.Second
	_, brokers := newCluster(t, "present", 1)
	p, s := beam.NewPipelineWithRoot()
	Read(s, ReadOptions{Brokers: brokers, Topic: "absent", Bounded: true})
	err := ptest.Run(p)
	if err == nil || !strings.Contains(err.Error(), ErrTopicNotFound.Error()) {
		t.Fatalf("got %v, want an error saying %q", err, ErrTopicNotFound)
	}
}

// TestReadWatermarkMovesOnlyWithEventTimes reads old readings (2025,
// one a second) with malformed records, tombstones and a reading stamped
// 10 h ahead of the clock among them, in small batches so that the
// watermark moves between bundles: one-minute event-time windows must
// count every reading. A record without an event time used to move the
// watermark to its Kafka timestamp, the present, and every reading read
// after it was dropped as late.
func TestReadWatermarkMovesOnlyWithEventTimes(t *testing.T) {
	const topic = "replay"
	_, brokers := newCluster(t, topic, 1)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var recs []*kgo.Record
	good := 0
	for i := range 600 {
		v := fmt.Appendf(nil, `{"device_id":"d","timestamp":%q,"temperature":20}`, base.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
		switch {
		case i%50 == 7:
			v = []byte(`{"device_id":"d","timestamp":`) // cut short
		case i%50 == 19:
			v = []byte(`{"device_id":"d","temperature":20}`) // no time
		case i%50 == 31:
			v = nil // a tombstone
		case i == 100:
			v = fmt.Appendf(nil, `{"device_id":"skewed","timestamp":%q}`, time.Now().Add(10*time.Hour).Format(time.RFC3339))
		default:
			good++
		}
		recs = append(recs, &kgo.Record{Topic: topic, Value: v})
	}
	cl := newClient(t, brokers, kgo.ProducerLinger(0))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	p, s := beam.NewPipelineWithRoot()
	// Bounded by count, not a backfill (Bounded), whose watermark would
	// not move before the end.
	raws := Read(s, ReadOptions{Brokers: brokers, Topic: topic, MaxRecordsPerPartition: int64(len(recs)), BatchRecords: 20,
		TimestampField: "timestamp", WatermarkLag: time.Millisecond})
	readings := beam.ParDo(s, pipetest.KeepReadings2025, raws)
	passert.Equals(s, pipetest.CountInWindows(s, readings, time.Minute), good)
	ptest.RunAndValidate(t, p)
}
