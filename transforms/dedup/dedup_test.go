package dedup

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/teststream"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/decode"
)

func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

func init() {
	register.Function1x1(lineToRaw)
	register.Function1x1(readingKey)
}

func lineToRaw(line string) events.Raw { return events.Raw{Data: []byte(line), Size: int64(len(line))} }

func readingKey(r events.Reading) string {
	v, _ := r.Metric("temperature")
	return fmt.Sprintf("%s %d %g", r.DeviceID, r.EventTimeMs, v)
}

func line(device, id string, at time.Time, temp float64) string {
	return fmt.Sprintf(`{"device_id":%q,"timestamp":%q,"temperature":%g,"msg_id":%q}`, device, at.Format(time.RFC3339), temp, id)
}

// TestReadings: copies within the window go, a reading with the same id
// beyond it stays (an id reused later is another reading), readings without
// the id pass, and devices keep their own ids apart.
func TestReadings(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	lines := []string{
		line("m-1", "a1", t0, 20),
		line("m-1", "a2", t0.Add(5*time.Second), 103),
		line("m-1", "a2", t0.Add(5*time.Second), 103),
		line("m-1", "a2", t0.Add(5*time.Second), 103),
		line("m-2", "a2", t0.Add(5*time.Second), 50), // another device's a2
		line("m-1", "a3", t0.Add(10*time.Second), 20.5),
		line("m-1", "a1", t0.Add(20*time.Minute), 21),                              // a1 again, 20m later
		`{"device_id":"m-1","timestamp":"2025-06-01T10:00:05Z","temperature":103}`, // no msg_id
		`{"device_id":"m-1","timestamp":"2025-06-01T10:00:05Z","temperature":103}`,
	}
	p, s := beam.NewPipelineWithRoot()
	readings, _ := decode.Readings(s, beam.ParDo(s, lineToRaw, beam.CreateList(s, lines)), decode.Options{MaxFuture: -1})
	unique := Readings(s, readings, Options{Key: "msg_id"})
	ms := func(d time.Duration) int64 { return t0.Add(d).UnixMilli() }
	passert.Equals(s, beam.ParDo(s, readingKey, unique),
		fmt.Sprintf("m-1 %d 20", ms(0)), fmt.Sprintf("m-1 %d 103", ms(5*time.Second)), fmt.Sprintf("m-2 %d 50", ms(5*time.Second)),
		fmt.Sprintf("m-1 %d 20.5", ms(10*time.Second)), fmt.Sprintf("m-1 %d 21", ms(20*time.Minute)),
		fmt.Sprintf("m-1 %d 103", ms(5*time.Second)), fmt.Sprintf("m-1 %d 103", ms(5*time.Second)))
	res := ptest.RunAndValidate(t, p)
	if got := counter(res, "duplicates_dropped"); got != 2 {
		t.Errorf("duplicates_dropped = %d, want 2", got)
	}
}

// TestReadingsStreaming feeds copies in separate bundles with the watermark
// moving between them: state carries the ids across bundles, and the
// device's state expires once the watermark passes its window.
func TestReadingsStreaming(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	cfg := teststream.NewConfig()
	cfg.AddElements(t0.UnixMilli(), line("d", "x", t0, 1), line("d", "y", t0.Add(time.Second), 2))
	cfg.AdvanceWatermark(t0.Add(30 * time.Second).UnixMilli())
	cfg.AddElements(t0.Add(40*time.Second).UnixMilli(), line("d", "x", t0, 1), line("d", "z", t0.Add(40*time.Second), 3))
	cfg.AdvanceWatermark(t0.Add(time.Hour).UnixMilli())
	// The device's state expired: the same id an hour later is new.
	cfg.AddElements(t0.Add(time.Hour).UnixMilli(), line("d", "x", t0.Add(time.Hour), 4))
	cfg.AdvanceWatermarkToInfinity()
	p, s := beam.NewPipelineWithRoot()
	readings, _ := decode.Readings(s, beam.ParDo(s, lineToRaw, teststream.Create(s, cfg)), decode.Options{MaxFuture: -1})
	unique := Readings(s, readings, Options{Key: "device_id+msg_id", Window: 5 * time.Minute})
	ms := func(d time.Duration) int64 { return t0.Add(d).UnixMilli() }
	passert.Equals(s, beam.ParDo(s, readingKey, unique),
		fmt.Sprintf("d %d 1", ms(0)), fmt.Sprintf("d %d 2", ms(time.Second)), fmt.Sprintf("d %d 3", ms(40*time.Second)),
		fmt.Sprintf("d %d 4", ms(time.Hour)))
	res := ptest.RunAndValidate(t, p)
	if got := counter(res, "duplicates_dropped"); got != 1 {
		t.Errorf("duplicates_dropped = %d, want 1", got)
	}
}

func counter(res beam.PipelineResult, name string) int64 {
	var n int64
	for _, c := range res.Metrics().AllMetrics().Counters() {
		if c.Key.Name == name {
			n += c.Committed
		}
	}
	return n
}

func TestOptionsPanics(t *testing.T) {
	for _, o := range []Options{{}, {Key: "a..b"}, {Key: "id", Window: -time.Second}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: no panic", o)
				}
			}()
			o.validate()
		}()
	}
}

func TestSeenCodec(t *testing.T) {
	s := seenSet{newest: 99, timerAt: 700, ids: map[string]int64{"a": 1, "b\x00c": 99}}
	got, err := decodeSeen(s.encode())
	if err != nil || got.newest != 99 || got.timerAt != 700 || len(got.ids) != 2 || got.ids["b\x00c"] != 99 {
		t.Fatalf("got %+v, %v", got, err)
	}
	s.prune(10)
	if _, ok := s.ids["a"]; ok || len(s.ids) != 1 {
		t.Fatalf("prune kept %v", s.ids)
	}
	if _, err := decodeSeen([]byte{2}); err == nil {
		t.Fatal("unknown version read")
	}
}
