package llm

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// spacing keeps requests an interval apart as they leave the process, not
// only as they take their tokens. Between the token and the last byte on
// the wire a request passes through the caller's goroutine and the HTTP
// transport's write loop, each of which may wait for a CPU: measured on a
// loaded 2-core machine, a few milliseconds at the 99th percentile and
// tens at the worst. A request written late makes the next one, written on
// time, arrive less than an interval after it, and a strict budget (burst
// 1) refuses that. So a request leaves no earlier than the previous one's
// write plus an interval (net/http/httptrace's WroteRequest), and what is
// left to the pacer's margin is the server's side. It also keeps the
// latest token-to-written lags for Stats. Safe for concurrent use.
type spacing struct {
	lastWrite atomic.Int64 // unix nanoseconds of the latest request written

	mu   sync.Mutex
	lags [256]time.Duration // the latest token-to-written lags, a ring
	n    int                // lags recorded in all
}

// written is one request's write as spacing saw it, for forget.
type written struct {
	prev, at atomic.Int64 // lastWrite before it; its own moment
}

// wrote records that a request whose token was taken at token was written
// at at, in w.
func (s *spacing) wrote(w *written, token, at time.Time) {
	for {
		cur := s.lastWrite.Load()
		if cur >= at.UnixNano() {
			break
		}
		if s.lastWrite.CompareAndSwap(cur, at.UnixNano()) {
			w.prev.Store(cur)
			w.at.Store(at.UnixNano())
			break
		}
	}
	s.mu.Lock()
	s.lags[s.n%len(s.lags)] = at.Sub(token)
	s.n++
	s.mu.Unlock()
}

// forget takes back the write recorded in w, when no later one has been:
// the service did not count the request (a 429), so the next may leave an
// interval after the one before it.
func (s *spacing) forget(w *written) {
	if at := w.at.Load(); at != 0 {
		s.lastWrite.CompareAndSwap(at, w.prev.Load())
	}
}

// earliest returns the first moment a request may leave, interval after
// the latest one written.
func (s *spacing) earliest(interval time.Duration) time.Time {
	last := s.lastWrite.Load()
	if last == 0 {
		return time.Time{}
	}
	return time.Unix(0, last).Add(interval)
}

// lagQuantiles returns the median, the 99th percentile and the largest of
// the latest token-to-written lags, zero when there are none.
func (s *spacing) lagQuantiles() (p50, p99, most time.Duration) {
	s.mu.Lock()
	n := min(s.n, len(s.lags))
	ls := slices.Clone(s.lags[:n])
	s.mu.Unlock()
	if n == 0 {
		return 0, 0, 0
	}
	slices.Sort(ls)
	return ls[n/2], ls[min(n-1, n*99/100)], ls[n-1]
}
