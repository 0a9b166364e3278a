package watermarks

import (
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/beamlens/beamlens/internal/badinput"
)

// FuzzFieldTime: the Kafka source reads event times from record values
// before any validation, so it must survive anything a producer sends, and
// only return times within the range it promises.
func FuzzFieldTime(f *testing.F) {
	for _, c := range badinput.Cases("sensors") {
		f.Add(c.Line, "timestamp")
	}
	f.Add([]byte(`{"ts":"2025-06-01T10:00:00.123+02:00"}`), "ts")
	f.Add([]byte(`{"ts":"2025-06-01T10:00:00.1239Z"}`), "ts")
	f.Add([]byte(`{"ts":"1969-12-31T23:59:59.5Z"}`), "ts")
	f.Fuzz(func(t *testing.T, value []byte, field string) {
		var r TimeReader
		ms, ok := r.FieldTime(value, field)
		// The flat fast path and fastjson's parser give one answer.
		if jms, jok := r.fieldTimeJSON(value, field); jms != ms || jok != ok {
			t.Fatalf("%q field %q: %d, %v; through fastjson %d, %v", value, field, ms, ok, jms, jok)
		}
		if !ok && ms != 0 {
			t.Fatalf("not ok but ms = %d", ms)
		}
		if ok && (ms < -1e15*1000 || ms > 1e15*1000) {
			t.Fatalf("time %d ms out of any sane range", ms)
		}
		// Where package time reads the field, the fast path agrees.
		var p fastjson.Parser
		if v, err := p.ParseBytes(value); err == nil {
			if tm, err := time.Parse(time.RFC3339Nano, string(v.GetStringBytes(field))); err == nil && v.Get(field).Type() == fastjson.TypeString {
				if !ok || ms != tm.UnixMilli() {
					t.Fatalf("%q: %d, %v; time.Parse says %d", value, ms, ok, tm.UnixMilli())
				}
			}
		}
	})
}
