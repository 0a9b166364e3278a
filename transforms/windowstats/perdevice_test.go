package windowstats

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/detect"
)

// paneLog collects what a perDeviceFn emits, outside Beam.
type paneLog struct {
	panes []events.WindowStats
	dead  []events.DeadLetter
}

func (l *paneLog) emit(_ beam.EventTime, w events.WindowStats) { l.panes = append(l.panes, w) }
func (l *paneLog) deadLetter(d events.DeadLetter)              { l.dead = append(l.dead, d) }

// newest keeps the newest pane of each window: accumulating panes make it
// the window's truth.
func (l *paneLog) newest() map[string]events.WindowStats {
	out := map[string]events.WindowStats{}
	for _, w := range l.panes {
		k := fmt.Sprintf("%s/%s/%d", w.DeviceID, w.Metric, w.WindowStartMs)
		if old, ok := out[k]; !ok || w.PaneIndex > old.PaneIndex {
			out[k] = w
		}
	}
	return out
}

func secReading(dev string, sec int64, v float64) events.Reading {
	r := reading(dev, sec, v)
	r.Raw = []byte(fmt.Sprintf(`{"device_id":%q,"t":%d}`, dev, sec))
	r.Source = fmt.Sprintf("test@%d", sec)
	return r
}

func TestPerDeviceLatePanesAndDeadLetters(t *testing.T) {
	fn := &perDeviceFn{SizeMs: 60_000, AllowedLatenessMs: 120_000, StateTTLMs: -1, Quantiles: []float64{0.5}}
	fn.Setup()
	dw := deviceWindows{Progress: math.MinInt64, ClosedThrough: math.MinInt64}
	var log paneLog
	add := func(secs ...int64) {
		var rs []events.Reading
		for _, s := range secs {
			rs = append(rs, secReading("a", s, float64(s)))
		}
		fn.addBatch(context.Background(), "a", &dw, rs, log.emit, log.deadLetter)
	}
	add(0, 10, 70) // [0,60) fires on time with 2 readings
	add(30)        // within lateness of the device's progress (70 s): a late pane of 3
	add(300)       // progress 300 s: [0,60) and [60,120) are 120 s past their end, dropped
	add(20)        // too late: a dead letter
	add(250, 240)  // late for [240,300) but within lateness: counted (not yet fired: on time)
	wantPanes := []string{
		"[0,60) n=2 late=false pane=0",
		"[0,60) n=3 late=true pane=1",
		"[60,120) n=1 late=false pane=0",
		"[240,300) n=2 late=false pane=0",
	}
	var got []string
	for _, w := range log.panes {
		got = append(got, fmt.Sprintf("[%d,%d) n=%d late=%v pane=%d", w.WindowStartMs/1000, w.WindowEndMs/1000, w.Count, w.Late, w.PaneIndex))
	}
	if strings.Join(got, "\n") != strings.Join(wantPanes, "\n") {
		t.Errorf("panes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantPanes, "\n"))
	}
	if len(log.dead) != 1 || log.dead[0].Stage != Stage || string(log.dead[0].Raw) != `{"device_id":"a","t":20}` ||
		!strings.Contains(log.dead[0].Error, "window [1970-01-01T00:00:00Z, 1970-01-01T00:01:00Z)") ||
		!strings.Contains(log.dead[0].Error, "arrived 4m40s after") {
		t.Errorf("dead letters: %+v", log.dead)
	}
	// Conservation: newest panes plus dead letters are every reading but
	// the one at 300 s, whose window has not fired yet.
	n := int64(len(log.dead))
	for _, w := range log.newest() {
		n += w.Count
	}
	if n != 7 {
		t.Errorf("newest panes + dead letters = %d, want 7", n)
	}
	// The state survives its codec.
	back, err := decodeDeviceWindows(dw.encode())
	if err != nil || back.Progress != dw.Progress || len(back.Open) != len(dw.Open) || back.ClosedThrough != 120_000 {
		t.Errorf("state round trip: %+v, %v (was %+v)", back, err, dw)
	}
}

func init() {
	register.Function1x2[string, string, []byte](toBatch)
	register.Function1x2[events.WindowStats, string, int64](countOf)
	register.Function2x1[string, func(*int64) bool, string](sumCounts)
}

// toBatch turns "device:start:n:step" into one batch of n readings of the
// device, step seconds apart from start (seconds since epoch).
func toBatch(spec string) (string, []byte) {
	var dev string
	var start, n, step int64
	fmt.Sscanf(strings.ReplaceAll(spec, ":", " "), "%s %d %d %d", &dev, &start, &n, &step)
	var rs []events.Reading
	for i := int64(0); i < n; i++ {
		rs = append(rs, secReading(dev, start+i*step, float64(i)))
	}
	return dev, detect.EncodeBatch(rs)
}

func countOf(w events.WindowStats) (string, int64) { return w.DeviceID, w.Count }

func sumCounts(dev string, counts func(*int64) bool) string {
	var n, c int64
	for counts(&c) {
		n += c
	}
	return fmt.Sprintf("%s=%d", dev, n)
}

// TestPerDeviceOwnProgress runs the clock-skew and backlog shapes through
// Beam: a device 10 h ahead and a device 2 h behind share the stream with a
// healthy one, and every reading of every device lands in a window (the
// close timers fire when the input ends).
func TestPerDeviceOwnProgress(t *testing.T) {
	now := int64(1_750_000_000)
	p, s := beam.NewPipelineWithRoot()
	batches := beam.ParDo(s, toBatch, beam.Create(s,
		fmt.Sprintf("healthy:%d:600:1", now-600),
		fmt.Sprintf("skewed:%d:10:60", now+10*3600),
		fmt.Sprintf("backlog:%d:600:1", now-2*3600),
	))
	stats, dead := PerDevice(s, batches, Options{Size: time.Minute})
	passert.Empty(s, dead)
	sums := beam.ParDo(s, sumCounts, beam.GroupByKey(s, beam.ParDo(s, countOf, stats)))
	passert.Equals(s, sums, "healthy=600", "skewed=10", "backlog=600")
	ptest.RunAndValidate(t, p)
}

// TestPartialKeyRoundTripsAsUTF8: partial keys cross runners written in
// other languages as UTF-8 strings, so they must be valid UTF-8 and decode
// back exactly, whatever bytes the names hold.
func TestPartialKeyRoundTripsAsUTF8(t *testing.T) {
	for _, c := range []struct {
		device, metric string
		start, end     int64
	}{{"sensor-002", "humidity", 1735689600000, 1735689900000}, {"a:1/2", "m:3", -300000, 0}, {"", "x", 5, 10}, {"é設備", "温度", 1, 2}} {
		k := partialKeyString(c.device, c.metric, c.start, c.end)
		if !utf8.ValidString(k) {
			t.Errorf("key %q is not valid UTF-8", k)
		}
		d, m, s, e, err := parsePartialKey(k)
		if err != nil || d != c.device || m != c.metric || s != c.start || e != c.end {
			t.Errorf("%q -> %q %q %d %d %v", k, d, m, s, e, err)
		}
	}
	if _, _, _, _, err := parsePartialKey("9:short"); err == nil {
		t.Error("a corrupt key parsed")
	}
}

// A device sending more metrics than deviceWindows searches one by one
// (its open windows are then found through an index) gets every metric's
// windows counted once, across batches and the windows fire drops.
func TestPerDeviceManyMetrics(t *testing.T) {
	fn := &perDeviceFn{SizeMs: 60_000, AllowedLatenessMs: 60_000, StateTTLMs: -1, Quantiles: []float64{0.5}}
	fn.Setup()
	dw := deviceWindows{Progress: math.MinInt64, ClosedThrough: math.MinInt64}
	var log paneLog
	metrics := 3 * linearSeries
	add := func(secs ...int64) {
		var rs []events.Reading
		for _, s := range secs {
			r := secReading("a", s, 0)
			r.Metrics = nil
			for k := range metrics {
				r.Metrics = append(r.Metrics, events.Metric{Name: fmt.Sprintf("m%d", (k*5+int(s))%metrics), Value: float64(k)})
			}
			rs = append(rs, r)
		}
		fn.addBatch(context.Background(), "a", &dw, rs, log.emit, log.deadLetter)
	}
	add(0, 10, 20)
	add(70, 80)
	add(200) // drops [0,60) and [60,120)
	add(210, 250)
	if len(log.dead) != 0 {
		t.Fatalf("dead letters: %+v", log.dead)
	}
	want := map[int64]int64{0: 3, 60: 2, 180: 2}
	got := log.newest()
	if len(got) != len(want)*metrics {
		t.Errorf("%d windows, want %d", len(got), len(want)*metrics)
	}
	for k, w := range got {
		if w.Count != want[w.WindowStartMs/1000] {
			t.Errorf("%s: count %d, want %d", k, w.Count, want[w.WindowStartMs/1000])
		}
	}
}
