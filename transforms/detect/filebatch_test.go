package detect

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/beamlens/beamlens/models/events"
)

// TestFileBatchRoundTrip: a file batch gives back each reading's time and
// metrics bit for bit (times and offsets going backwards too, names
// appearing late, a reading without metrics), its Source as PATH@OFFSET
// and no Raw; Reset starts a fresh batch; a cut batch is an error.
func TestFileBatchRoundTrip(t *testing.T) {
	in := []struct {
		r      events.Reading
		offset int64
	}{
		{events.Reading{EventTimeMs: 1700000000000, Metrics: []events.Metric{{Name: "temperature", Value: 71.5}, {Name: "humidity", Value: 40}}, Raw: []byte("x")}, 0},
		{events.Reading{EventTimeMs: 1699999999000, Metrics: []events.Metric{{Name: "humidity", Value: math.Inf(1)}}}, 120},
		{events.Reading{EventTimeMs: 1700000060000}, 90},
		{events.Reading{EventTimeMs: 1700000060000, Metrics: []events.Metric{{Name: "vibration", Value: -0.000123}, {Name: "temperature", Value: math.SmallestNonzeroFloat64}}}, 1 << 40},
	}
	fb := NewFileBatch("/data/a b@c.jsonl")
	for round := 0; round < 2; round++ {
		for i := range in {
			fb.Add(&in[i].r, in[i].offset)
		}
		if fb.Len() != len(in) || fb.First() != 1699999999000 {
			t.Fatalf("Len %d First %d", fb.Len(), fb.First())
		}
		got, err := DecodeBatch("dev", fb.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		for i, g := range got {
			want := in[i].r
			want.DeviceID, want.Raw = "dev", nil
			want.Source = fileSourceForTest("/data/a b@c.jsonl", in[i].offset)
			if !reflect.DeepEqual(g, want) {
				t.Errorf("round %d reading %d: got %+v, want %+v", round, i, g, want)
			}
		}
		if _, err := DecodeBatch("dev", fb.Bytes()[:len(fb.Bytes())-3]); err == nil {
			t.Error("a cut batch decoded")
		}
		fb.Reset()
	}
}

func fileSourceForTest(path string, offset int64) string {
	return path + "@" + strconv.FormatInt(offset, 10)
}

// TestRunReaderMatchesDecodeBatch: a run read reading by reading gives what
// DecodeBatch gives, whether it is read from memory or through buffers of
// any size (readings across the buffer's end, new metric names mid-run take
// the byte-at-a-time path); a cut run is an error, never a panic or a
// short run that looks whole.
func TestRunReaderMatchesDecodeBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	names := []string{"temperature", "humidity", "pressure", "vibration", "a-much-longer-metric-name-" + strings.Repeat("x", 200), "rpm"}
	for round := range 30 {
		fb := NewFileBatch("/data/run.jsonl")
		t0, off := int64(1700000000000), int64(0)
		for range 1 + rng.IntN(300) {
			var r events.Reading
			t0 += rng.Int64N(120000) - 20000
			off += rng.Int64N(1<<(1+rng.IntN(40))) - 50
			r.EventTimeMs = t0
			for _, k := range rng.Perm(len(names))[:rng.IntN(len(names)+1)] {
				if k < 2+round%4 || rng.IntN(20) == 0 {
					r.Metrics = append(r.Metrics, events.Metric{Name: names[k], Value: rng.NormFloat64() * 100})
				}
			}
			fb.Add(&r, off)
		}
		b := fb.Bytes()
		want, err := DecodeBatch("dev", b)
		if err != nil {
			t.Fatal(err)
		}
		streams := map[string]func(b []byte) byteStream{
			"memory": func(b []byte) byteStream { return &sliceStream{b} },
		}
		for _, size := range []int{16, 23, 64, 4096} {
			streams["buffer "+strconv.Itoa(size)] = func(b []byte) byteStream { return bufio.NewReaderSize(bytes.NewReader(b), size) }
		}
		for name, stream := range streams {
			got, err := readRun(stream(b))
			if err != nil {
				t.Fatalf("round %d, %s: %v", round, name, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, %s: %d readings, DecodeBatch %d; first difference at %d", round, name, len(got), len(want), firstDifference(got, want))
			}
			for cut := 1; cut < len(b); cut += 1 + rng.IntN(len(b)/10+1) {
				if got, err := readRun(stream(b[:cut])); err == nil && len(got) == len(want) {
					t.Fatalf("round %d, %s: run cut at %d of %d read whole", round, name, cut, len(b))
				}
			}
		}
	}
}

func readRun(s byteStream) ([]events.Reading, error) {
	rr, err := newRunReader("dev", s)
	if err != nil {
		return nil, err
	}
	var out []events.Reading
	for {
		var r events.Reading
		if _, err := rr.next(&r); err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}

func firstDifference(a, b []events.Reading) int {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			return i
		}
	}
	return min(len(a), len(b))
}

// A reading may have as many metrics as its line holds: runs with 70,000 of
// them read back whole, sorted or not, however the stream is buffered (the
// run reader once took more than 65,536 for corruption and failed the job).
func TestRunReaderTakesReadingsWithManyMetrics(t *testing.T) {
	fb := NewFileBatch("/data/wide.jsonl")
	for i, at := range []int64{2000, 1000, 3000} {
		r := events.Reading{EventTimeMs: at}
		for k := range 70000 {
			r.Metrics = append(r.Metrics, events.Metric{Name: "m" + strconv.Itoa(k), Value: float64(i*k) + 0.5})
		}
		fb.Add(&r, int64(i)*1_000_000)
	}
	b := fb.Bytes()
	want, err := DecodeBatch("dev", b)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{16, 4096} {
		got, err := readRun(bufio.NewReaderSize(bytes.NewReader(b), size))
		if err != nil {
			t.Fatalf("buffer %d: %v", size, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("buffer %d: first difference at reading %d", size, firstDifference(got, want))
		}
	}
	sorted, err := sortFileBatch(b)
	if err != nil {
		t.Fatalf("sortFileBatch: %v", err)
	}
	got, err := readRun(&sliceStream{sorted})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].EventTimeMs != 1000 || len(got[0].Metrics) != 70000 || got[0].Metrics[69999] != want[1].Metrics[69999] {
		t.Fatalf("sorted run: %d readings, first at %d with %d metrics", len(got), got[0].EventTimeMs, len(got[0].Metrics))
	}
}
