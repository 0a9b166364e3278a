package view

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chromium returns Debian's headless Chromium, which .ci/run installs: a
// missing browser fails the test in CI, and skips it elsewhere.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs Debian's chromium package")
	}
	t.Skip("chromium is not installed (apt-get install chromium); CI installs it and runs this test")
	return ""
}

// headless runs Chromium on url the way this machine needs (no sandbox as
// root, no background networking) and returns what it printed.
func headless(t *testing.T, browser, url string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=5000", "--window-size=1280,1000"}, extra...)
	out, err := exec.CommandContext(ctx, browser, append(args, url)...).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return string(out)
}

// TestBrowserShowsTheRecordedStream serves a stream recorded from `beamlens
// demo` (testdata/recorded), lets headless Chromium render the page, and
// checks that the anomaly count, the charts and the top themes it shows
// match the files. It saves a screenshot under artifacts/ (ignored by git).
func TestBrowserShowsTheRecordedStream(t *testing.T) {
	browser := chromium(t)
	rec := filepath.Join("testdata", "recorded")
	srv := New(Sources{Anomalies: filepath.Join(rec, "anomalies.jsonl"), Stats: filepath.Join(rec, "window_stats.jsonl"),
		Themes: filepath.Join(rec, "theme_counts.jsonl"), Alerts: filepath.Join(rec, "theme_alerts.jsonl")}, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Follow(ctx)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	wantAnomalies := countLines(t, filepath.Join(rec, "anomalies.jsonl"))
	wantAlerts := countLines(t, filepath.Join(rec, "theme_alerts.jsonl")) // each in a window of its own
	waitFor(t, func() bool { return srv.Snapshot().Anomalies == int64(wantAnomalies) })

	dom := headless(t, browser, hs.URL+"/?once", "--dump-dom")
	if !strings.Contains(dom, `data-rendered="true"`) {
		t.Fatalf("the page never rendered a snapshot:\n%.2000s", dom)
	}
	m := regexp.MustCompile(`<span id="anomaly-count">(\d+)</span>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no anomaly count on the page:\n%.2000s", dom)
	}
	if got, _ := strconv.Atoi(m[1]); got != wantAnomalies {
		t.Errorf("the page shows %d anomalies, the file holds %d", got, wantAnomalies)
	}
	if n := strings.Count(dom, `data-drawn="true"`); n == 0 {
		t.Error("no device chart was drawn")
	}
	checkAxes(t, dom)
	var shown []string
	for _, m := range regexp.MustCompile(`<li data-theme="([^"]+)">`).FindAllStringSubmatch(dom, -1) {
		shown = append(shown, m[1])
	}
	if want := topThemesOf(t, filepath.Join(rec, "theme_counts.jsonl"), topThemes); strings.Join(shown, ",") != strings.Join(want, ",") {
		t.Errorf("top themes shown %v, the file's are %v", shown, want)
	}
	if !strings.Contains(dom, "battery life: 14") {
		t.Error("the trend alert of the recorded stream is not shown")
	}
	if m := regexp.MustCompile(`id="themes-chart"[^>]*data-alert-windows="(\d+)"`).FindStringSubmatch(dom); m == nil || m[1] != strconv.Itoa(wantAlerts) {
		t.Errorf("alert windows highlighted on the themes chart: %v, want %d", m, wantAlerts)
	}

	shot := screenshotPath(t, "view.png")
	headless(t, browser, hs.URL+"/?once", "--screenshot="+shot)
	if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
		t.Errorf("screenshot %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
}

func countLines(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		n++
	}
	return n
}

// topThemesOf sums each theme's counts over all windows of the file, with
// encoding/json, independently of the view's own code.
func topThemesOf(t *testing.T, path string, n int) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := map[string]int64{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var c struct {
			Theme string
			Count int64
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatal(err)
		}
		sum[c.Theme] += c.Count
	}
	var themes []string
	for th := range sum {
		themes = append(themes, th)
	}
	sort.Slice(themes, func(i, j int) bool {
		if sum[themes[i]] != sum[themes[j]] {
			return sum[themes[i]] > sum[themes[j]]
		}
		return themes[i] < themes[j]
	})
	return themes[:min(n, len(themes))]
}

