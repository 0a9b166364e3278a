package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/beamlens/beamlens/internal/retry"
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

// retryBudget bounds how long admin requests (metadata, offsets) retry
// transient failures (retry.Transient) before the bundle fails; the runner
// then retries the bundle.
const retryBudget = 30 * time.Second

// withRetries runs fn until it succeeds, fails with an error that is not
// transient, or retryBudget has passed, waiting 50 ms, then twice as long
// each time up to 2 s, with jitter.
func withRetries(ctx context.Context, what string, fn func(context.Context) error) error {
	if err := retry.Do(ctx, retryBudget, 50*time.Millisecond, 2*time.Second, fn); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
