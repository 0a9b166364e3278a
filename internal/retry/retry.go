package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Transient reports whether err is a failure that a later try may not
// meet:
//   - an error in its chain that says so itself, with a Transient() bool
//     method (the LLM client's status and transport errors, say);
//   - a Kafka error code marked retriable;
//   - a dropped, reset or refused connection, an EOF mid-answer, a
//     timeout or any other net.Error.
//
// A cancelled context is not transient: the caller asked to stop.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var self interface{ Transient() bool }
	if errors.As(err, &self) {
		return self.Transient()
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Retriable
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// TransientStatus reports whether an HTTP status is worth retrying: a
// request timeout (408), a conflict (409, which OpenAI-compatible services
// answer when busy), a rate limit (429) or a server error (5xx).
func TransientStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusConflict ||
		code == http.StatusTooManyRequests || code >= 500
}

// NewBackoff returns the waits between tries: initial, doubled after each
// try up to max, each drawn at random within ±50% of that (so that
// clients which failed together do not retry together, and a wait may be
// up to 1.5 max). Reset starts it again from initial.
func NewBackoff(initial, max time.Duration) *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = initial
	b.MaxInterval = max
	b.Multiplier = 2
	b.RandomizationFactor = 0.5
	b.Reset()
	return b
}

// Do runs fn until it succeeds, fails with an error that is not Transient,
// ctx ends, or the next wait would pass budget (counted from the first
// try), waiting between tries as NewBackoff(initial, max) says. It returns
// fn's last error or, when ctx ended first, ctx's with fn's last error in
// its text.
func Do(ctx context.Context, budget, initial, max time.Duration, fn func(context.Context) error) error {
	var last error
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		last = fn(ctx)
		if last != nil && !Transient(last) {
			return struct{}{}, backoff.Permanent(last)
		}
		return struct{}{}, last
	}, backoff.WithBackOff(NewBackoff(initial, max)), backoff.WithMaxElapsedTime(budget))
	if err != nil && last != nil && ctx.Err() != nil && !errors.Is(err, last) {
		return fmt.Errorf("%w (last error: %v)", err, last)
	}
	return err
}

// Nth returns a wait before retry n (1-based) as NewBackoff(initial, max)
// would draw it, for loops that count their retries themselves (the LLM
// client's, where a rate-limited request does not use up a retry).
func Nth(n int, initial, max time.Duration) time.Duration {
	b := NewBackoff(initial, max)
	d := b.NextBackOff()
	for i := 1; i < n; i++ {
		d = b.NextBackOff()
	}
	return d
}
