package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestIsRetriable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{kerr.NotLeaderForPartition, true},
		{fmt.Errorf("partition 2: %w", kerr.LeaderNotAvailable), true},
		{kerr.TopicAuthorizationFailed, false},
		{kerr.SaslAuthenticationFailed, false},
		{io.EOF, true},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{context.Canceled, false},
		{kgo.ErrClientClosed, false},
		{errors.New("something else"), false},
	} {
		if got := IsRetriable(c.err); got != c.want {
			t.Errorf("IsRetriable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestRetry(t *testing.T) {
	calls := 0
	err := retry(context.Background(), "thing", func(context.Context) error {
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
	err = retry(context.Background(), "thing", func(context.Context) error {
		calls++
		return kerr.TopicAuthorizationFailed
	})
	if !errors.Is(err, kerr.TopicAuthorizationFailed) || calls != 1 {
		t.Errorf("a permanent failure: err %v after %d calls, want it returned at once", err, calls)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = retry(ctx, "thing", func(context.Context) error { return kerr.NotLeaderForPartition })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a cancelled retry: err %v, want the context's error", err)
	}
}
