package view

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/beamlens/beamlens/transforms/kafkaio"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestFollowsKafkaWithSASL: a SCRAM-protected topic is followed with the
// same settings the pipelines take (password from the environment).
func TestFollowsKafkaWithSASL(t *testing.T) {
	const user, pass = "viewer", "pa55-w0rd"
	k := brokertest.NewSASLKafka(t, "SCRAM-SHA-512", user, pass, "sensor_anomalies")
	addr := k.Brokers[0]
	for i := range 3 {
		v := fmt.Sprintf(`{"device_id":"d%d","timestamp":%d,"temperature":120,"metric":"temperature","score":9,"detector":"threshold"}`, i, 1748772000000+i*1000)
		k.ProduceRecords(t, &kgo.Record{Topic: "sensor_anomalies", Value: []byte(v)})
	}
	t.Setenv(kafkaio.DefaultPasswordEnv, pass)
	srv := New(Sources{Anomalies: "kafka://" + addr + "/sensor_anomalies",
		Kafka: kafkaio.Connect{SASL: kafkaio.SASL{Mechanism: kafkaio.SCRAMSHA512, User: user}}}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Follow(ctx) }()
	waitFor(t, func() bool { return srv.Snapshot().Anomalies == 3 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestFollowsPubSub: a topic is followed through a subscription of the
// view's own, created on start and deleted on stop; a subscription is
// read as given.
func TestFollowsPubSub(t *testing.T) {
	srv := pstest.NewServer()
	defer srv.Close()
	t.Setenv("PUBSUB_EMULATOR_HOST", srv.Addr)
	ctx := context.Background()
	c, err := pubsub.NewClient(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, topic := range []string{"anomalies", "counts"} {
		if _, err := c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: "projects/p/topics/" + topic}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{Name: "projects/p/subscriptions/counts-view", Topic: "projects/p/topics/counts"}); err != nil {
		t.Fatal(err)
	}
	v := New(Sources{Anomalies: "pubsub://projects/p/topics/anomalies", Themes: "pubsub://projects/p/subscriptions/counts-view"}, 0)
	if err := v.src.Check(); err != nil {
		t.Fatal(err)
	}
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- v.Follow(fctx) }()
	// The view's subscription exists before what it should see is published.
	waitFor(t, func() bool { return len(viewSubscriptions(t, c)) == 1 })
	for i := range 4 {
		srv.Publish("projects/p/topics/anomalies", fmt.Appendf(nil, `{"device_id":"d%d","timestamp":%d,"temperature":120,"metric":"temperature","score":9,"detector":"threshold"}`, i, 1748772000000+i*1000), nil)
	}
	srv.Publish("projects/p/topics/counts", []byte(`{"theme":"delivery","count":3,"window_start":"2025-06-01T10:00:00Z","window_end":"2025-06-01T10:10:00Z"}`), nil)
	waitFor(t, func() bool { s := v.Snapshot(); return s.Anomalies == 4 && s.Mentions == 3 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if subs := viewSubscriptions(t, c); len(subs) != 0 {
		t.Errorf("the view left its subscriptions behind: %v", subs)
	}
	if err := (Sources{Anomalies: "pubsub://projects/p/anomalies"}).Check(); err == nil {
		t.Error("a malformed pubsub:// source was accepted")
	}
}

func viewSubscriptions(t *testing.T, c *pubsub.Client) []string {
	var out []string
	it := c.SubscriptionAdminClient.ListSubscriptions(context.Background(), &pubsubpb.ListSubscriptionsRequest{Project: "projects/p"})
	for {
		s, err := it.Next()
		if err != nil {
			break
		}
		if strings.Contains(s.GetName(), "/beamlens-view-") {
			out = append(out, s.GetName())
		}
	}
	return out
}
