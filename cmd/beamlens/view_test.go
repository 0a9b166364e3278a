package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beamlens/beamlens/view"
)

func TestViewUsage(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "anomalies.jsonl")
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"view"}, "name what to show"},
		{[]string{"view", "--anomalies=pubsub://projects/p/s"}, "want pubsub://projects/P/topics/T"},
		{[]string{"view", "--anomalies=ftp://x/y"}, "the view follows JSON Lines files, kafka:// topics and pubsub://"},
		{[]string{"view", "--dir=" + filepath.Join(dir, "missing")}, "--dir=" + filepath.Join(dir, "missing") + ": no such directory"},
		{[]string{"view", "--anomalies=kafka://127.0.0.1:9092/a", "--kafka-sasl=PLAIN"}, "--kafka-sasl needs --kafka-user"},
		{[]string{"view", "--themes=kafka://127.0.0.1:9092"}, "want kafka://HOST:PORT"},
		{[]string{"view", "--anomalies=" + a, "--listen=0.0.0.0:8080"}, "add --public if you mean it"},
		{[]string{"view", "--anomalies=" + a, "--listen=:8080"}, "not a loopback address"},
		{[]string{"view", "--anomalies=" + a, "--poll=0s"}, "--poll must be positive"},
		{[]string{"view", "--anomalies=" + a, "stray"}, `unexpected argument "stray"`},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.msg)
		}
	}
	code, _, stderr := runCLI(t, "view", "--help")
	if code != 0 {
		t.Fatalf("view --help: exit %d", code)
	}
	for _, flag := range []string{"-dir", "-anomalies", "-stats", "-themes", "-alerts", "-listen", "-public", "-poll", "-kafka-sasl", "-kafka-tls", "pubsub://"} {
		if !strings.Contains(stderr, flag) {
			t.Errorf("view --help does not mention %s", flag)
		}
	}
}

// syncBuffer is a bytes.Buffer a running command writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestViewServesADemoDirectory runs `beamlens view --dir` on the layout
// `beamlens demo` writes, reads its snapshot over HTTP, and stops it the
// way Ctrl-C does.
func TestViewServesADemoDirectory(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join("..", "..", "view", "testdata", "recorded")
	for name, sub := range map[string]string{"anomalies.jsonl": "out", "window_stats.jsonl": "out", "theme_counts.jsonl": "themes", "theme_alerts.jsonl": "themes"} {
		b, err := os.ReadFile(filepath.Join(rec, name))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
		if err := os.WriteFile(filepath.Join(dir, sub, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := strings.Count(mustRead(t, filepath.Join(rec, "anomalies.jsonl")), "\n")
	url, stop := startView(t, "view", "--dir="+dir, "--listen=127.0.0.1:0", "--poll=20ms")
	waitForView(t, url, func(s viewSnapshot) bool { return s.Anomalies == int64(want) && s.Mentions > 0 })
	// An open event stream must not keep the view from stopping.
	events, err := http.Get(url + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer events.Body.Close()
	go io.Copy(io.Discard, events.Body)
	if code := stop(); code != 0 {
		t.Errorf("exit %d after Ctrl-C", code)
	}
}

// startView runs beamlens with args (a view command listening on port 0)
// until stop, which cancels it as Ctrl-C does and returns its exit code.
func startView(t *testing.T, args ...string) (url string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, args, &stdout, &stderr) }()
	stop = func() int {
		cancel()
		select {
		case code := <-exit:
			return code
		case <-time.After(5 * time.Second):
			t.Fatal("the view did not stop when its context ended")
			return -1
		}
	}
	t.Cleanup(func() { cancel() })
	for end := time.Now().Add(10 * time.Second); url == ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%v: no URL printed; stdout %q stderr %q", args, stdout.String(), stderr.String())
		}
		url = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`).FindString(stdout.String())
	}
	return url, stop
}

// viewSnapshot is the part of the view's /snapshot these tests read.
type viewSnapshot struct {
	Anomalies   int64 `json:"anomalies"`
	Mentions    int64 `json:"mentions"`
	AlertsTotal int64 `json:"alerts_total"`
}

// waitForView polls url's snapshot until done holds.
func waitForView(t *testing.T, url string, done func(viewSnapshot) bool) viewSnapshot {
	t.Helper()
	var snap viewSnapshot
	for end := time.Now().Add(10 * time.Second); !done(snap); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the view shows %+v", snap)
		}
		snap = viewSnapshot{}
		resp, err := http.Get(url + "snapshot")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&snap)
		resp.Body.Close()
	}
	return snap
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestViewDirLayouts: --dir takes a demo directory, or an --output
// directory of either pipeline; an empty one is followed with a warning.
func TestViewDirLayouts(t *testing.T) {
	root := t.TempDir()
	mk := func(parts ...string) string {
		p := filepath.Join(append([]string{root}, parts...)...)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
		return p
	}
	anoms := mk("anoms", "anomalies.jsonl")
	counts := mk("themes-out", "theme_counts.jsonl")
	demoA := mk("demo", "out", "anomalies.jsonl")
	os.MkdirAll(filepath.Join(root, "empty"), 0o755)
	for _, c := range []struct {
		dir         string
		anom, theme string
		warn        bool
	}{
		{"anoms", anoms, "", false},
		{"themes-out", "", counts, false},
		{"demo", demoA, filepath.Join(root, "demo", "themes", "theme_counts.jsonl"), false},
		{"empty", filepath.Join(root, "empty", "out", "anomalies.jsonl"), filepath.Join(root, "empty", "themes", "theme_counts.jsonl"), true},
	} {
		var src view.Sources
		var stderr bytes.Buffer
		if err := viewDir(filepath.Join(root, c.dir), &src, &stderr); err != nil {
			t.Fatalf("%s: %v", c.dir, err)
		}
		if src.Anomalies != c.anom || src.Themes != c.theme {
			t.Errorf("%s: anomalies %q themes %q; want %q and %q", c.dir, src.Anomalies, src.Themes, c.anom, c.theme)
		}
		if warned := strings.Contains(stderr.String(), "holds no beamlens outputs yet"); warned != c.warn {
			t.Errorf("%s: warning %q, want one: %v", c.dir, stderr.String(), c.warn)
		}
	}
}
