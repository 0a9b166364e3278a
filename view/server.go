package view

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/beamlens/beamlens/transforms/kafkaio"
)

//go:embed static
var static embed.FS

// Sources names the streams to follow: JSON Lines files, as the pipelines
// write them, Kafka topics (kafka://HOST:PORT/TOPIC) or Pub/Sub
// (pubsub://projects/P/topics/T or .../subscriptions/S). Any may be empty.
type Sources struct {
	Anomalies, Stats, Themes, Alerts string
	// Kafka holds how kafka:// sources are reached beyond their brokers:
	// SASL and TLS, as the pipelines' flags set them. Default plaintext.
	Kafka kafkaio.Connect
}

// Check reports a source the view cannot follow: a URI of another scheme,
// or a malformed kafka:// or pubsub:// one.
func (src Sources) Check() error {
	for _, p := range src.list() {
		switch {
		case isKafka(p.where):
			if _, _, err := parseKafka(p.where); err != nil {
				return err
			}
		case isPubSub(p.where):
			if _, err := parsePubSub(p.where); err != nil {
				return err
			}
		case strings.Contains(p.where, "://"):
			return fmt.Errorf("%q: the view follows JSON Lines files, kafka:// topics and pubsub:// topics or subscriptions", p.where)
		}
	}
	return nil
}

type namedSource struct{ name, where string }

// list returns the sources that are set, in page order.
func (src Sources) list() []namedSource {
	var out []namedSource
	for _, s := range []namedSource{{"anomalies", src.Anomalies}, {"stats", src.Stats}, {"themes", src.Themes}, {"alerts", src.Alerts}} {
		if s.where != "" {
			out = append(out, s)
		}
	}
	return out
}

// SourceStatus says what the page follows and whether it is there yet, for
// the message of a page with nothing to show.
type SourceStatus struct {
	Name  string `json:"name"`
	Where string `json:"where"`
	// Missing is set for a file that does not exist (yet).
	Missing bool `json:"missing"`
}

func (src Sources) status() []SourceStatus {
	out := []SourceStatus{}
	for _, s := range src.list() {
		st := SourceStatus{Name: s.name, Where: s.where}
		if !strings.Contains(s.where, "://") {
			_, err := os.Stat(s.where)
			st.Missing = err != nil
		}
		out = append(out, st)
	}
	return out
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

// Follow tails every source until ctx ends, or until one fails: then it
// stops the others and returns that error. When a file is rewritten (a new
// run), the view starts over: every source is read again from its start
// into a fresh state, so the streams shown stay consistent with each other.
func (s *Server) Follow(ctx context.Context) error {
	for {
		s.mu.Lock()
		st := s.st
		s.mu.Unlock()
		err := s.followInto(ctx, st)
		if !errors.Is(err, errRewritten) || ctx.Err() != nil {
			return err
		}
		s.mu.Lock()
		s.st = newState()
		s.mu.Unlock()
	}
}

// followInto feeds every source into st until ctx ends or one source
// fails or is rewritten; it returns once every follower has stopped, so no
// line of this pass lands in the next pass's state.
func (s *Server) followInto(ctx context.Context, st *state) error {
	feeds := []struct {
		src string
		add func(*state, []byte)
	}{
		{s.src.Anomalies, (*state).addAnomaly}, {s.src.Stats, (*state).addStats},
		{s.src.Themes, (*state).addThemeCount}, {s.src.Alerts, (*state).addAlert},
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(feeds))
	n := 0
	for _, f := range feeds {
		if f.src == "" {
			continue
		}
		n++
		add := func(line []byte) { f.add(st, line) }
		go func() {
			switch {
			case isKafka(f.src):
				errs <- followKafka(ctx, f.src, s.src.Kafka, add)
			case isPubSub(f.src):
				errs <- followPubSub(ctx, f.src, add)
			default:
				errs <- follow(ctx, f.src, s.every, add)
			}
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// Snapshot returns what the page shows now.
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	st := s.st
	s.mu.Unlock()
	snap := st.snapshot()
	snap.Sources = s.src.status()
	return snap
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

// ErrNotLoopback is wrapped by Listen's error for an address beyond the
// loopback interface when public is not set.
var ErrNotLoopback = errors.New("not a loopback address")

// Listen opens addr, refusing an address beyond the loopback interface
// unless public is set: the view and /metrics show a pipeline's data to
// whoever can reach them. Its errors name the address, not a flag: the
// caller knows which flag gave it and what the user may do about it.
func Listen(addr string, public bool) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", addr, err)
	}
	if !public {
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("%q is %w", addr, ErrNotLoopback)
		}
	}
	return net.Listen("tcp", addr)
}
