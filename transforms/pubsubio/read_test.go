package pubsubio

import (
	"context"
	"errors"
	"fmt"
	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/beamlens/beamlens/internal/pipetest"
	"github.com/beamlens/beamlens/internal/watermarks"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func init() {
	register.DoFn1x1[events.Raw, error](&failFn{})
}

// failFn fails every element, as a downstream transform whose bundle
// cannot complete.
type failFn struct{}

func (failFn) ProcessElement(events.Raw) error { return errors.New("downstream failure") }

// checkAckedOnce checks that each message was delivered and acknowledged
// exactly once: read exactly once, and nothing left to redeliver.
func checkAckedOnce(t *testing.T, f *brokertest.PubSub, ids []string) {
	t.Helper()
	deliveries, acks := f.Acks()
	bad := 0
	for _, id := range ids {
		if deliveries[id] != 1 || acks[id] != 1 {
			if bad++; bad <= 5 {
				t.Errorf("message %s: delivered %d times, acknowledged %d times; want 1 and 1", id, deliveries[id], acks[id])
			}
		}
	}
}

// A read bounded by count gives every message exactly once, with its
// source, data and publish time as event time, and acknowledges each once
// before the pipeline ends.
func TestReadBoundedByCount(t *testing.T) {
	f := brokertest.NewPubSub(t)
	f.TopicWithSubscription(t, "readings", "readings-sub")
	ids := f.PublishReadings(t, "readings", 0, 500)

	p, s := beam.NewPipelineWithRoot()
	raws := Read(s, ReadOptions{Project: project, Subscription: "readings-sub", MaxMessages: 500, BatchMessages: 100})
	passert.Equals(s, beam.ParDo(s, pipetest.DescribeRaw, raws), describeAll(f, "readings-sub", ids)...)
	ptest.RunAndValidate(t, p)
	checkAckedOnce(t, f, ids)
}

// A read bounded by idleness drains the backlog and ends once the
// subscription has been quiet for StopAfterIdle.
func TestReadStopsWhenIdle(t *testing.T) {
	f := brokertest.NewPubSub(t)
	f.TopicWithSubscription(t, "readings", "readings-sub")
	ids := f.PublishReadings(t, "readings", 0, 300)

	p, s := beam.NewPipelineWithRoot()
	raws := Read(s, ReadOptions{Project: project, Subscription: "readings-sub", StopAfterIdle: time.Second, BatchMessages: 64})
	passert.Equals(s, beam.ParDo(s, pipetest.DescribeRaw, raws), describeAll(f, "readings-sub", ids)...)
	start := time.Now()
	ptest.RunAndValidate(t, p)
	t.Logf("read and stopped in %v", time.Since(start))
	checkAckedOnce(t, f, ids)
}

// With MaxMessages the read waits for messages published after it started
// and ends when it has them all.
func TestReadPicksUpLaterMessages(t *testing.T) {
	f := brokertest.NewPubSub(t)
	f.TopicWithSubscription(t, "live", "live-sub")
	ids := f.PublishReadings(t, "live", 0, 20)

	p, s := beam.NewPipelineWithRoot()
	sink := pipetest.NewSink(t)
	raws := Read(s, ReadOptions{Project: project, Subscription: "live-sub", MaxMessages: 60, IdleDelay: 50 * time.Millisecond})
	sink.Collect(s, beam.ParDo(s, pipetest.DescribeRaw, raws))
	done := pipetest.RunAsync(context.Background(), p)

	for round := range 2 {
		pipetest.WaitRunning(t, done, time.Minute, "the messages published so far", func() bool { return sink.Len() >= len(ids) })
		ids = append(ids, f.PublishReadings(t, "live", 100+20*round, 20)...)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the read did not end after MaxMessages")
	}
	pipetest.SameSet(t, sink.Got(), describeAll(f, "live-sub", ids))
	checkAckedOnce(t, f, ids)
}

// An unbounded read delivers messages published while it runs,
// acknowledges them while it runs, and moves the watermark when the
// subscription is quiet, so that event-time windows fire.
func TestReadUnbounded(t *testing.T) {
	f := brokertest.NewPubSub(t)
	f.TopicWithSubscription(t, "live", "live-sub")
	ids := f.PublishReadings(t, "live", 0, 30)

	p, s := beam.NewPipelineWithRoot()
	raws := Read(s, ReadOptions{Project: project, Subscription: "live-sub", IdleDelay: 100 * time.Millisecond, WatermarkLag: pipetest.WatermarkLag})
	sink, windows := pipetest.NewSink(t), pipetest.NewSink(t)
	sink.Collect(s, beam.ParDo(s, pipetest.DescribeRaw, raws))
	windows.Collect(s, pipetest.CountPerWindow(s, raws, time.Second))

	done := pipetest.Start(t, p)

	pipetest.WaitRunning(t, done, time.Minute, "the messages published before the start", func() bool { return sink.Len() >= len(ids) })
	for round := range 3 {
		ids = append(ids, f.PublishReadings(t, "live", 100+10*round, 10)...)
		published := time.Now()
		pipetest.WaitRunning(t, done, 30*time.Second, "the messages published while running", func() bool { return sink.Len() >= len(ids) })
		t.Logf("round %d: publish-to-collect latency %v", round, time.Since(published))
	}
	pipetest.WaitRunning(t, done, 30*time.Second, "event-time windows to fire for every message", func() bool { return windows.Sum() == len(ids) })
	pipetest.WaitRunning(t, done, 30*time.Second, "every message to be acknowledged", func() bool { return f.AllAckedOnce(ids) })
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show up
	pipetest.SameSet(t, sink.Got(), describeAll(f, "live-sub", ids))
	checkAckedOnce(t, f, ids)
}

// A message the read cannot pass on whole - over the size limit, or without
// a valid timestamp attribute - comes with a Problem, so that it becomes a
// dead letter; a valid attribute is the event time.
func TestReadProblems(t *testing.T) {
	f := brokertest.NewPubSub(t)
	f.TopicWithSubscription(t, "odd", "odd-sub")
	topic := topicName(project, "odd")
	huge := make([]byte, events.MaxRecordBytes+1)
	for i := range huge {
		huge[i] = 'x'
	}
	ms := f.Publish(topic, []byte("ms"), map[string]string{"ts": "1700000000123"})
	rfc := f.Publish(topic, []byte("rfc"), map[string]string{"ts": "2024-01-02T03:04:05.678Z"})
	missing := f.Publish(topic, []byte("missing"), nil)
	bad := f.Publish(topic, []byte("bad"), map[string]string{"ts": "yesterday"})
	big := f.Publish(topic, huge, map[string]string{"ts": "5"})

	src := func(id string) string { return "pubsub://" + subscriptionName(project, "odd-sub") + "@" + id }
	pub := func(id string) int64 { return f.Message(id).PublishTime.UnixMilli() }
	want := []any{
		fmt.Sprintf("%s|1700000000123|ms|2|", src(ms)),
		fmt.Sprintf("%s|1704164645678|rfc|3|", src(rfc)),
		fmt.Sprintf("%s|%d|missing|7|no timestamp attribute \"ts\"", src(missing), pub(missing)),
		fmt.Sprintf("%s|%d|bad|3|timestamp attribute \"ts\" is \"yesterday\": want Unix milliseconds or RFC 3339, within years 1-9999", src(bad), pub(bad)),
		fmt.Sprintf("%s|5|%s|%d|message is %d bytes, over the %d-byte limit", src(big), huge[:events.MaxDeadLetterRaw], len(huge), len(huge), events.MaxRecordBytes),
	}

	p, s := beam.NewPipelineWithRoot()
	raws := Read(s, ReadOptions{Project: project, Subscription: "odd-sub", TimestampAttribute: "ts", MaxMessages: 5})
	passert.Equals(s, beam.ParDo(s, pipetest.DescribeRaw, raws), want...)
	ptest.RunAndValidate(t, p)
}

// Messages of a bundle that fails are not acknowledged: Pub/Sub redelivers
// them once their deadline runs out, and the next run reads them all.
func TestReadRedeliversAfterFailedBundle(t *testing.T) {
	f := brokertest.NewPubSub(t)
	f.TopicWithSubscription(t, "readings", "readings-sub")
	ids := f.PublishReadings(t, "readings", 0, 50)

	p, s := beam.NewPipelineWithRoot()
	raws := Read(s, ReadOptions{Project: project, Subscription: "readings-sub", MaxMessages: 50})
	beam.ParDo0(s, &failFn{}, raws)
	if err := ptest.Run(p); err == nil || !strings.Contains(err.Error(), "downstream failure") {
		t.Fatalf("run with a failing bundle: err %v, want the downstream failure", err)
	}
	if _, acks := f.Acks(); len(acks) == 0 || acks[ids[0]] != 0 {
		t.Fatalf("a message of the failed bundle was acknowledged: %v", acks)
	}

	f.Advance(2 * time.Minute) // the failed run's leases run out
	p, s = beam.NewPipelineWithRoot()
	raws = Read(s, ReadOptions{Project: project, Subscription: "readings-sub", MaxMessages: 50})
	passert.Equals(s, beam.ParDo(s, pipetest.DescribeRaw, raws), describeAll(f, "readings-sub", ids)...)
	ptest.RunAndValidate(t, p)
	for id, n := range func() map[string]int { _, a := f.Acks(); return a }() {
		if n != 1 {
			t.Errorf("message %s acknowledged %d times after the second run, want 1", id, n)
		}
	}
}

// A subscription that does not exist fails the pipeline.
func TestReadMissingSubscription(t *testing.T) {
	f := brokertest.NewPubSub(t)
	f.TopicWithSubscription(t, "readings", "readings-sub")
	p, s := beam.NewPipelineWithRoot()
	Read(s, ReadOptions{Project: project, Subscription: "nowhere", MaxMessages: 1})
	err := ptest.Run(p)
	if err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Fatalf("err %v, want NotFound", err)
	}
}

