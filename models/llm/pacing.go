package llm

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer sets the interval between request starts: the configured minimum
// (60s / RequestsPerMinute) plus a safety margin learned from the
// service's 429s. Spacing requests exactly the minimum apart is not enough
// against a strict budget (burst 1): requests leave on time but arrive a
// few milliseconds apart either way, and every one that arrives early is
// refused. How early is the server's side of the jitter, which the client
// cannot see until it is told, so the margin starts small (startMargin of
// the interval) and each 429 adds what the service said it was early by
// (its Retry-After), at most marginStep: one 429 answered "retry after 20
// s" must not slow the job by seconds a request. The margin is capped at
// maxMargin of the interval, because without a cap a burst of 429s (a
// load spike on the server) slows the rest of a job for good; and every
// decayAfter answers in a row without a 429 it gives back decayShare of
// what it learned above startMargin, so a long job follows the service
// when the spike is over. Safe for concurrent use; a nil *pacer does
// nothing.
type pacer struct {
	lim  *rate.Limiter
	base time.Duration // the configured minimum interval

	mu     sync.Mutex
	margin time.Duration
	okRun  int
}

const (
	startMargin = 0.02 // of the interval: 2 ms at 600 requests a minute
	maxMargin   = 0.20 // of the interval
	marginStep  = 2 * time.Millisecond
	decayAfter  = 100
	decayShare  = 0.1
)

func newPacer(lim *rate.Limiter) *pacer {
	if lim == nil || lim.Limit() <= 0 || lim.Limit() == rate.Inf {
		return nil
	}
	base := time.Duration(float64(time.Second) / float64(lim.Limit()))
	p := &pacer{lim: lim, base: base, margin: time.Duration(float64(base) * startMargin)}
	p.apply()
	return p
}

// apply sets the limiter to one request an interval. Called with mu held
// (or before p is shared).
func (p *pacer) apply() {
	p.lim.SetLimit(rate.Limit(float64(time.Second) / float64(p.base+p.margin)))
}

// limited records a 429 whose Retry-After was early (0 when the service
// gave none): the margin grows by early, at most marginStep, up to
// maxMargin of the interval.
func (p *pacer) limited(early time.Duration) {
	if p == nil {
		return
	}
	step := marginStep
	if early > 0 {
		step = min(early, marginStep)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.okRun = 0
	p.margin = min(p.margin+step, time.Duration(float64(p.base)*maxMargin))
	p.apply()
}

// answered records a request that drew no 429.
func (p *pacer) answered() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	floor := time.Duration(float64(p.base) * startMargin)
	if p.margin <= floor {
		return
	}
	if p.okRun++; p.okRun >= decayAfter {
		p.okRun = 0
		p.margin -= time.Duration(float64(p.margin-floor) * decayShare)
		p.apply()
	}
}

// interval returns the time the limiter now leaves between request starts.
func (p *pacer) interval() time.Duration {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.base + p.margin
}
