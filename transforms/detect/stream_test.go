package detect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/teststream"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/filter"
	"github.com/beamlens/beamlens/internal/pipetest"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/decode"
)

func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

func init() {
	register.Function1x1(lineToRaw)
	register.Function1x1(anomalyKey)
	register.Function1x1(deadKey)
	register.Function1x1(isLateDeadLetter)
}

func lineToRaw(b []byte) events.Raw { return events.Raw{Source: "test", Data: b, Size: int64(len(b))} }

// anomalyKey names an anomaly by its reading, detector and score.
func anomalyKey(a events.Anomaly) string {
	return fmt.Sprintf("%s@%d %s %.6f", a.Reading.DeviceID, a.Reading.EventTimeMs, a.Detector, a.Score)
}

func deadKey(d events.DeadLetter) string { return string(d.Raw) }

func isLateDeadLetter(d events.DeadLetter) bool {
	return d.Stage == "detect" && strings.HasPrefix(d.Error, "late: ")
}

var t0 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

func readingLine(device string, sec int, temp float64) []byte {
	return []byte(fmt.Sprintf(`{"device_id":%q,"timestamp":%q,"temperature":%g}`,
		device, t0.Add(time.Duration(sec)*time.Second).Format(time.RFC3339), temp))
}

// expectedAnomalies runs the detectors over each device's readings in
// event-time order, outside Beam: what Detect must find whatever the order
// the readings arrive in.
func expectedAnomalies(t *testing.T, opts Options, readings map[string][]events.Reading) []string {
	t.Helper()
	opts = opts.withDefaults()
	var want []string
	for _, rs := range readings {
		sortReadings(rs)
		sc, err := newScorer(opts.Detectors, opts.metrics(), opts.config())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			sc.score(r, func(a events.Anomaly) { want = append(want, anomalyKey(a)) })
		}
	}
	return want
}

// TestStreamingOrdersLateAndOutOfOrderReadings drives the streaming scorer
// with a TestStream: readings arrive shuffled within each watermark step, so
// scoring must reorder them; windows of statistics fire as the watermark
// passes them; and readings that arrive after the watermark passed them
// become dead letters that say why, and count in no window.
func TestStreamingOrdersLateAndOutOfOrderReadings(t *testing.T) {
	for _, pane := range []time.Duration{time.Second, 0} {
		t.Run(fmt.Sprint("pane=", pane), func(t *testing.T) { testStreamingOrder(t, pane) })
	}
}

func testStreamingOrder(t *testing.T, pane time.Duration) {
	opts := Options{Detectors: []string{"zscore"}, Streaming: true, Pane: pane,
		Learned: detectors.Config{Window: 20, WarmUp: 10}}
	rng := rand.New(rand.NewPCG(7, 7))
	devices := []string{"press-1", "press-2"}
	byDevice := map[string][]events.Reading{}
	var dec events.ReadingDecoder
	ts := teststream.NewConfig()
	const steps, perStep = 6, 10
	for step := 0; step < steps; step++ {
		var batch [][]byte
		for _, d := range devices {
			for i := 0; i < perStep; i++ {
				sec := step*perStep + i
				temp := 20 + rng.NormFloat64()*0.5
				if sec == 37 || (d == "press-2" && sec == 52) {
					temp += 15 // spikes
				}
				line := readingLine(d, sec, temp)
				r, err := dec.Decode(line)
				if err != nil {
					t.Fatal(err)
				}
				byDevice[d] = append(byDevice[d], r)
				batch = append(batch, line)
			}
		}
		rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		if err := ts.AddElementList(t0.UnixMilli(), batch); err != nil {
			t.Fatal(err)
		}
		if err := ts.AdvanceWatermark(t0.Add(time.Duration((step+1)*perStep) * time.Second).UnixMilli()); err != nil {
			t.Fatal(err)
		}
	}
	// Two readings long behind the watermark: dead letters, not scored.
	late := [][]byte{readingLine("press-1", 5, 99), readingLine("press-2", 15, -40)}
	if err := ts.AddElementList(t0.UnixMilli(), late); err != nil {
		t.Fatal(err)
	}
	if err := ts.AdvanceWatermarkToInfinity(); err != nil {
		t.Fatal(err)
	}

	want := expectedAnomalies(t, opts, byDevice)
	if len(want) < 3 {
		t.Fatalf("the test stream should hold at least 3 anomalies, the detectors find %d", len(want))
	}
	p, s := beam.NewPipelineWithRoot()
	raws := beam.ParDo(s, lineToRaw, teststream.Create(s, ts))
	readings, badInput := decode.Readings(s, raws, decode.Options{})
	passert.Empty(s, badInput)
	anomalies, dead := Detect(s, readings, opts)
	passert.Equals(s, beam.ParDo(s, anomalyKey, anomalies), pipetest.Anys(want)...)
	passert.Equals(s, beam.ParDo(s, deadKey, dead), string(late[0]), string(late[1]))
	passert.Empty(s, filter.Exclude(s, dead, isLateDeadLetter))
	ptest.RunAndValidate(t, p)
}

// TestStreamingEqualsBatch checks that the streaming scorer, fed a bounded
// labelled stream whose readings arrive partly out of order, flags exactly
// what the batch scorer flags.
func TestStreamingEqualsBatch(t *testing.T) {
	lines := generated(t, 4000)
	base := Options{Detectors: []string{"ensemble", "ewma"}}
	p, s := beam.NewPipelineWithRoot()
	raws := beam.ParDo(s, lineToRaw, beam.CreateList(s, lines))
	readings, _ := decode.Readings(s, raws, decode.Options{})
	stream := base
	stream.Streaming, stream.Pane = true, time.Hour
	batchAnoms, _ := Detect(s.Scope("batch"), readings, base)
	streamAnoms, dead := Detect(s.Scope("stream"), readings, stream)
	passert.Empty(s, dead)
	passert.NonEmpty(s, batchAnoms)
	passert.Equals(s, beam.ParDo(s, anomalyKey, streamAnoms), beam.ParDo(s, anomalyKey, batchAnoms))
	ptest.RunAndValidate(t, p)
}