// TestReadFieldTimeBackfill replays old readings (2025, one a second)
// with malformed messages among them, in small batches, which pstest (as
// Pub/Sub) delivers in no particular order: with TimestampField their
// event times come from the data, and a backfill (StopAfterIdle) holds
// its watermark until it ends, so one-minute event-time windows count
// every reading, at its own time.
func TestReadFieldTimeBackfill(t *testing.T) {
	f := brokertest.NewPubSub(t)
	f.TopicWithSubscription(t, "replay", "replay-sub")
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	good := 0
	for i := range 400 {
		v := fmt.Appendf(nil, `{"device_id":"d","timestamp":%q}`, base.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
		if i%40 == 9 {
			v = []byte(`{"device_id":"d","timestamp":`)
		} else {
			good++
		}
		f.Publish(topicName(project, "replay"), v, nil)
	}
	p, s := beam.NewPipelineWithRoot()
	raws := Read(s, ReadOptions{Project: project, Subscription: "replay-sub", StopAfterIdle: time.Second, BatchMessages: 25,
		TimestampField: "timestamp", WatermarkLag: time.Millisecond})
	readings := beam.ParDo(s, pipetest.KeepReadings2025, raws)
	passert.Equals(s, pipetest.CountInWindows(s, readings, time.Minute), good)
	ptest.RunAndValidate(t, p)
}

// TestToRawEventTimes: the event time comes from the field, the
// attribute or the publish time, and a message whose field or attribute
// does not read keeps its publish time and may not move the watermark.
func TestAddEventTimes(t *testing.T) {
	pub := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	msg := func(data string, attrs map[string]string) *pubsubpb.PubsubMessage {
		return &pubsubpb.PubsubMessage{Data: []byte(data), Attributes: attrs, MessageId: "1", PublishTime: timestamppb.New(pub)}
	}
	field := &readFn{TimestampField: "timestamp"}
	attr := &readFn{TimestampAttribute: "ts"}
	for _, c := range []struct {
		fn      *readFn
		m       *pubsubpb.PubsubMessage
		ms      int64
		timed   bool
		problem bool
	}{
		{field, msg(`{"timestamp":"2025-01-01T00:00:00Z"}`, nil), 1735689600000, true, false},
		{field, msg(`{"timestamp":`, nil), pub.UnixMilli(), false, false},
		{field, msg(`{"device_id":"d"}`, nil), pub.UnixMilli(), false, false},
		{attr, msg(`x`, map[string]string{"ts": "1735689600000"}), 1735689600000, true, false},
		{attr, msg(`x`, nil), pub.UnixMilli(), false, true},
		{&readFn{}, msg(`{"timestamp":"2025-01-01T00:00:00Z"}`, nil), pub.UnixMilli(), true, false},
	} {
		var b events.RawBatch
		timed := c.fn.add(&b, c.m, pub.UnixMilli(), watermarks.NewEstimator(0, 0, false, false))
		ms, raw := b.Times[0], b.Raw(0)
		if ms != c.ms || timed != c.timed || (raw.Problem != "") != c.problem {
			t.Errorf("%s %v via %+v: got %d %v %q; want %d %v problem=%v", c.m.Data, c.m.Attributes,
				c.fn, ms, timed, raw.Problem, c.ms, c.timed, c.problem)
		}
	}
}
