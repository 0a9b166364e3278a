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

// sendTimes records when each chat request leaves the client, and when
// each 429 comes back to it.
type sendTimes struct {
	mu      sync.Mutex
	times   []time.Time
	limited []time.Time
	next    http.RoundTripper
}

func (s *sendTimes) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.times = append(s.times, time.Now())
	s.mu.Unlock()
	resp, err := s.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		s.mu.Lock()
		s.limited = append(s.limited, time.Now())
		s.mu.Unlock()
	}
	return resp, err
}

func (s *sendTimes) get429s() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.limited)
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
//
// The pause starts when the client has read the 429, which the test sees
// as the moment the 429 came back through the transport: under load that
// can be long after the first request left, so the window is measured
// from there. Requests already past the pause's gate then may still
// leave, at most one for each of the MaxConcurrency slots: a slot that
// sent one holds it for the server's latency, far longer than the client
// takes from reading the 429 to setting the pause. An extractor that held
// back only the refused request would send the rest of the reviews, eight
// or more, inside the pause.
func TestRetryAfterHoldsEveryRequest(t *testing.T) {
	const wait, slots = 400 * time.Millisecond, 4
	srv := startServer(t, llmtest.Config{RetryAfter: wait, Latency: 100 * time.Millisecond})
	var sends *sendTimes
	e := newExtractor(t, srv, func(o *llm.Options) {
		o.BatchSize, o.MaxConcurrency = 1, slots
		sends = recordSends(o)
	})
	srv.Inject(llmtest.RateLimit)
	items := reviewItems(t, 12, 23)
	checkResults(t, items, extract(t, e, items), false)
	ts, limited := sends.get(), sends.get429s()
	if len(limited) != 1 {
		t.Fatalf("%d 429s came back, want 1", len(limited))
	}
	var during []time.Duration
	for _, s := range ts {
		if d := s.Sub(limited[0]); d > 0 && d < wait {
			during = append(during, d)
		}
	}
	t.Logf("left during the pause, after the 429 came back: %v", during)
	if len(during) > slots {
		t.Errorf("%d requests left during the 429's %s pause (at %v after it came back), at most %d may have been on their way",
			len(during), wait, during, slots)
	}
	if len(ts) != len(items)+1 {
		t.Errorf("%d requests for %d reviews and one 429", len(ts), len(items))
	}
}