func TestDeviceStateRoundTrip(t *testing.T) {
	var dec events.ReadingDecoder
	r1, _ := dec.Decode([]byte(`{"device_id":"d","timestamp":1700000000000,"temperature":21.5,"humidity":40,"note":"x"}`))
	r2, _ := dec.Decode([]byte(`{"device_id":"d","timestamp":1700000001000}`))
	r1.Source, r2.Source = "kafka://t/0@1", "kafka://t/0@2"
	r2.Metrics = nil // no metrics: the codec gives nil, the decoder an empty list
	st := deviceState{ScoredThrough: math.MinInt64, TimerAt: 17, HoldAt: -3, Detectors: []byte{1, 2, 3}, Pending: []events.Reading{r1, r2}}
	got, err := decodeDeviceState("d", st.encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, st)
	}
	for cut := 0; cut < len(st.encode()); cut++ {
		if _, err := decodeDeviceState("d", st.encode()[:cut]); err == nil {
			t.Fatalf("state cut at %d bytes decoded without error", cut)
		}
	}
}

func TestPaneEnd(t *testing.T) {
	for _, c := range []struct{ t, pane, want int64 }{
		{0, 1000, 999}, {999, 1000, 999}, {1000, 1000, 1999}, {-1, 1000, -1}, {-1000, 1000, -1}, {-1001, 1000, -1001},
		{math.MaxInt64 - 5, 1000, math.MaxInt64},
	} {
		if got := paneEnd(c.t, c.pane); got != c.want {
			t.Errorf("paneEnd(%d, %d) = %d, want %d", c.t, c.pane, got, c.want)
		}
	}
}

func TestScorerRestoreRejectsForeignState(t *testing.T) {
	sc, err := newScorer([]string{"zscore", "ewma"}, []string{"temperature"}, detectors.Config{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newScorer([]string{"ewma", "zscore"}, []string{"temperature"}, detectors.Config{})
	saved, err := other.save(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.restore(saved); err == nil {
		t.Fatal("state of detectors in another order restored without error")
	}
}

// TestStreamingStateExpires: a device silent for longer than StateTTL (in
// event time) loses its state, so its detectors warm up again when it
// returns - a spike on its return is not judged against a stale baseline -
// while with StateTTL negative the state, and the baseline, stay.
func TestStreamingStateExpires(t *testing.T) {
	for _, c := range []struct {
		ttl       time.Duration
		wantSpike bool
	}{{time.Minute, false}, {-1, true}} {
		t.Run(fmt.Sprint("ttl=", c.ttl), func(t *testing.T) {
			opts := Options{Detectors: []string{"zscore"}, Streaming: true, StateTTL: c.ttl,
				Learned: detectors.Config{Window: 20, WarmUp: 10}}
			rng := rand.New(rand.NewPCG(3, 3))
			ts := teststream.NewConfig()
			var first [][]byte
			for sec := 0; sec < 30; sec++ {
				first = append(first, readingLine("a", sec, 20+rng.NormFloat64()*0.5))
			}
			if err := ts.AddElementList(t0.UnixMilli(), first); err != nil {
				t.Fatal(err)
			}
			// Silence: the watermark moves 170 s on, past 29 s + TTL.
			if err := ts.AdvanceWatermark(t0.Add(200 * time.Second).UnixMilli()); err != nil {
				t.Fatal(err)
			}
			spike := readingLine("a", 201, 60)
			if err := ts.AddElementList(t0.UnixMilli(), [][]byte{spike}); err != nil {
				t.Fatal(err)
			}
			if err := ts.AdvanceWatermarkToInfinity(); err != nil {
				t.Fatal(err)
			}
			p, s := beam.NewPipelineWithRoot()
			readings, badInput := decode.Readings(s, beam.ParDo(s, lineToRaw, teststream.Create(s, ts)), decode.Options{})
			passert.Empty(s, badInput)
			anomalies, dead := Detect(s, readings, opts)
			passert.Empty(s, dead)
			if c.wantSpike {
				passert.Count(s, anomalies, "anomalies", 1)
			} else {
				passert.Empty(s, anomalies)
			}
			ptest.RunAndValidate(t, p)
		})
	}
}

// TestStaleExpiryIsIgnored: an expiry timer fires with the time it was set
// to in its tag; one that is not the time the state waits for was moved
// since (on Flink it can still fire, in the same watermark advance as the
// flush that moved it) and must not drop the device. A tag from before the
// time was in it (an older savepoint) counts as current.
func TestStaleExpiryIsIgnored(t *testing.T) {
	st := newDeviceState()
	st.TimerAt = 5_000
	for _, c := range []struct {
		tag   string
		stale bool
	}{
		{expiryTag(5_000), false},
		{expiryTag(4_000), true},
		{expiryTag(6_000), true},
		{"expiry", false},
	} {
		if got := staleExpiry(c.tag, st); got != c.stale {
			t.Errorf("staleExpiry(%q) with the state waiting for 5000 = %v, want %v", c.tag, got, c.stale)
		}
	}
	if _, err := strconv.ParseInt(expiryTag(5_000), 10, 64); err == nil {
		t.Errorf("expiry tag %q parses as a pane end", expiryTag(5_000))
	}
}
