package llm_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/models/llm/llmtest"
)

// sendTimes records when each chat request leaves the client.
type sendTimes struct {
	mu    sync.Mutex
	times []time.Time
	next  http.RoundTripper
}

func (s *sendTimes) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.times = append(s.times, time.Now())
	s.mu.Unlock()
	return s.next.RoundTrip(r)
}

func (s *sendTimes) get() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.times)
}

func recordSends(o *llm.Options) *sendTimes {
	st := &sendTimes{next: http.DefaultTransport.(*http.Transport).Clone()}
	o.HTTPClient = &http.Client{Transport: st}
	return st
}

// TestLimiterSpacesRequestsAsTheyLeave: with burst 1 and four requests in
// flight, no two requests leave closer than the limiter's interval (less
// a margin for the clock and the scheduler), from the very first: tokens
// do not pile up while requests wait for a slot, and the second request
// does not follow the first at once.
func TestLimiterSpacesRequestsAsTheyLeave(t *testing.T) {
	srv := startServer(t, llmtest.Config{Latency: 150 * time.Millisecond})
	var sends *sendTimes
	e := newExtractor(t, srv, func(o *llm.Options) {
		o.BatchSize, o.MaxConcurrency, o.RequestsPerMinute = 1, 4, 1200 // 20/s: 50 ms apart
		sends = recordSends(o)
	})
	items := reviewItems(t, 24, 21)
	checkResults(t, items, extract(t, e, items), false)
	ts := sends.get()
	if len(ts) != len(items) {
		t.Fatalf("%d requests for %d reviews", len(ts), len(items))
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	minGap := time.Hour
	for i := 1; i < len(ts); i++ {
		minGap = min(minGap, ts[i].Sub(ts[i-1]))
	}
	// The pacer starts 2% above the interval: 51 ms.
	if minGap < 40*time.Millisecond {
		t.Errorf("two requests left %s apart; the limit is one per 50 ms, burst 1", minGap)
	}
	if st := srv.Stats(); st.MaxInFlight < 2 {
		t.Errorf("at most %d requests in flight: the slots were not used", st.MaxInFlight)
	}
}

// TestRateLimitedRequestKeepsItsToken: a request the service answers 429
// was not counted by it, so its retry leaves when the Retry-After ends,
// not a whole interval of the client's limit later, and the next request
// keeps its distance from the retry.
func TestRateLimitedRequestKeepsItsToken(t *testing.T) {
	srv := startServer(t, llmtest.Config{RetryAfter: 100 * time.Millisecond})
	var sends *sendTimes
	e := newExtractor(t, srv, func(o *llm.Options) {
		o.BatchSize, o.MaxConcurrency, o.RequestsPerMinute = 1, 1, 60 // one a second
		sends = recordSends(o)
	})
	srv.Inject(llmtest.RateLimit)
	items := reviewItems(t, 2, 22)
	checkResults(t, items, extract(t, e, items), false)
	ts := sends.get()
	if len(ts) != 3 {
		t.Fatalf("%d requests, want 3 (one refused, its retry, the second review)", len(ts))
	}
	if d := ts[1].Sub(ts[0]); d < 100*time.Millisecond || d > 700*time.Millisecond {
		t.Errorf("the retry left %s after the 429 (Retry-After 100ms; the limit's interval is 1.02s, 1.022s after the 429)", d)
	}
	if d := ts[2].Sub(ts[1]); d < 900*time.Millisecond {
		t.Errorf("the next request left %s after the retry, less than the limit's interval", d)
	}
	if st := e.Stats(); st.RateLimited != 1 {
		t.Errorf("RateLimited %d, want 1", st.RateLimited)
	}
}

// TestRetryAfterHoldsEveryRequest: a 429 is about the account, so its
// Retry-After holds back every request of the extractor, not just the one
// that drew it.
func TestRetryAfterHoldsEveryRequest(t *testing.T) {
	const wait = 400 * time.Millisecond
	srv := startServer(t, llmtest.Config{RetryAfter: wait, Latency: 20 * time.Millisecond})
	var sends *sendTimes
	e := newExtractor(t, srv, func(o *llm.Options) {
		o.BatchSize, o.MaxConcurrency = 1, 4
		sends = recordSends(o)
	})
	srv.Inject(llmtest.RateLimit)
	items := reviewItems(t, 12, 23)
	checkResults(t, items, extract(t, e, items), false)
	ts := sends.get()
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	// The first request drew the 429 about 20 ms after it left; requests
	// already on their way then may still arrive, none may leave after it
	// until the pause is over.
	var during int
	for _, s := range ts[1:] {
		if d := s.Sub(ts[0]); d > 60*time.Millisecond && d < wait {
			during++
		}
	}
	if during > 0 {
		t.Errorf("%d requests left during the 429's %s pause: %v", during, wait, ts)
	}
	if len(ts) != len(items)+1 {
		t.Errorf("%d requests for %d reviews and one 429", len(ts), len(items))
	}
}
