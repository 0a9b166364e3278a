package pubsubio

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCheckSubscription(t *testing.T) {
	f := newFake(t)
	f.topicWithSubscription(t, "readings", "readings-sub")
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
