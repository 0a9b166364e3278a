package view

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSeriesStaysBoundedAndSpread(t *testing.T) {
	s := newSeries[int](600)
	const n = 1_000_000
	for i := range n {
		s.add(i)
	}
	pts := s.points()
	if len(pts) > 600 || len(pts) < 300 {
		t.Fatalf("%d points kept of %d, want 300-600", len(pts), n)
	}
	if pts[0] != 0 || pts[len(pts)-1] < n*9/10 {
		t.Errorf("points span %d..%d of 0..%d: not spread over the stream", pts[0], pts[len(pts)-1], n-1)
	}
	for i := 1; i < len(pts); i++ {
		if pts[i] <= pts[i-1] {
			t.Fatalf("points out of order at %d", i)
		}
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
	if _, err := Listen("0.0.0.0:0", false); err == nil || !strings.Contains(err.Error(), "--public") {
		t.Errorf("0.0.0.0 accepted without --public: %v", err)
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
	for end := time.Now().Add(5 * time.Second); !cond(); {
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
