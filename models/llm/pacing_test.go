package llm

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// limiterInterval is the interval lim now leaves between requests.
func limiterInterval(lim *rate.Limiter) time.Duration {
	return time.Duration(float64(time.Second) / float64(lim.Limit())).Round(time.Microsecond)
}

// TestPacerStartsWithASmallMargin: at 600 requests a minute the limiter
// starts 102 ms apart, not at the bare 100 ms a strict server refuses
// half the time, nor at a pace that gives up more than the margin.
func TestPacerStartsWithASmallMargin(t *testing.T) {
	lim := rate.NewLimiter(10, 1)
	p := newPacer(lim)
	if got := limiterInterval(lim); got != 102*time.Millisecond {
		t.Errorf("limiter interval %s, want 102ms", got)
	}
	if got := p.interval(); got != 102*time.Millisecond {
		t.Errorf("pacer interval %s, want 102ms", got)
	}
}

// TestPacerMarginGrowsByTheServersWord: a 429 widens the margin by what
// the service said the request was early, at most 2 ms, whatever its
// Retry-After; a 429 with none widens it by the 2 ms step.
func TestPacerMarginGrowsByTheServersWord(t *testing.T) {
	lim := rate.NewLimiter(10, 1)
	p := newPacer(lim)
	steps := []struct {
		early time.Duration
		want  time.Duration
	}{
		{time.Millisecond, 103 * time.Millisecond},
		{300 * time.Microsecond, 103300 * time.Microsecond},
		{20 * time.Second, 105300 * time.Microsecond}, // a real provider's "retry after 20 s"
		{0, 107300 * time.Microsecond},
	}
	for _, s := range steps {
		p.limited(s.early)
		if got := p.interval(); got != s.want {
			t.Errorf("after a 429 early by %s: interval %s, want %s", s.early, got, s.want)
		}
		if got := limiterInterval(lim); got != s.want {
			t.Errorf("after a 429 early by %s: the limiter's interval %s, want %s", s.early, got, s.want)
		}
	}
}

// TestPacerMarginIsCapped: a storm of 429s cannot slow the job by more
// than a fifth of the interval.
func TestPacerMarginIsCapped(t *testing.T) {
	lim := rate.NewLimiter(10, 1)
	p := newPacer(lim)
	for range 1000 {
		p.limited(time.Second)
	}
	if got := p.interval(); got != 120*time.Millisecond {
		t.Errorf("interval after 1000 429s %s, want the cap, 120ms", got)
	}
	if got := limiterInterval(lim); got != 120*time.Millisecond {
		t.Errorf("the limiter's interval %s, want 120ms", got)
	}
}

// TestPacerMarginDecaysAfterCleanAnswers: a long run of answers without a
// 429 gives back a tenth of what the margin learned, each decayAfter
// answers, never below where it started; a 429 restarts the count.
func TestPacerMarginDecaysAfterCleanAnswers(t *testing.T) {
	lim := rate.NewLimiter(10, 1)
	p := newPacer(lim)
	for range 5 {
		p.limited(time.Second) // +2 ms each: 112 ms
	}
	for range decayAfter - 1 {
		p.answered()
	}
	p.limited(time.Microsecond) // restarts the count: 112.001 ms
	for range decayAfter - 1 {
		p.answered()
	}
	if got := p.interval(); got != 112001*time.Microsecond {
		t.Fatalf("interval %s before a full run of clean answers, want 112.001ms", got)
	}
	p.answered()
	if got, want := p.interval(), 102*time.Millisecond+(10001*time.Microsecond*9)/10; got != want {
		t.Errorf("interval after %d clean answers %s, want %s", decayAfter, got, want)
	}
	for range 200 * decayAfter {
		p.answered()
	}
	if got := p.interval(); got < 102*time.Millisecond || got > 102100*time.Microsecond {
		t.Errorf("interval after many clean answers %s, want just above the start, 102ms", got)
	}
}

// TestPacerWithoutLimit: no request limit, no pacer, and a nil pacer is
// safe to call.
func TestPacerWithoutLimit(t *testing.T) {
	if p := newPacer(rate.NewLimiter(rate.Inf, 1)); p != nil {
		t.Errorf("a pacer for an unlimited limiter: %+v", p)
	}
	var p *pacer
	p.limited(time.Millisecond)
	p.answered()
	if got := p.interval(); got != 0 {
		t.Errorf("nil pacer interval %s", got)
	}
}
