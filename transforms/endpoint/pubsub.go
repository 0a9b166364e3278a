package endpoint

import (
	"fmt"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/transforms/pubsubio"
)

// DefaultPubSubIdleStop is how long a subscription must stay idle before a
// bounded Pub/Sub read ends.
const DefaultPubSubIdleStop = 5 * time.Second

// PubSubSettings are the Pub/Sub options beyond project and subscription
// or topic. The emulator (PUBSUB_EMULATOR_HOST) and the credentials are the
// client library's business.
type PubSubSettings struct {
	// Bounded ends an input read once the subscription has been idle for
	// IdleStop: it drains the backlog, then finishes.
	Bounded bool
	// IdleStop is the idle time that ends a bounded read. Default
	// DefaultPubSubIdleStop (5s).
	IdleStop time.Duration
	// OrderingKeyField gives output messages the ordering key of this JSON
	// field. Default none.
	OrderingKeyField string
	// TimestampField is the message field read as event time and for the
	// watermark (pubsubio.ReadOptions.TimestampField); TimestampAttribute
	// the attribute, instead. Default both "": the publish time.
	TimestampField, TimestampAttribute string
}

// checkPubSub reports a pubsub:// URI used the wrong way round, or naming
// an ID Pub/Sub would refuse.
func checkPubSub(u URI, input bool) error {
	switch {
	case input && u.Subscription == "":
		return fmt.Errorf("%w %q: a Pub/Sub input is a subscription, pubsub://projects/P/subscriptions/S", ErrBadURI, u.Raw)
	case !input && u.Topic == "":
		return fmt.Errorf("%w %q: a Pub/Sub output is a topic, pubsub://projects/P/topics/T", ErrBadURI, u.Raw)
	}
	id := u.Topic
	if input {
		id = u.Subscription
	}
	if err := pubsubio.CheckID(id); err != nil {
		return fmt.Errorf("%w %q: %v", ErrBadURI, u.Raw, err)
	}
	return nil
}

// pubsubReadOptions are the read options a pubsub:// input URI says.
func pubsubReadOptions(u URI) pubsubio.ReadOptions {
	opts := pubsubio.ReadOptions{Project: u.Project, Subscription: u.Subscription,
		TimestampField: u.PubSub.TimestampField, TimestampAttribute: u.PubSub.TimestampAttribute}
	if u.PubSub.Bounded {
		opts.StopAfterIdle = u.PubSub.IdleStop
		if opts.StopAfterIdle == 0 {
			opts.StopAfterIdle = DefaultPubSubIdleStop
		}
	}
	return opts
}

// writePubSub publishes the stream to its topic (StreamTopic), creating the
// topic when it is missing, as Kafka outputs do.
func writePubSub(s beam.Scope, u URI, stream string, lines beam.PCollection) {
	pubsubio.Write(s, pubsubio.WriteOptions{Project: u.Project, Topic: u.StreamTopic(stream),
		CreateTopic: true, OrderingKeyField: u.PubSub.OrderingKeyField}, lines)
}
