package themes

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/teststream"
	"github.com/beamlens/beamlens/internal/pipetest"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	register.Function1x1(parseMention)
	register.Function1x1(countKey)
	register.Function1x1(deadLetterKey)
}

// streamT0 is the test stream's epoch: a minute boundary.
var streamT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// mention is a test review "THEME@SECONDS" naming one theme.
func mention(theme string, sec int) string { return fmt.Sprintf("%s@%d", theme, sec) }

func parseMention(line string) events.ReviewWithThemes {
	theme, secText, _ := strings.Cut(line, "@")
	sec, _ := strconv.Atoi(secText)
	return events.ReviewWithThemes{Review: events.Review{ReviewID: line,
		EventTimeMs: streamT0.Add(time.Duration(sec) * time.Second).UnixMilli(),
		Raw:         []byte(`{"review_id":"` + line + `"}`), Source: "test"}, Themes: []string{theme}}
}

// countKey names a count by theme, window (seconds from streamT0), count
// and pane.
func countKey(c events.ThemeCount) string {
	t0 := streamT0.UnixMilli()
	return fmt.Sprintf("%s [%d,%d) %d late=%v pane=%d", c.Theme, (c.WindowStartMs-t0)/1000, (c.WindowEndMs-t0)/1000, c.Count, c.Late, c.PaneIndex)
}

func deadLetterKey(d events.DeadLetter) string { return d.Stage + " " + string(d.Raw) + " " + d.Error }

