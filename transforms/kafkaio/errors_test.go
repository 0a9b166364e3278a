package kafkaio

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

func TestRetry(t *testing.T) {
	calls := 0
	err := withRetries(context.Background(), "thing", func(context.Context) error {
		calls++
		if calls < 3 {
			return kerr.NotLeaderForPartition
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("two transient failures then success: err %v after %d calls", err, calls)
	}

	calls = 0
	err = withRetries(context.Background(), "thing", func(context.Context) error {
		calls++
		return kerr.TopicAuthorizationFailed
	})
	if !errors.Is(err, kerr.TopicAuthorizationFailed) || calls != 1 {
		t.Errorf("a permanent failure: err %v after %d calls, want it returned at once", err, calls)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = withRetries(ctx, "thing", func(context.Context) error { return kerr.NotLeaderForPartition })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a cancelled retry: err %v, want the context's error", err)
	}
}
