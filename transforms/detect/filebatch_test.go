package detect

import (
	"math"
	"reflect"
	"strconv"
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
