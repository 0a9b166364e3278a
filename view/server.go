package view

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"sync"
	"time"
)

//go:embed static
var static embed.FS

// Sources names the streams to follow: JSON Lines files, as the pipelines
// write them, or Kafka topics (kafka://HOST:PORT/TOPIC). Any may be empty.
type Sources struct {
	Anomalies, Stats, Themes, Alerts string
}

// Server follows the sources and serves the page, its snapshot as JSON
// (/snapshot) and as server-sent events (/events). It only reads.
type Server struct {
	src   Sources
	every time.Duration
	mu    sync.Mutex
	st    *state
}

// New returns a server for src that polls the files every interval.
func New(src Sources, interval time.Duration) *Server {
	return &Server{src: src, every: interval, st: newState()}
}

// Follow tails every source until ctx ends. When a file is rewritten, the
// view starts over from its new content.
func (s *Server) Follow(ctx context.Context) error {
	type feed struct {
		path string
		add  func(*state, []byte)
	}
	feeds := []feed{
		{s.src.Anomalies, (*state).addAnomaly}, {s.src.Stats, (*state).addStats},
		{s.src.Themes, (*state).addThemeCount}, {s.src.Alerts, (*state).addAlert},
	}
	errs := make(chan error, len(feeds))
	n := 0
	for _, f := range feeds {
		if f.path == "" {
			continue
		}
		n++
		add := func(line []byte) {
			s.mu.Lock()
			st := s.st
			s.mu.Unlock()
			f.add(st, line)
		}
		go func() {
			if isKafka(f.path) {
				errs <- followKafka(ctx, f.path, add)
				return
			}
			errs <- follow(ctx, f.path, s.every, add, s.restart)
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// restart drops what was read: a file was rewritten. The other streams are
// read again too, so the view stays consistent.
func (s *Server) restart() {
	s.mu.Lock()
	s.st = newState()
	s.mu.Unlock()
}

// Snapshot returns what the page shows now.
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	st := s.st
	s.mu.Unlock()
	return st.snapshot()
}

// Handler serves the page and its data. Every route is read-only: anything
// but GET and HEAD is refused.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	files, _ := fs.Sub(static, "static")
	mux.Handle("/", http.FileServer(http.FS(files)))
	mux.HandleFunc("/snapshot", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Snapshot())
	})
	mux.HandleFunc("/events", s.events)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the view is read-only", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		mux.ServeHTTP(w, r)
	})
}

// events streams a snapshot whenever the data changed, at most once per
// polling interval.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	last := int64(-1)
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		snap := s.Snapshot()
		if snap.Version != last {
			last = snap.Version
			b, _ := json.Marshal(snap)
			if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
				return
			}
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
	}
}

// Listen opens addr, refusing an address beyond the loopback interface
// unless public is set: the view shows a pipeline's data to whoever can
// reach it.
func Listen(addr string, public bool) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--listen %q: %w", addr, err)
	}
	if !public {
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("--listen %q is not a loopback address: the view would show your data to the network; add --public if you mean it", addr)
		}
	}
	return net.Listen("tcp", addr)
}
