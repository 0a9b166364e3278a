package watermarks

import (
	"time"

	"github.com/valyala/fastjson"

	"github.com/beamlens/beamlens/models/events"
)

// FieldTime reads the event time in a record's top-level JSON field, in
// Unix ms: an RFC 3339 string or a number of Unix milliseconds, as the
// decoders accept. ok is false when the value is not a JSON object, lacks
// the field, or holds anything else; the decoder downstream judges such
// records, and a source lets them hold its watermark. p is reused between
// calls (not safe for concurrent use).
func FieldTime(p *fastjson.Parser, value []byte, field string) (ms int64, ok bool) {
	v, err := p.ParseBytes(value)
	if err != nil {
		return 0, false
	}
	f := v.Get(field)
	if f == nil {
		return 0, false
	}
	switch f.Type() {
	case fastjson.TypeString:
		// The decoder's fast path first (time.Parse and the string it
		// needs were half of this on the Kafka path); it also takes the
		// lowercase t and z and the space the decoder accepts.
		if ms, ok := events.UTCMillis(f.GetStringBytes()); ok {
			return ms, true
		}
		t, err := time.Parse(time.RFC3339Nano, string(f.GetStringBytes()))
		if err != nil {
			return 0, false
		}
		return t.UnixMilli(), true
	case fastjson.TypeNumber:
		n, err := f.Float64()
		if err != nil || n != n || n < -1e15 || n > 1e15 {
			return 0, false
		}
		return int64(n), true
	}
	return 0, false
}
