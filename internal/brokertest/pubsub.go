package brokertest

import (
	"context"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Project is the Google Cloud project of the fake Pub/Sub.
const Project = "beamlens-test"

// PubSub is an in-process Pub/Sub (pstest) that the code under test
// reaches through PUBSUB_EMULATOR_HOST, as it would reach an emulator.
type PubSub struct {
	*pstest.Server
	Client *pubsub.Client
}

// NewPubSub starts a fake Pub/Sub for the test with the given reactors
// (pstest's error injection), points PUBSUB_EMULATOR_HOST at it, and
// closes it when the test ends.
func NewPubSub(t testing.TB, opts ...pstest.ServerReactorOption) *PubSub {
	t.Helper()
	srv := pstest.NewServer(opts...)
	t.Cleanup(func() { srv.Close() })
	t.Setenv("PUBSUB_EMULATOR_HOST", srv.Addr)
	c, err := pubsub.NewClient(context.Background(), Project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &PubSub{Server: srv, Client: c}
}

// TopicName and SubscriptionName are the full names of Project's topic
// and subscription.
func TopicName(topic string) string      { return "projects/" + Project + "/topics/" + topic }
func SubscriptionName(sub string) string { return "projects/" + Project + "/subscriptions/" + sub }

// Topic creates topic, if it does not exist yet.
func (f *PubSub) Topic(t testing.TB, topic string) {
	t.Helper()
	_, err := f.Client.TopicAdminClient.CreateTopic(context.Background(), &pubsubpb.Topic{Name: TopicName(topic)})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		t.Fatal(err)
	}
}

// TopicWithSubscription creates topic, if need be, and on it subscription
// sub (ack deadline 10 s). Pub/Sub keeps messages only for the
// subscriptions that exist when they are published.
func (f *PubSub) TopicWithSubscription(t testing.TB, topic, sub string) {
	t.Helper()
	f.Topic(t, topic)
	if _, err := f.Client.SubscriptionAdminClient.CreateSubscription(context.Background(), &pubsubpb.Subscription{
		Name: SubscriptionName(sub), Topic: TopicName(topic), AckDeadlineSeconds: 10,
	}); err != nil {
		t.Fatal(err)
	}
}

// PublishReadings publishes n readings numbered from first (Reading) to
// topic, and returns their message IDs.
func (f *PubSub) PublishReadings(t testing.TB, topic string, first, n int) []string {
	t.Helper()
	return f.PublishAll(t, topic, Readings(first, n))
}

// PublishAll publishes data to topic, a message each, and returns their
// message IDs.
func (f *PubSub) PublishAll(t testing.TB, topic string, data [][]byte) []string {
	t.Helper()
	ids := make([]string, len(data))
	for i, d := range data {
		ids[i] = f.Publish(TopicName(topic), d, nil)
	}
	return ids
}

// Acks returns how many times each message was delivered and
// acknowledged, by message ID.
func (f *PubSub) Acks() (deliveries, acks map[string]int) {
	deliveries, acks = map[string]int{}, map[string]int{}
	for _, m := range f.Messages() {
		deliveries[m.ID], acks[m.ID] = m.Deliveries, m.Acks
	}
	return deliveries, acks
}

// AllAckedOnce reports whether every message of ids was acknowledged once.
func (f *PubSub) AllAckedOnce(ids []string) bool {
	_, acks := f.Acks()
	for _, id := range ids {
		if acks[id] != 1 {
			return false
		}
	}
	return true
}

// PullAll pulls sub until it comes back empty twice, acknowledges what it
// got, and returns the messages.
func (f *PubSub) PullAll(t testing.TB, sub string) []*pubsubpb.PubsubMessage {
	t.Helper()
	ctx := context.Background()
	name := SubscriptionName(sub)
	var out []*pubsubpb.PubsubMessage
	for empty := 0; empty < 2; {
		resp, err := f.Client.SubscriptionAdminClient.Pull(ctx, &pubsubpb.PullRequest{Subscription: name, MaxMessages: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.ReceivedMessages) == 0 {
			empty++
			continue
		}
		var ids []string
		for _, m := range resp.ReceivedMessages {
			out = append(out, m.Message)
			ids = append(ids, m.AckId)
		}
		if err := f.Client.SubscriptionAdminClient.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: name, AckIds: ids}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Advance moves the fake's clock forward by d, so that ack deadlines run
// out without waiting for them.
func (f *PubSub) Advance(d time.Duration) {
	f.SetTimeNowFunc(func() time.Time { return time.Now().Add(d) })
}

// FailFirst is a pstest reactor that fails the next n calls (Arm) with
// Code.
type FailFirst struct {
	Code  codes.Code
	mu    sync.Mutex
	n     int
	calls int
}

// Arm makes the next n calls fail.
func (r *FailFirst) Arm(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n = n
}

// Calls returns how many calls the reactor saw.
func (r *FailFirst) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// React implements pstest.Reactor.
func (r *FailFirst) React(any) (bool, any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.n > 0 {
		r.n--
		return true, nil, status.Error(r.Code, "injected failure")
	}
	return false, nil, nil
}
