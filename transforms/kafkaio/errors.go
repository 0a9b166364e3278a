package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

var (
	// ErrTopicNotFound is returned when the topic to read does not exist.
	ErrTopicNotFound = errors.New("topic does not exist")
	// ErrNoPassword is returned when SASL is configured and its password
	// cannot be read on the worker.
	ErrNoPassword = errors.New("no SASL password")
	// ErrProduce wraps every failure to produce a record: the bundle fails
	// and the runner retries it.
	ErrProduce = errors.New("produce failed")
)

// IsRetriable reports whether err is a transient broker or network failure
// that a later attempt may not meet: a Kafka error code marked retriable, a
// dropped or refused connection, a timeout.
func IsRetriable(err error) bool {
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, kgo.ErrClientClosed):
		return false
	case kerr.IsRetriable(err), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// retryBudget bounds how long admin requests (metadata, offsets) retry
// transient failures before the bundle fails; the runner then retries the
// bundle.
const retryBudget = 30 * time.Second

// retry runs fn until it succeeds, fails with an error that is not
// retriable, or retryBudget has passed.
func retry(ctx context.Context, what string, fn func(context.Context) error) error {
	deadline := time.Now().Add(retryBudget)
	backoff := 50 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil || !IsRetriable(err) || time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}
