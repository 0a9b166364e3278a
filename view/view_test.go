package view

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// span is a test point that remembers which stream points it stands for.
type span struct{ first, last, peak int }

func TestSeriesStaysBoundedCoversEverythingKeepsThePeak(t *testing.T) {
	merge := func(a, b span) span { return span{a.first, b.last, max(a.peak, b.peak)} }
	for _, n := range []int{1, 599, 600, 601, 1_000_003} {
		s := newSeries(600, merge)
		peakAt := n * 2 / 3
		for i := range n {
			v := i % 7
			if i == peakAt {
				v = 1_000
			}
			s.add(span{i, i, v})
		}
		pts := s.points()
		if len(pts) > 601 || (n >= 600 && len(pts) < 300) {
			t.Fatalf("n=%d: %d points kept, want 300-601", n, len(pts))
		}
		// Buckets tile the stream: nothing dropped, nothing twice, in order.
		next, peak := 0, 0
		for i, p := range pts {
			if p.first != next || p.last < p.first {
				t.Fatalf("n=%d: bucket %d covers %d..%d, want it to start at %d", n, i, p.first, p.last, next)
			}
			next, peak = p.last+1, max(peak, p.peak)
		}
		if next != n {
			t.Errorf("n=%d: buckets end at %d: the newest points are not shown", n, next-1)
		}
		if peak != 1_000 && n > peakAt {
			t.Errorf("n=%d: the peak at %d was thinned away", n, peakAt)
		}
	}
}

// TestThinnedChartKeepsExtremes: a device with 100k windows and 100k
// anomalies is drawn from at most maxPointsPerSeries points each, and the
// one wide band and the one huge anomaly are among them.
func TestThinnedChartKeepsExtremes(t *testing.T) {
	st := newState()
	const n = 100_000
	for i := range n {
		sd := 1.0
		if i == 31_337 {
			sd = 50
		}
		st.addStats(fmt.Appendf(nil, `{"device_id":"d","metric":"temperature","window_start":%d,"mean":20,"stddev":%g}`, int64(i)*60_000, sd))
		score := 5.0 + float64(i%3)
		if i == 77_777 {
			score = -99 // a z-score far below normal strays furthest
		}
		st.addAnomaly(fmt.Appendf(nil, `{"device_id":"d","timestamp":%d,"temperature":%g,"metric":"temperature","score":%g,"detector":"zscore"}`, int64(i)*60_000, 20+score, score))
	}
	snap := st.snapshot()
	if len(snap.Charts) != 1 {
		t.Fatalf("%d charts", len(snap.Charts))
	}
	c := snap.Charts[0]
	if len(c.Stats) > maxPointsPerSeries+1 || len(c.Flagged) > maxPointsPerSeries+1 {
		t.Fatalf("%d stats points and %d anomalies drawn, want at most %d", len(c.Stats), len(c.Flagged), maxPointsPerSeries+1)
	}
	hi, lowest := 0.0, 0.0
	for _, p := range c.Stats {
		hi = max(hi, p.Hi)
	}
	for _, p := range c.Flagged {
		lowest = min(lowest, p.Score)
	}
	if hi != 120 || lowest != -99 {
		t.Errorf("band top %g (want 120), lowest score drawn %g (want -99): thinning hid an extreme", hi, lowest)
	}
	if last := c.Flagged[len(c.Flagged)-1].T; last < int64(n-600)*60_000 {
		t.Errorf("the newest anomaly drawn is at %d: the chart lags the stream", last)
	}
	if c.Anomalies != n || snap.Anomalies != n || snap.StatsWindows != n {
		t.Errorf("totals %d/%d/%d, want %d: counts must stay exact", c.Anomalies, snap.Anomalies, snap.StatsWindows, n)
	}
}