// screenshotPath is artifacts/NAME at the repository root.
func screenshotPath(t *testing.T, name string) string {
	wd, _ := os.Getwd()
	root := filepath.Dir(wd)
	dir := filepath.Join(root, "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// checkAxes checks, on the rendered DOM, that every device chart and the
// themes chart drew a time axis and a value axis with their titles and
// tick labels (uPlot draws on a canvas; the page records each axis's
// labels as it draws them): times as HH:MM or MM-DD HH:MM, values as
// numbers, in increasing order.
func checkAxes(t *testing.T, dom string) {
	t.Helper()
	timeTick := regexp.MustCompile(`^(\d\d-\d\d )?\d\d:\d\d$`)
	charts := regexp.MustCompile(`<div [^>]*class="chart"[^>]*>`).FindAllString(dom, -1)
	if len(charts) < 2 {
		t.Fatalf("%d charts on the page", len(charts))
	}
	attr := func(tag, name string) string {
		m := regexp.MustCompile(name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return ""
		}
		return strings.ReplaceAll(m[1], "&amp;", "&")
	}
	for _, tag := range charts {
		who := attr(tag, "data-device")
		if who == "" {
			who = attr(tag, "id")
		}
		xl, yl := attr(tag, "data-x-label"), attr(tag, "data-y-label")
		if !strings.Contains(xl, "(UTC)") || yl == "" {
			t.Errorf("chart %s: axis titles %q and %q, want a UTC time axis and a value axis", who, xl, yl)
		}
		xs, ys := strings.Split(attr(tag, "data-x-ticks"), "|"), strings.Split(attr(tag, "data-y-ticks"), "|")
		if len(xs) < 2 || len(ys) < 2 {
			t.Errorf("chart %s: time ticks %q, value ticks %q: want at least two of each", who, xs, ys)
			continue
		}
		for _, x := range xs {
			if !timeTick.MatchString(x) {
				t.Errorf("chart %s: time tick %q is not HH:MM or MM-DD HH:MM", who, x)
			}
		}
		prev := -1e300
		for _, y := range ys {
			v, err := strconv.ParseFloat(y, 64)
			if err != nil || v <= prev {
				t.Errorf("chart %s: value ticks %q are not increasing numbers", who, ys)
				break
			}
			prev = v
		}
	}
	// Hover reads a point: uPlot's live legend under every chart, one
	// entry per series (time, band, mean, anomaly).
	if n := strings.Count(dom, `class="u-legend`); n != len(charts) {
		t.Errorf("%d hover legends for %d charts", n, len(charts))
	}
	if !strings.Contains(dom, `class="u-label">anomaly<`) || !strings.Contains(dom, `class="u-label">mean<`) {
		t.Error("the device charts' legends lack the mean and anomaly series")
	}
	if !strings.Contains(dom, `id="themes-chart"`) || !regexp.MustCompile(`id="themes-chart"[^>]*data-y-label="mentions"`).MatchString(dom) {
		t.Error("the themes chart has no mentions axis")
	}
	if !regexp.MustCompile(`id="empty"[^>]*hidden`).MatchString(dom) {
		t.Error("the nothing-to-show message is up on a page with data")
	}
}

// TestBrowserSaysWhenThereIsNothingToShow: a view of a directory with no
// beamlens outputs says so, and where it looked, instead of an empty page.
func TestBrowserSaysWhenThereIsNothingToShow(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	srv := New(Sources{Anomalies: filepath.Join(dir, "out", "anomalies.jsonl"), Themes: filepath.Join(dir, "themes", "theme_counts.jsonl")}, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Follow(ctx)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	dom := headless(t, browser, hs.URL+"/?once", "--dump-dom")
	m := regexp.MustCompile(`(?s)<div id="empty"([^>]*)>(.*?)</div>\s*<main>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no message box on the page:\n%.3000s", dom)
	}
	if strings.Contains(m[1], "hidden") || !strings.Contains(m[1], `data-empty="true"`) {
		t.Errorf("the message is hidden on an empty page: %s", m[1])
	}
	for _, want := range []string{"Nothing to show yet", filepath.Join(dir, "out", "anomalies.jsonl"), "does not exist (yet)", "--dir"} {
		if !strings.Contains(m[2], want) {
			t.Errorf("the message lacks %q:\n%s", want, m[2])
		}
	}
	shot := screenshotPath(t, "view-empty.png")
	headless(t, browser, hs.URL+"/?once", "--screenshot="+shot)
	t.Logf("screenshot: %s", shot)
}

// TestBrowserHundredThousandAnomalies: with 100k anomalies and 100k stats
// windows in the stream, the page still gets one thinned snapshot, renders
// the exact total and draws the charts.
func TestBrowserHundredThousandAnomalies(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	src := Sources{Anomalies: filepath.Join(dir, "anomalies.jsonl"), Stats: filepath.Join(dir, "window_stats.jsonl")}
	const n = 100_000
	var a, s strings.Builder
	for i := range n {
		fmt.Fprintf(&a, `{"device_id":"dev-%d","timestamp":%d,"temperature":%d,"anomaly":true,"detector":"threshold","metric":"temperature","score":%d,"threshold":100}`+"\n",
			i%40, 1_700_000_000_000+int64(i)*1000, 101+i%50, 101+i%50)
		fmt.Fprintf(&s, `{"device_id":"dev-%d","metric":"temperature","window_start":%d,"mean":%g,"stddev":3}`+"\n", i%40, 1_700_000_000_000+int64(i)*60_000, 50+float64(i%100)/10)
	}
	os.WriteFile(src.Anomalies, []byte(a.String()), 0o644)
	os.WriteFile(src.Stats, []byte(s.String()), 0o644)
	srv := New(src, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Follow(ctx)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	waitWithin(t, 2*time.Minute, func() bool { s := srv.Snapshot(); return s.Anomalies == n && s.StatsWindows == n })

	start := time.Now()
	dom := headless(t, browser, hs.URL+"/?once", "--dump-dom")
	t.Logf("headless Chromium loaded and rendered the 100k-anomaly page in %s (a blank page takes ~0.6 s here)", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(dom, `<span id="anomaly-count">100000</span>`) {
		t.Errorf("the page does not show 100000 anomalies:\n%.1500s", dom)
	}
	if got := strings.Count(dom, `data-drawn="true"`); got != maxDevicesDrawn {
		t.Errorf("%d charts drawn, want %d", got, maxDevicesDrawn)
	}
}
