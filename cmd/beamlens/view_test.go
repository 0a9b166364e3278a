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
)

func TestViewUsage(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "anomalies.jsonl")
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"view"}, "name what to show"},
		{[]string{"view", "--anomalies=pubsub://projects/p/subscriptions/s"}, "Pub/Sub is not supported yet"},
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
	for _, flag := range []string{"-dir", "-anomalies", "-stats", "-themes", "-alerts", "-listen", "-public", "-poll"} {
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
