package kafkaio

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func init() {
	register.Function2x1[beam.EventTime, events.Raw, string](describeRaw)
	register.DoFn1x0[string](&collectFn{})
	register.Function1x1[events.Raw, []byte](rawData)
	register.Function1x1[events.Raw, string](rawValue)
	beam.RegisterType(reflect.TypeOf((*collectFn)(nil)).Elem())
}

func TestMain(m *testing.M) {
	ptest.MainWithDefault(m, "prism")
}

// newCluster starts an in-process Kafka cluster on random ports with topic
// created with the given number of partitions, closed when the test ends.
func newCluster(t testing.TB, topic string, partitions int32, opts ...kfake.Opt) (*kfake.Cluster, []string) {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()
}

// newClient returns a client of brokers, closed when the test ends.
func newClient(t testing.TB, brokers []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produce writes n records to topic, record i to partition i % partitions,
// with value {"device_id":"d<i%7>","seq":<first+i>}; it returns them as
// produced (offsets and timestamps filled in).
func produce(t testing.TB, brokers []string, topic string, partitions int32, first, n int) []*kgo.Record {
	t.Helper()
	cl := newClient(t, brokers, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	recs := make([]*kgo.Record, n)
	for i := range recs {
		seq := first + i
		recs[i] = &kgo.Record{
			Topic:     topic,
			Partition: int32(seq) % partitions,
			Value:     fmt.Appendf(nil, `{"device_id":"d%d","seq":%d}`, seq%7, seq),
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// describeRaw renders an element of Read with its event time, for
// comparisons that cover the timestamp too.
func describeRaw(et beam.EventTime, r events.Raw) string {
	return fmt.Sprintf("%s|%d|%s|%d|%s", r.Source, et.Milliseconds(), r.Data, r.Size, r.Problem)
}

// describeRecord is what describeRaw gives for a record read from topic.
func describeRecord(r *kgo.Record) string {
	return fmt.Sprintf("kafka://%s/%d@%d|%d|%s|%d|", r.Topic, r.Partition, r.Offset, r.Timestamp.UnixMilli(), r.Value, len(r.Value))
}

func describeAll(recs []*kgo.Record) []any {
	out := make([]any, len(recs))
	for i, r := range recs {
		out[i] = describeRecord(r)
	}
	return out
}

// sinks gathers what collectFn sees, by sink name: the way to look at the
// output of a pipeline that never ends. It works because prism runs the
// workers in this process (loopback).
var sinks = struct {
	sync.Mutex
	m map[string][]string
}{m: map[string][]string{}}

type collectFn struct{ Sink string }

func (fn *collectFn) ProcessElement(s string) {
	sinks.Lock()
	defer sinks.Unlock()
	sinks.m[fn.Sink] = append(sinks.m[fn.Sink], s)
}

func collected(sink string) []string {
	sinks.Lock()
	defer sinks.Unlock()
	return append([]string(nil), sinks.m[sink]...)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func committedOffsetsOf(t testing.TB, brokers []string, group, topic string) map[int32]int64 {
	t.Helper()
	adm := kadm.NewClient(newClient(t, brokers))
	resps, err := adm.FetchOffsetsForTopics(context.Background(), group, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	resps.Each(func(o kadm.OffsetResponse) {
		if o.Err != nil {
			t.Fatalf("fetch offsets: %v", o.Err)
		}
		if o.At >= 0 {
			out[o.Partition] = o.At
		}
	})
	return out
}