// TestHundredThousandAnomalies: the counts stay exact while what the page
// receives stays small, so the page stays responsive.
func TestHundredThousandAnomalies(t *testing.T) {
	st := newState()
	for i := range 100_000 {
		st.addAnomaly(fmt.Appendf(nil, `{"device_id":"dev-%d","timestamp":%d,"temperature":%d,"anomaly":true,"detector":"threshold","metric":"temperature","score":%d,"threshold":100}`,
			i%40, 1_700_000_000_000+int64(i)*1000, 101+i%50, 101+i%50))
	}
	snap := st.snapshot()
	if snap.Anomalies != 100_000 || snap.Devices != 40 {
		t.Fatalf("anomalies %d devices %d, want 100000 and 40", snap.Anomalies, snap.Devices)
	}
	total := 0
	for _, c := range snap.Charts {
		total += c.Anomalies
		if len(c.Flagged) > maxPointsPerSeries {
			t.Errorf("%s: %d points drawn", c.Device, len(c.Flagged))
		}
	}
	if len(snap.Charts) != maxDevicesDrawn || total != maxDevicesDrawn*2500 {
		t.Errorf("%d charts, %d anomalies in them", len(snap.Charts), total)
	}
	b, _ := json.Marshal(snap)
	if len(b) > 1<<20 {
		t.Errorf("a snapshot of 100k anomalies is %d bytes: the page would choke", len(b))
	}
	t.Logf("snapshot of 100,000 anomalies: %d KiB", len(b)>>10)
}

func TestListenRefusesTheNetworkUnlessAsked(t *testing.T) {
	if _, err := Listen("0.0.0.0:0", false); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("0.0.0.0 accepted without public: %v", err)
	}
	if _, err := Listen("0.0.0.0:0", false); err == nil || strings.Contains(err.Error(), "--") {
		t.Errorf("Listen's error names a flag, which only its caller knows: %v", err)
	}
	ln, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}

// TestFollowsGrowingFilesReadOnly writes the streams while the server
// follows them, and checks the snapshot and that writes are refused.
func TestFollowsGrowingFilesReadOnly(t *testing.T) {
	dir := t.TempDir()
	src := Sources{Anomalies: filepath.Join(dir, "a.jsonl"), Themes: filepath.Join(dir, "t.jsonl")}
	srv := New(src, 20*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Follow(ctx)
	appendLine := func(path, line string) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(line)
		f.Close()
	}
	appendLine(src.Anomalies, `{"device_id":"d1","timestamp":"2025-06-01T10:00:00Z","temperature":120,"metric":"temperature","score":120,"detector":"threshold"}`+"\n")
	appendLine(src.Themes, `{"theme":"battery life","count":7,"window_start":"2025-06-01T10:00:00Z","window_end":"2025-06-01T10:10:00Z"}`+"\n")
	appendLine(src.Anomalies, `{"device_id":"d2","timestamp":1748772000000,"temperature":130,"metric":"temperature","score":130,"detector":"threshold"}`) // no newline yet
	waitFor(t, func() bool { s := srv.Snapshot(); return s.Anomalies == 1 && s.Mentions == 7 })
	appendLine(src.Anomalies, "\n")
	waitFor(t, func() bool { return srv.Snapshot().Anomalies == 2 })
	if top := srv.Snapshot().TopThemes; len(top) != 1 || top[0].Theme != "battery life" {
		t.Errorf("top themes %v", top)
	}

	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	resp, err := http.Post(hs.URL+"/snapshot", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST answered %d, want 405", resp.StatusCode)
	}
	resp, err = http.Get(hs.URL + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /: %v %v", err, resp)
	}
	resp.Body.Close()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	waitWithin(t, 5*time.Second, cond)
}

