package llmtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/beamlens/beamlens/models/llm"
)

// Server is a running fake chat completions server. Safe for concurrent use.
type Server struct {
	cfg Config
	srv *httptest.Server
	lim *rate.Limiter // nil: no budget

	mu       sync.Mutex
	rng      *rand.Rand
	injected []Mode
	outage   time.Time // every request before it answers ServerError
	stats    Stats

	inFlight atomic.Int64
	seq      atomic.Int64
}

// Stats counts what a Server saw.
type Stats struct {
	// Requests is the number of chat completion requests received.
	Requests int64
	// Reviews is the number of reviews in them.
	Reviews int64
	// Answered is the number of requests answered with a good answer.
	Answered int64
	// Modes counts requests by the mode they were answered with.
	Modes map[Mode]int64
	// Formats counts requests by response_format type ("none" for none).
	Formats map[string]int64
	// Rejected counts requests refused for their response_format.
	Rejected int64
	// Refused counts requests refused for a review's text (RefuseText).
	Refused int64
	// Unauthorized counts requests refused for their key.
	Unauthorized int64
	// OverBudget counts requests refused by RequestsPerMinute.
	OverBudget int64
	// MaxInFlight is the most requests in progress at once.
	MaxInFlight int64
	// Paths counts requests by URL path and query.
	Paths map[string]int64
	// Roles counts requests by the role of their first message.
	Roles map[string]int64
	// Triggered counts requests answered with TriggerMode; TooLong those
	// refused as a context overflow; RoleRejected those refused for a
	// system message; InOutage those failed by Outage.
	Triggered, TooLong, RoleRejected, InOutage int64
	// PromptTokens and CompletionTokens add up the usage reported.
	PromptTokens, CompletionTokens int64
}

// NewServer starts a server on 127.0.0.1; Close stops it.
func NewServer(cfg Config) *Server {
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = time.Second
	}
	if cfg.HangFor <= 0 {
		cfg.HangFor = 30 * time.Second
	}
	if cfg.Themes == nil {
		cfg.Themes = llm.NewOffline().Themes
	}
	s := &Server{
		cfg:   cfg,
		rng:   rand.New(rand.NewPCG(cfg.Seed, 0x11e57)),
		stats: Stats{Modes: map[Mode]int64{}, Formats: map[string]int64{}, Paths: map[string]int64{}, Roles: map[string]int64{}},
	}
	if cfg.RequestsPerMinute > 0 {
		s.lim = rate.NewLimiter(rate.Limit(float64(cfg.RequestsPerMinute)/60), max(1, cfg.Burst))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handle)
	mux.HandleFunc("POST /chat/completions", s.handle)
	mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.handle)
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the base URL to configure a client with, ending in /v1.
func (s *Server) URL() string { return s.srv.URL + "/v1" }

// RootURL is the server's address without /v1 (the base URL for Azure).
func (s *Server) RootURL() string { return s.srv.URL }

// Close stops the server, closing client connections.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Inject makes the next requests, in order, answer with modes, ahead of the
// probabilities (rejections for key, budget or response_format come first
// and do not use up an injected mode).
func (s *Server) Inject(modes ...Mode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.injected = append(s.injected, modes...)
}

// Outage makes every request for the next d answer 500, 502 or 503, as a
// server that is down; it overrides injected modes and probabilities.
func (s *Server) Outage(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = time.Now().Add(d)
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Modes = maps.Clone(s.stats.Modes)
	st.Formats = maps.Clone(s.stats.Formats)
	st.Paths = maps.Clone(s.stats.Paths)
	st.Roles = maps.Clone(s.stats.Roles)
	return st
}

