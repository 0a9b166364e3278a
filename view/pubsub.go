package view

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// isPubSub reports whether a source names Pub/Sub rather than a file.
func isPubSub(src string) bool { return strings.HasPrefix(src, "pubsub://") }

// pubsubSource is a parsed pubsub:// source: a topic or a subscription.
type pubsubSource struct {
	project, topic, subscription string
}

// parsePubSub splits pubsub://projects/P/topics/T or
// pubsub://projects/P/subscriptions/S.
func parsePubSub(src string) (pubsubSource, error) {
	parts := strings.Split(strings.TrimPrefix(src, "pubsub://"), "/")
	if len(parts) != 4 || parts[0] != "projects" || parts[1] == "" || parts[3] == "" ||
		(parts[2] != "topics" && parts[2] != "subscriptions") {
		return pubsubSource{}, fmt.Errorf("%q: want pubsub://projects/P/topics/T or pubsub://projects/P/subscriptions/S", src)
	}
	if parts[2] == "topics" {
		return pubsubSource{project: parts[1], topic: parts[3]}, nil
	}
	return pubsubSource{project: parts[1], subscription: parts[3]}, nil
}

// followPubSub hands each message's data to add until ctx ends. A topic is
// followed through a subscription of the view's own, created now (so the
// view sees what is published from now on and takes nothing from the
// pipeline's consumers) and deleted when the view stops; it expires on its
// own a day after the view last used it, should the view die first. A
// subscription is read as given: the view then shares (and acknowledges)
// its messages, so name one of its own.
func followPubSub(ctx context.Context, src string, add func([]byte)) error {
	ps, err := parsePubSub(src)
	if err != nil {
		return err
	}
	c, err := pubsub.NewClient(ctx, ps.project)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	defer c.Close()
	sub := "projects/" + ps.project + "/subscriptions/" + ps.subscription
	if ps.topic != "" {
		var id [6]byte
		rand.Read(id[:])
		sub = "projects/" + ps.project + "/subscriptions/beamlens-view-" + hex.EncodeToString(id[:])
		if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
			Name: sub, Topic: "projects/" + ps.project + "/topics/" + ps.topic, AckDeadlineSeconds: 10,
			ExpirationPolicy: &pubsubpb.ExpirationPolicy{Ttl: durationpb.New(24 * time.Hour)},
		}); err != nil {
			return fmt.Errorf("%s: creating the view's subscription: %w", src, err)
		}
		defer func() {
			dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c.SubscriptionAdminClient.DeleteSubscription(dctx, &pubsubpb.DeleteSubscriptionRequest{Subscription: sub})
		}()
	}
	err = c.Subscriber(sub).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		if len(m.Data) > 0 {
			add(m.Data)
		}
		m.Ack()
	})
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	return nil
}
