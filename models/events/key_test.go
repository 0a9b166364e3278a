package events

import (
	"reflect"
	"testing"
)

func TestKeyReader(t *testing.T) {
	k, err := NewKeyReader("device_id+timestamp")
	if err != nil {
		t.Fatal(err)
	}
	a, okA := k.Key([]byte(`{"device_id":"m","timestamp":"2025-06-01T10:00:05Z","temperature":1}`))
	b, okB := k.Key([]byte(`{"temperature":2,"timestamp":"2025-06-01T10:00:05Z","device_id":"m"}`))
	c, _ := k.Key([]byte(`{"device_id":"m","timestamp":"2025-06-01T10:00:06Z"}`))
	if !okA || !okB || a != b || a == c {
		t.Fatalf("keys %q %q %q", a, b, c)
	}
	if _, ok := k.Key([]byte(`{"device_id":"m"}`)); ok {
		t.Fatal("a record without the timestamp has a key")
	}
	n, _ := NewKeyReader("meta.msg")
	x, _ := n.Key([]byte(`{"meta":{"msg":7}}`))
	y, _ := n.Key([]byte(`{"meta":{"msg":"7"}}`))
	if x != "7" || y != "7" {
		t.Fatalf("numeric and string ids: %q %q", x, y)
	}
	if _, err := NewKeyReader(""); err == nil {
		t.Fatal("empty spec accepted")
	}
}

func TestReadingCodec(t *testing.T) {
	rs := []Reading{
		{DeviceID: "d-1", EventTimeMs: 1748772000000, Metrics: []Metric{{"temperature", 21.5}, {"humidity", -0.25}}, Raw: []byte(`{"x":1}`), Source: "f@0"},
		{DeviceID: "é", EventTimeMs: 0, Raw: []byte(`{}`)},
	}
	var b []byte
	for _, r := range rs {
		b = AppendReading(b, r)
	}
	for _, want := range rs {
		got, rest, err := ReadReading(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		b = rest
	}
	if len(b) != 0 {
		t.Fatal("bytes left over")
	}
	enc := AppendReading(nil, rs[0])
	for i := 0; i < len(enc); i++ {
		if _, _, err := ReadReading(enc[:i]); err == nil {
			t.Fatalf("a reading cut at %d of %d bytes read back", i, len(enc))
		}
	}
}
