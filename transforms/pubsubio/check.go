package pubsubio

import (
	"context"
	"errors"
	"fmt"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrSubscriptionNotFound is returned by CheckSubscription for a
// subscription Pub/Sub does not know.
var ErrSubscriptionNotFound = errors.New("subscription does not exist")

// CheckSubscription asks Pub/Sub whether the subscription exists, within
// ctx's deadline, with the credentials (or PUBSUB_EMULATOR_HOST) a worker
// would use. It runs where the job is launched, before anything is
// submitted: a misspelled subscription or missing credentials then fail in
// a second instead of inside a running job.
func CheckSubscription(ctx context.Context, project, id string) error {
	c, err := pubsub.NewClient(ctx, project)
	if err != nil {
		return fmt.Errorf("Pub/Sub client: %w", err)
	}
	defer c.Close()
	_, err = c.SubscriptionAdminClient.GetSubscription(ctx, &pubsubpb.GetSubscriptionRequest{Subscription: subscriptionName(project, id)})
	switch {
	case err == nil:
		return nil
	case status.Code(err) == codes.NotFound:
		return fmt.Errorf("%q in project %q: %w", id, project, ErrSubscriptionNotFound)
	case ctx.Err() != nil:
		return fmt.Errorf("no answer from Pub/Sub about subscription %q (%v)", id, err)
	}
	return fmt.Errorf("subscription %q: %w", id, err)
}
