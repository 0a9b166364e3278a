package pubsubio

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func init() {
	register.Function2x1[beam.EventTime, events.Raw, string](describeRaw)
	register.Function1x1[events.Raw, []byte](rawData)
	register.DoFn1x0[string](&collectFn{})
	beam.RegisterType(reflect.TypeOf((*collectFn)(nil)).Elem())
}

func TestMain(m *testing.M) {
	ptest.MainWithDefault(m, "prism")
}

const project = "beamlens-test"

// fake is an in-process Pub/Sub (pstest) that the code under test reaches
// through PUBSUB_EMULATOR_HOST, as it would reach an emulator.
type fake struct {
	*pstest.Server
	client *pubsub.Client
}

// newFake starts a fake Pub/Sub for the test, with the given reactors
// (pstest's error injection), and points PUBSUB_EMULATOR_HOST at it.
func newFake(t testing.TB, opts ...pstest.ServerReactorOption) *fake {
	t.Helper()
	srv := pstest.NewServer(opts...)
	t.Cleanup(func() { srv.Close() })
	t.Setenv("PUBSUB_EMULATOR_HOST", srv.Addr)
	c, err := pubsub.NewClient(context.Background(), project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &fake{Server: srv, client: c}
}

// topicWithSubscription creates topic and, on it, subscription sub.
func (f *fake) topicWithSubscription(t testing.TB, topic, sub string) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topicName(project, topic)}); err != nil &&
		status.Code(err) != codes.AlreadyExists {
		t.Fatal(err)
	}
	if _, err := f.client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: subscriptionName(project, sub), Topic: topicName(project, topic), AckDeadlineSeconds: 10,
	}); err != nil {
		t.Fatal(err)
	}
}

// publish publishes n messages to topic, message i with data
// {"device_id":"d<i%7>","seq":<first+i>}, and returns their IDs.
func (f *fake) publish(t testing.TB, topic string, first, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		seq := first + i
		ids[i] = f.Publish(topicName(project, topic), fmt.Appendf(nil, `{"device_id":"d%d","seq":%d}`, seq%7, seq), nil)
	}
	return ids
}

// describe is what describeRaw gives for the message id read from sub.
func (f *fake) describe(sub, id string) string {
	m := f.Message(id)
	return fmt.Sprintf("pubsub://%s@%s|%d|%s|%d|", subscriptionName(project, sub), m.ID, m.PublishTime.UnixMilli(), m.Data, len(m.Data))
}

func (f *fake) describeAll(sub string, ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = f.describe(sub, id)
	}
	return out
}

// acks returns how many times each of the messages ids was delivered and
// acknowledged.
func (f *fake) acks(ids []string) (deliveries, acks map[string]int) {
	deliveries, acks = map[string]int{}, map[string]int{}
	for _, m := range f.Messages() {
		deliveries[m.ID], acks[m.ID] = m.Deliveries, m.Acks
	}
	return deliveries, acks
}

// allAckedOnce reports whether every message of ids was acknowledged once.
func (f *fake) allAckedOnce(ids []string) bool {
	_, acks := f.acks(ids)
	for _, id := range ids {
		if acks[id] != 1 {
			return false
		}
	}
	return true
}

// pullAll pulls sub until it has been empty for a second and acknowledges
// what it got; it returns the messages' data and ordering keys.
func (f *fake) pullAll(t testing.TB, sub string) (data []string, keys []string) {
	t.Helper()
	ctx := context.Background()
	name := subscriptionName(project, sub)
	for empty := 0; empty < 2; {
		resp, err := f.client.SubscriptionAdminClient.Pull(ctx, &pubsubpb.PullRequest{Subscription: name, MaxMessages: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.ReceivedMessages) == 0 {
			empty++
			continue
		}
		var ids []string
		for _, m := range resp.ReceivedMessages {
			data = append(data, string(m.Message.Data))
			keys = append(keys, m.Message.OrderingKey)
			ids = append(ids, m.AckId)
		}
		if err := f.client.SubscriptionAdminClient.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: name, AckIds: ids}); err != nil {
			t.Fatal(err)
		}
	}
	return data, keys
}

// advance moves the fake's clock forward by d, so that ack deadlines run
// out without waiting for them.
func (f *fake) advance(d time.Duration) {
	f.SetTimeNowFunc(func() time.Time { return time.Now().Add(d) })
}

// failFirst is a pstest reactor that fails the first n calls with code.
type failFirst struct {
	mu    sync.Mutex
	n     int
	code  codes.Code
	calls int
}

// arm makes the next n calls fail.
func (r *failFirst) arm(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n = n
}

func (r *failFirst) React(any) (bool, any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.n > 0 {
		r.n--
		return true, nil, status.Error(r.code, "injected failure")
	}
	return false, nil, nil
}

// describeRaw renders an element of Read with its event time, for
// comparisons that cover the timestamp too.
func describeRaw(et beam.EventTime, r events.Raw) string {
	return fmt.Sprintf("%s|%d|%s|%d|%s", r.Source, et.Milliseconds(), r.Data, r.Size, r.Problem)
}

func rawData(r events.Raw) []byte { return r.Data }

// sinks gathers what collectFn sees, by sink name: the way to look at the
// output of a pipeline that never ends. It works because prism runs the
// workers in this process (loopback).
var sinks = struct {
	sync.Mutex
	m map[string][]string
}{m: map[string][]string{}}

type collectFn struct{ Sink string }

var sinkSeq atomic.Int64

// sinkName returns a sink name of its own for each run of a test, so that
// -count=N does not see an earlier run's elements.
func sinkName(t testing.TB) string {
	return fmt.Sprintf("%s#%d", t.Name(), sinkSeq.Add(1))
}

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
