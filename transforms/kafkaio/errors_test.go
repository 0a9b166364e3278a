package kafkaio

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TestRetry: withRetries is internal/retry's loop (tested there) with the
// admin budget, naming what failed.
func TestRetry(t *testing.T) {
	calls := 0
	err := withRetries(context.Background(), "list partitions", func(context.Context) error {
		calls++
		if calls < 3 {
			return kerr.NotLeaderForPartition
		}
		return kerr.TopicAuthorizationFailed
	})
	if !errors.Is(err, kerr.TopicAuthorizationFailed) || !strings.HasPrefix(err.Error(), "list partitions: ") || calls != 3 {
		t.Errorf("two transient failures then a permanent one: err %v after %d calls", err, calls)
	}
}