func (s *Server) count(f func(st *Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	s.count(func(st *Stats) {
		st.Requests++
		st.MaxInFlight = max(st.MaxInFlight, n)
		st.Paths[r.URL.RequestURI()]++
	})
	if s.cfg.RequireAzure && (r.Header.Get("api-key") == "" || r.URL.Query().Get("api-version") == "") {
		s.count(func(st *Stats) { st.Unauthorized++ })
		writeError(w, http.StatusUnauthorized, "401",
			"Access denied due to invalid subscription key or wrong API endpoint.", "")
		return
	}
	if s.cfg.APIKey != "" && !s.authorised(r) {
		s.count(func(st *Stats) { st.Unauthorized++ })
		writeError(w, http.StatusUnauthorized, "invalid_request_error",
			"Incorrect API key provided: "+presentedKey(r)+". You can find your API key in your account settings.", "")
		return
	}
	// The budget counts a request when it arrives, before its body is
	// read, as an API gateway does.
	if s.lim != nil {
		now := time.Now()
		if res := s.lim.ReserveN(now, 1); res.DelayFrom(now) > 0 {
			wait := res.DelayFrom(now)
			res.CancelAt(now)
			s.count(func(st *Stats) { st.OverBudget++ })
			s.rateLimited(w, wait)
			return
		}
	}
	req, err := readRequest(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", err.Error(), "messages")
		return
	}
	s.count(func(st *Stats) {
		st.Reviews += int64(len(req.reviews))
		st.Formats[req.format]++
		st.Roles[req.firstRole]++
	})
	if s.inOutage() {
		s.count(func(st *Stats) { st.InOutage++; st.Modes[ServerError]++ })
		s.answer(w, r, req, ServerError)
		return
	}
	if s.cfg.RejectSystemRole && req.firstRole == "system" {
		s.count(func(st *Stats) { st.RoleRejected++ })
		writeError(w, http.StatusBadRequest, "invalid_request_error",
			"Unsupported value: 'messages[0].role' does not support 'system' with this model.", "messages[0].role")
		return
	}
	if rf := s.cfg.RejectResponseFormat; (rf == "any" && req.format != "none") || (rf != "" && rf == req.format) {
		s.count(func(st *Stats) { st.Rejected++ })
		if s.cfg.RejectStatus >= 500 {
			writeError(w, s.cfg.RejectStatus, "server_error", `Unrecognized schema: {"additionalProperties":false}`, "")
			return
		}
		writeError(w, max(s.cfg.RejectStatus, http.StatusBadRequest), "invalid_request_error",
			fmt.Sprintf("response_format type %q is not supported by this server", req.format), "response_format")
		return
	}
	if s.cfg.MaxRequestBytes > 0 && req.bytes > s.cfg.MaxRequestBytes {
		s.count(func(st *Stats) { st.TooLong++ })
		status := s.cfg.ContextStatus
		if status == 0 {
			status = http.StatusBadRequest
		}
		writeError(w, status, "exceed_context_size_error", fmt.Sprintf(
			"the request exceeds the available context size (%d tokens > n_ctx %d). try increasing the context size or enable context shift",
			req.bytes/4, s.cfg.MaxRequestBytes/4), "")
		return
	}
	if s.refused(req) {
		s.count(func(st *Stats) { st.Refused++ })
		writeError(w, http.StatusBadRequest, "invalid_request_error",
			"The request was rejected by the content filter.", "messages")
		return
	}
	mode := s.nextMode()
	if s.triggered(req) {
		mode = s.cfg.TriggerMode
		s.count(func(st *Stats) { st.Triggered++ })
	}
	s.count(func(st *Stats) { st.Modes[mode]++ })
	delay := s.cfg.Latency + time.Duration(len(req.reviews))*s.cfg.LatencyPerReview
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	s.answer(w, r, req, mode)
}

// nextMode takes an injected mode, else draws one.
func (s *Server) nextMode() Mode {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.injected) > 0 {
		m := s.injected[0]
		s.injected = s.injected[1:]
		return m
	}
	u := s.rng.Float64()
	c := s.cfg
	for i, p := range []float64{c.RateLimitProb, c.ServerErrorProb, c.TimeoutProb, c.ResetProb,
		c.GarbageProb, c.MissingIDProb, c.ExtraIDProb, c.WrongSchemaProb, c.BrokenBodyProb} {
		if u < p {
			return Mode(i + 1)
		}
		u -= p
	}
	return OK
}

func (s *Server) inOutage() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Before(s.outage)
}

func (s *Server) triggered(req request) bool {
	if s.cfg.TriggerText == "" {
		return false
	}
	for _, rv := range req.reviews {
		if strings.Contains(rv.Text, s.cfg.TriggerText) {
			return true
		}
	}
	return false
}

func (s *Server) refused(req request) bool {
	if s.cfg.RefuseText == "" {
		return false
	}
	for _, rv := range req.reviews {
		if strings.Contains(rv.Text, s.cfg.RefuseText) {
			return true
		}
	}
	return false
}

func (s *Server) authorised(r *http.Request) bool {
	return presentedKey(r) == s.cfg.APIKey
}

func presentedKey(r *http.Request) string {
	if k := r.Header.Get("api-key"); k != "" {
		return k
	}
	const bearer = "Bearer "
	if h := r.Header.Get("Authorization"); len(h) > len(bearer) && h[:len(bearer)] == bearer {
		return h[len(bearer):]
	}
	return ""
}

func (s *Server) rateLimited(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	w.Header().Set("Retry-After-Ms", strconv.FormatInt(max(1, wait.Milliseconds()), 10))
	writeError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Rate limit reached for requests. Please try again later.", "")
}

func writeError(w http.ResponseWriter, status int, typ, msg, param string) {
	body := map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nilIfEmpty(param), "code": nil}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