// waitWithin is waitFor with a budget of its own, for a test that feeds the
// view a large stream: on a loaded machine reading it takes a while.
func waitWithin(t *testing.T, budget time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(budget); !cond(); {
		if time.Now().After(end) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestEventsStreamSnapshots reads the server-sent events the live page
// listens to: the first event is the current snapshot, and a change brings
// another.
func TestEventsStreamSnapshots(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.jsonl")
	line := `{"device_id":"d1","timestamp":"2025-06-01T10:00:00Z","temperature":120,"metric":"temperature","score":120,"detector":"threshold"}` + "\n"
	os.WriteFile(path, []byte(line), 0o644)
	srv := New(Sources{Anomalies: path}, 20*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Follow(ctx)
	waitFor(t, func() bool { return srv.Snapshot().Anomalies == 1 })
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	resp, err := http.Get(hs.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	next := func() Snapshot {
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var s Snapshot
				if err := json.Unmarshal([]byte(data), &s); err != nil {
					t.Fatal(err)
				}
				return s
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return Snapshot{}
	}
	if s := next(); s.Anomalies != 1 {
		t.Fatalf("first event: %d anomalies", s.Anomalies)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(line)
	f.Close()
	if s := next(); s.Anomalies != 2 {
		t.Fatalf("after a new line: %d anomalies", s.Anomalies)
	}
}

// TestRewrittenFileStartsTheViewOver: a new run replaces one file; the view
// then shows the new file and still every other stream, each counted once.
func TestRewrittenFileStartsTheViewOver(t *testing.T) {
	dir := t.TempDir()
	src := Sources{Anomalies: filepath.Join(dir, "anomalies.jsonl"), Themes: filepath.Join(dir, "theme_counts.jsonl")}
	anomaly := func(dev string) string {
		return `{"device_id":"` + dev + `","timestamp":1748772000000,"temperature":130,"metric":"temperature","score":130,"detector":"threshold"}` + "\n"
	}
	os.WriteFile(src.Anomalies, []byte(anomaly("a")+anomaly("b")+anomaly("c")), 0o644)
	os.WriteFile(src.Themes, []byte(`{"theme":"delivery","count":4,"window_start":"2025-06-01T10:00:00Z","window_end":"2025-06-01T10:10:00Z"}`+"\n"), 0o644)
	srv := New(src, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Follow(ctx) }()
	waitFor(t, func() bool { s := srv.Snapshot(); return s.Anomalies == 3 && s.Mentions == 4 })

	// As beamlens writes files: a temporary file renamed over the old one.
	tmp := filepath.Join(dir, ".anomalies.tmp")
	os.WriteFile(tmp, []byte(anomaly("z")), 0o644)
	if err := os.Rename(tmp, src.Anomalies); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { s := srv.Snapshot(); return s.Anomalies == 1 && s.Mentions == 4 })
	time.Sleep(50 * time.Millisecond) // several polls: nothing may be read twice
	if s := srv.Snapshot(); s.Anomalies != 1 || s.Mentions != 4 || len(s.Recent) != 1 || s.Recent[0].Device != "z" {
		t.Errorf("after the rewrite: %d anomalies (%v), %d mentions; want the new file's 1 and the themes' 4", s.Anomalies, s.Recent, s.Mentions)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestFollowStopsOnAFailingSource: a source that cannot be read ends Follow
// with its error instead of leaving a view that silently stopped updating.
func TestFollowStopsOnAFailingSource(t *testing.T) {
	dir := t.TempDir()
	srv := New(Sources{Anomalies: dir, Themes: filepath.Join(dir, "t.jsonl")}, 10*time.Millisecond) // a directory is no JSON Lines file
	done := make(chan error, 1)
	go func() { done <- srv.Follow(context.Background()) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Follow ended without an error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow kept running with a source it cannot read")
	}
}

// TestAlertsMarkTheirWindow: an alert is listed and names its theme on the
// window it was raised in, whichever file was read first.
func TestAlertsMarkTheirWindow(t *testing.T) {
	st := newState()
	st.addAlert([]byte(`{"theme":"battery life","count":14,"window_start":"2025-01-01T01:40:00Z","window_end":"2025-01-01T01:50:00Z","baseline":4.7,"score":4.2}`))
	st.addAlert([]byte(`{"theme":"","window_start":"2025-01-01T01:40:00Z"}`)) // no theme: not an alert
	for _, start := range []string{"2025-01-01T01:30:00Z", "2025-01-01T01:40:00Z"} {
		st.addThemeCount([]byte(`{"theme":"battery life","count":14,"window_start":"` + start + `","window_end":"x"}`))
	}
	snap := st.snapshot()
	if snap.AlertsTotal != 1 || len(snap.Alerts) != 1 || snap.BadLines != 1 {
		t.Fatalf("alerts %d listed %d bad %d, want 1, 1, 1", snap.AlertsTotal, len(snap.Alerts), snap.BadLines)
	}
	if len(snap.Windows) != 2 || len(snap.Windows[0].Alerts) != 0 || strings.Join(snap.Windows[1].Alerts, ",") != "battery life" {
		t.Errorf("windows %+v: want the alert on the second only", snap.Windows)
	}
}
