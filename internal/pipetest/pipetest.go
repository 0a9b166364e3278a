package pipetest

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

// RunAsync runs p on prism until ctx is cancelled; the returned channel
// gives the run's error.
func RunAsync(ctx context.Context, p *beam.Pipeline) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := beam.Run(ctx, "prism", p)
		done <- err
	}()
	return done
}

// Start runs p on prism until the test ends, when it is stopped (see Stop);
// the returned channel gives the run's error, for WaitRunning.
func Start(t testing.TB, p *beam.Pipeline) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := RunAsync(ctx, p)
	t.Cleanup(func() { Stop(t, cancel, done) })
	return done
}

// Stop cancels a pipeline started by RunAsync and waits for it to end.
func Stop(t testing.TB, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Error("pipeline did not stop within 30s of its context's cancellation")
	}
}

// WaitRunning polls cond until it holds; it fails at once if the pipeline
// ends, and after timeout.
func WaitRunning(t testing.TB, done <-chan error, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case err := <-done:
			t.Fatalf("the pipeline ended (err %v) while waiting for %s", err, what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// SameSet reports the differences between two multisets of strings.
func SameSet(t testing.TB, got []string, want []any) {
	t.Helper()
	w := make([]string, len(want))
	for i, v := range want {
		w[i] = v.(string)
	}
	sort.Strings(got)
	sort.Strings(w)
	if len(got) != len(w) {
		t.Errorf("got %d elements, want %d", len(got), len(w))
	}
	seen := map[string]int{}
	for _, g := range got {
		seen[g]++
	}
	for _, x := range w {
		seen[x]--
	}
	n := 0
	for k, v := range seen {
		if v != 0 && n < 10 {
			t.Errorf("element %q: %+d", k, v)
			n++
		}
	}
}

// WaitFor polls cond until it holds, and fails the test after timeout.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Anys returns xs as the []any that passert.Equals and SameSet take.
func Anys[T any](xs []T) []any {
	return AnysOf(xs, func(x T) T { return x })
}

// AnysOf returns xs, each through f, as the []any that passert.Equals and
// SameSet take: the records a test produced, as the strings the pipeline
// should emit for them.
func AnysOf[T, U any](xs []T, f func(T) U) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}
