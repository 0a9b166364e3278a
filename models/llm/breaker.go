package llm

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/beamlens/beamlens/internal/metrics"
)

// The circuit breaker's probe schedule: after a request has used up its
// retries on 5xx, timeouts or broken connections, the extractor stops
// sending (every request of every call waits), then lets one request
// through as a probe after 1 s, 2 s, 4 s, ... doubling up to every 30 s,
// until a probe gets an answer. An outage is the service's state, not the
// reviews' fault: nothing is dead-lettered for it unless GiveUpAfter passes.
const (
	firstProbe = time.Second
	maxProbe   = 30 * time.Second
)

// breaker holds back every request of an extractor while the service is
// down. Safe for concurrent use.
type breaker struct {
	giveUpAfter time.Duration // 0: wait for ever

	mu       sync.Mutex
	open     bool
	gaveUp   error // once set, every wait fails with it
	openedAt time.Time
	probeAt  time.Time
	step     time.Duration
	probing  bool
	lastErr  error
	changed  chan struct{} // closed and replaced on every state change
	opens    int64
}

func newBreaker(giveUpAfter time.Duration) *breaker {
	return &breaker{giveUpAfter: giveUpAfter, changed: make(chan struct{})}
}

// notify wakes every waiter; mu must be held.
func (b *breaker) notify() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// wait returns when a request may go out: at once while the breaker is
// closed; while it is open, when this caller is let through as the probe
// (probe true), or when another probe has closed it. It fails with a
// *GaveUpError once the breaker has been open for giveUpAfter, and with the
// context's cause when ctx ends.
func (b *breaker) wait(ctx context.Context) (probe bool, err error) {
	for {
		b.mu.Lock()
		if b.gaveUp != nil {
			err := b.gaveUp
			b.mu.Unlock()
			return false, err
		}
		if !b.open {
			b.mu.Unlock()
			return false, nil
		}
		now := time.Now()
		if b.giveUpAfter > 0 && now.Sub(b.openedAt) >= b.giveUpAfter {
			b.gaveUp = &GaveUpError{After: b.giveUpAfter, Last: b.lastErr}
			b.notify()
			b.mu.Unlock()
			continue
		}
		if !b.probing && !now.Before(b.probeAt) {
			b.probing = true
			b.mu.Unlock()
			return true, nil
		}
		wake := b.probeAt.Sub(now)
		if b.probing {
			wake = b.step // the probe reports back through changed
		}
		if b.giveUpAfter > 0 {
			wake = min(wake, b.openedAt.Add(b.giveUpAfter).Sub(now))
		}
		ch := b.changed
		b.mu.Unlock()
		t := time.NewTimer(max(wake, time.Millisecond))
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false, context.Cause(ctx)
		}
		t.Stop()
	}
}

// trip opens the breaker after a request used up its retries on err, or
// records a failed probe and schedules the next one further out.
func (b *breaker) trip(err error, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastErr = err
	now := time.Now()
	switch {
	case !b.open:
		b.open, b.openedAt, b.step = true, now, firstProbe
		b.opens++
		metrics.LLMBreakerOpens.Inc()
	case probe:
		b.probing = false
		b.step = min(2*b.step, maxProbe)
	default:
		return // already open: the schedule stands
	}
	b.probeAt = now.Add(b.step)
	b.notify()
}

// answered records that the service answered (anything but a 5xx, a 429
// storm or no answer): the breaker closes.
func (b *breaker) answered() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open || b.probing {
		b.open, b.probing = false, false
		b.notify()
	}
}

// released gives up a probe that ended without telling anything about the
// service (its context ended).
func (b *breaker) released(probe bool) {
	if !probe {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	b.notify()
}

func (b *breaker) state() (open bool, opens int64, gaveUp bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open, b.opens, b.gaveUp != nil
}

// GaveUpError is the per-item error of a review the extractor did not
// enrich because the service stayed unavailable for longer than
// Options.GiveUpAfter. It wraps ErrGaveUp and the last failure seen.
type GaveUpError struct {
	After time.Duration
	Last  error
}

func (e *GaveUpError) Error() string {
	return fmt.Sprintf("%s: the service failed every request for %s (--llm-give-up-after); the last failure: %v", ErrGaveUp.Error(), e.After, e.Last)
}

func (e *GaveUpError) Unwrap() []error { return []error{ErrGaveUp, e.Last} }
