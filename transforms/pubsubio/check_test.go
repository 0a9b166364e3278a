package pubsubio

import (
	"context"
	"errors"
	"github.com/beamlens/beamlens/internal/brokertest"
	"testing"
	"time"
)

func TestCheckSubscription(t *testing.T) {
	f := brokertest.NewPubSub(t)
	f.TopicWithSubscription(t, "readings", "readings-sub")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := CheckSubscription(ctx, project, "readings-sub"); err != nil {
		t.Fatalf("existing subscription: %v", err)
	}
	err := CheckSubscription(ctx, project, "readngs-sub")
	if !errors.Is(err, ErrSubscriptionNotFound) {
		t.Fatalf("missing subscription: %v, want ErrSubscriptionNotFound", err)
	}
}
