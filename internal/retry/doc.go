// Package retry is beamlens's one home for retrying transient failures:
// which errors are transient (Transient, TransientStatus), the backoff
// between tries (NewBackoff: exponential, with jitter) and a loop that
// retries within a time budget (Do).
//
// github.com/cenkalti/backoff/v5 computes the waits and runs the loop.
// Callers with retries of their own shape (the LLM client's, which shares
// its pauses with a rate limiter and a circuit breaker) take the waits
// from NewBackoff and classify with Transient.
package retry