// TestCountStreamLateMentions: a stream of theme mentions, some arriving
// after their window's on-time pane (late panes) and one after its window
// closed (a dead letter). The theme's own progress, not the watermark,
// judges lateness: delivery's late review arrives with the watermark 4
// minutes past its window and still refines it. For every theme the counts
// of the newest pane of each window plus the dead letters equal the
// mentions that entered.
func TestCountStreamLateMentions(t *testing.T) {
	phases := []struct {
		lines     []string
		watermark int // seconds from streamT0, after the phase
	}{
		// billing at 70 and delivery at 65 fire [0,60) of each on time.
		{[]string{mention("billing", 10), mention("billing", 20), mention("delivery", 15), mention("billing", 70), mention("delivery", 65)}, 90},
		// Within the 2-minute allowed lateness of billing's newest (70): a
		// late pane of billing [0,60).
		{[]string{mention("billing", 30)}, 95},
		// billing at 300 closes billing [0,60) (300 >= 60+120) and fires
		// [60,120) on time.
		{[]string{mention("billing", 300)}, 310},
		// billing at 40: its window is closed, a dead letter. delivery at
		// 50: within 2 minutes of delivery's newest (65), a late pane,
		// although the watermark is at 310.
		{[]string{mention("billing", 40), mention("delivery", 50)}, -1},
	}
	ts := teststream.NewConfig()
	mentions := map[string]int{}
	for _, ph := range phases {
		if err := ts.AddElementList(streamT0.UnixMilli(), ph.lines); err != nil {
			t.Fatal(err)
		}
		for _, l := range ph.lines {
			theme, _, _ := strings.Cut(l, "@")
			mentions[theme]++
		}
		var err error
		if ph.watermark < 0 {
			err = ts.AdvanceWatermarkToInfinity()
		} else {
			err = ts.AdvanceWatermark(streamT0.Add(time.Duration(ph.watermark) * time.Second).UnixMilli())
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	wantCounts := []string{
		"billing [0,60) 2 late=false pane=0",
		"billing [0,60) 3 late=true pane=1",
		"billing [60,120) 1 late=false pane=0",
		"billing [300,360) 1 late=false pane=0",
		"delivery [0,60) 1 late=false pane=0",
		"delivery [0,60) 2 late=true pane=1",
		"delivery [60,120) 1 late=false pane=0",
	}
	wantDead := CountsStage + ` {"review_id":"billing@40"} late: window [2026-03-01T12:00:00Z, 2026-03-01T12:01:00Z) of theme "billing" already closed; the reading at 2026-03-01T12:00:40Z arrived 4m20s after the theme's newest reading at 2026-03-01T12:05:00Z (allowed lateness 2m0s)`

	// Conservation of the expected records: newest pane of each window plus
	// dead letters equals the mentions, theme by theme.
	newest := map[string]int{} // theme + window -> count of its newest pane
	panes := map[string]int{}
	for _, k := range wantCounts {
		var theme, win string
		var n, pane int
		var late bool
		if _, err := fmt.Sscanf(k, "%s %s %d late=%t pane=%d", &theme, &win, &n, &late, &pane); err != nil {
			t.Fatal(err)
		}
		if p, ok := panes[theme+win]; !ok || pane > p {
			panes[theme+win], newest[theme+win] = pane, n
		}
	}
	kept := map[string]int{"billing": 1} // the dead letter
	for tw, n := range newest {
		kept[strings.Fields(tw)[0][:strings.Index(tw, "[")]] += n
	}
	if kept["billing"] != mentions["billing"] || kept["delivery"] != mentions["delivery"] || len(kept) != 2 {
		t.Fatalf("expected records conserve %v, mentions %v", kept, mentions)
	}

	p, s := beam.NewPipelineWithRoot()
	reviews := beam.ParDo(s, parseMention, teststream.Create(s, ts))
	counts, dead := CountStream(s, reviews, StreamOptions{CountOptions: CountOptions{Size: time.Minute}, AllowedLateness: 2 * time.Minute})
	passert.Equals(s, beam.ParDo(s, countKey, counts), pipetest.Anys(wantCounts)...)
	passert.Equals(s, beam.ParDo(s, deadLetterKey, dead), wantDead)
	ptest.RunAndValidate(t, p)
}

// TestTrendingSkipsLatePanes: a late pane repeats its window, so the alerts
// take on-time panes only, as current count and as history.
func TestTrendingSkipsLatePanes(t *testing.T) {
	late := events.ThemeCount{Theme: "billing", Count: 9, WindowStartMs: 0, WindowEndMs: 60_000, Late: true, PaneIndex: 1}
	var n int
	(&currentFn{}).ProcessElement(late, func(string, int64) { n++ })
	(&historyFn{Lookback: 3, SizeMs: 60_000}).ProcessElement(late, func(beam.EventTime, string, int64) { n++ })
	if n != 0 {
		t.Fatalf("a late pane was judged %d times", n)
	}
	late.Late = false
	(&currentFn{}).ProcessElement(late, func(string, int64) { n++ })
	(&historyFn{Lookback: 3, SizeMs: 60_000}).ProcessElement(late, func(beam.EventTime, string, int64) { n++ })
	if n != 4 {
		t.Fatalf("an on-time pane was judged %d times, want 1 current + 3 history", n)
	}
}

func init() { register.Function1x1(alertKey) }

func alertKey(a events.ThemeAlert) string {
	return fmt.Sprintf("%s [%d,%d) %d", a.Theme, (a.WindowStartMs-streamT0.UnixMilli())/1000, (a.WindowEndMs-streamT0.UnixMilli())/1000, a.Count)
}

// TestTrendingOnStreamCounts: the alerts run on CountStream's counts (global
// window, stamped at each window's end) and judge the on-time pane of the
// spike once: the late pane that refines it (13 mentions) raises no second
// alert.
func TestTrendingOnStreamCounts(t *testing.T) {
	var onTime []string
	for m := 0; m < 4; m++ { // 2 mentions a minute
		onTime = append(onTime, mention("billing", m*60+10), mention("billing", m*60+20))
	}
	for i := 0; i < 12; i++ { // the spike, minute 4
		onTime = append(onTime, mention("billing", 240+i))
	}
	onTime = append(onTime, mention("billing", 310)) // closes minute 4 on time
	ts := teststream.NewConfig()
	if err := ts.AddElementList(streamT0.UnixMilli(), onTime); err != nil {
		t.Fatal(err)
	}
	if err := ts.AdvanceWatermark(streamT0.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if err := ts.AddElementList(streamT0.UnixMilli(), []string{mention("billing", 250)}); err != nil {
		t.Fatal(err)
	}
	if err := ts.AdvanceWatermarkToInfinity(); err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	reviews := beam.ParDo(s, parseMention, teststream.Create(s, ts))
	counts, dead := CountStream(s, reviews, StreamOptions{CountOptions: CountOptions{Size: time.Minute}, AllowedLateness: 2 * time.Minute})
	alerts := Trending(s, counts, time.Minute, TrendOptions{Lookback: 3})
	passert.Equals(s, beam.ParDo(s, alertKey, beam.WindowInto(s, window.NewGlobalWindows(), alerts)), "billing [240,300) 12")
	passert.Equals(s, beam.ParDo(s, countKey, counts),
		"billing [0,60) 2 late=false pane=0", "billing [60,120) 2 late=false pane=0", "billing [120,180) 2 late=false pane=0",
		"billing [180,240) 2 late=false pane=0", "billing [240,300) 12 late=false pane=0", "billing [240,300) 13 late=true pane=1",
		"billing [300,360) 1 late=false pane=0")
	passert.Empty(s, dead)
	ptest.RunAndValidate(t, p)
}
