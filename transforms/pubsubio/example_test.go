package pubsubio_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/pubsubio"
)

func init() {
	register.Function1x1[events.Raw, []byte](data)
}

func data(r events.Raw) []byte { return r.Data }

// Read a subscription forever, with event times from the "event_time"
// attribute, and publish the records to a topic, ordered per device.
// Credentials are Application Default Credentials on the workers.
func ExampleRead() {
	p, s := beam.NewPipelineWithRoot()
	raws := pubsubio.Read(s, pubsubio.ReadOptions{
		Project:            "my-project",
		Subscription:       "sensor_data-beamlens",
		TimestampAttribute: "event_time",
	})
	pubsubio.Write(s, pubsubio.WriteOptions{
		Project:          "my-project",
		Topic:            "sensor_data_copy",
		OrderingKeyField: "device_id",
	}, beam.ParDo(s, data, raws))
	_ = p // beamx.Run(ctx, p) would run it until cancelled
}

// Copy the backlog of a subscription to a topic, as a backfill would: the
// read ends once the subscription has been idle for a second. Here against
// an in-process Pub/Sub, reached as an emulator is.
func ExampleWrite() {
	srv := pstest.NewServer()
	defer srv.Close()
	os.Setenv("PUBSUB_EMULATOR_HOST", srv.Addr)
	defer os.Unsetenv("PUBSUB_EMULATOR_HOST")
	ctx := context.Background()
	c, err := pubsub.NewClient(ctx, "demo")
	if err != nil {
		panic(err)
	}
	defer c.Close()
	for _, name := range []string{"readings", "copy"} {
		topic := "projects/demo/topics/" + name
		if _, err := c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topic}); err != nil {
			panic(err)
		}
		if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
			Name: "projects/demo/subscriptions/" + name + "-sub", Topic: topic}); err != nil {
			panic(err)
		}
	}
	srv.Publish("projects/demo/topics/readings", []byte(`{"device_id":"press-1","temperature":71.5}`), nil)
	srv.Publish("projects/demo/topics/readings", []byte(`{"device_id":"press-2","temperature":104.2}`), nil)

	p, s := beam.NewPipelineWithRoot()
	raws := pubsubio.Read(s, pubsubio.ReadOptions{Project: "demo", Subscription: "readings-sub", StopAfterIdle: time.Second})
	pubsubio.Write(s, pubsubio.WriteOptions{Project: "demo", Topic: "copy"}, beam.ParDo(s, data, raws))
	if err := beamx.Run(ctx, p); err != nil {
		panic(err)
	}

	resp, err := c.SubscriptionAdminClient.Pull(ctx, &pubsubpb.PullRequest{Subscription: "projects/demo/subscriptions/copy-sub", MaxMessages: 10})
	if err != nil {
		panic(err)
	}
	var got []string
	for _, m := range resp.ReceivedMessages {
		got = append(got, string(m.Message.Data))
	}
	sort.Strings(got)
	for _, g := range got {
		fmt.Println(g)
	}
	// Output:
	// {"device_id":"press-1","temperature":71.5}
	// {"device_id":"press-2","temperature":104.2}
}
