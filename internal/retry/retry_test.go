package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

type selfSaid bool

func (selfSaid) Error() string     { return "said" }
func (s selfSaid) Transient() bool { return bool(s) }

func TestTransient(t *testing.T) {
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
		{io.ErrUnexpectedEOF, true},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{context.DeadlineExceeded, true}, // a timeout
		{context.Canceled, false},
		{kgo.ErrClientClosed, false},
		{errors.New("something else"), false},
		{fmt.Errorf("wrapped: %w", selfSaid(true)), true},
		{selfSaid(false), false},
	} {
		if got := Transient(c.err); got != c.want {
			t.Errorf("Transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestTransientStatus(t *testing.T) {
	for code, want := range map[int]bool{200: false, 400: false, 401: false, 404: false, 408: true, 409: true, 429: true, 500: true, 503: true} {
		if TransientStatus(code) != want {
			t.Errorf("TransientStatus(%d) = %v", code, !want)
		}
	}
}

// TestNthDoublesWithJitter: the waits double from initial up to max, each
// within ±50%, and not all alike.
func TestNthDoublesWithJitter(t *testing.T) {
	for n := 1; n <= 12; n++ {
		want := min(100*time.Millisecond<<(n-1), 2*time.Second)
		seen := map[time.Duration]bool{}
		for range 50 {
			d := Nth(n, 100*time.Millisecond, 2*time.Second)
			if d < want/2 || d > want*3/2 {
				t.Fatalf("Nth(%d) = %s, want in [%s, %s]", n, d, want/2, want*3/2)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("Nth(%d): %d distinct waits in 50: no jitter", n, len(seen))
		}
	}
}

func TestDo(t *testing.T) {
	calls := 0
	err := Do(context.Background(), time.Minute, time.Millisecond, 10*time.Millisecond, func(context.Context) error {
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
	err = Do(context.Background(), time.Minute, time.Millisecond, 10*time.Millisecond, func(context.Context) error {
		calls++
		return kerr.TopicAuthorizationFailed
	})
	if !errors.Is(err, kerr.TopicAuthorizationFailed) || calls != 1 {
		t.Errorf("a permanent failure: err %v after %d calls, want it returned at once", err, calls)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = Do(ctx, time.Minute, time.Millisecond, 10*time.Millisecond, func(context.Context) error { return kerr.NotLeaderForPartition })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a cancelled retry: err %v, want the context's error", err)
	}

	calls = 0
	start := time.Now()
	err = Do(context.Background(), 300*time.Millisecond, 10*time.Millisecond, 50*time.Millisecond, func(context.Context) error {
		calls++
		return kerr.NotLeaderForPartition
	})
	if !errors.Is(err, kerr.NotLeaderForPartition) || calls < 3 || time.Since(start) > 2*time.Second {
		t.Errorf("past the budget: err %v after %d calls in %s, want the last error", err, calls, time.Since(start))
	}
}
