package events

import (
	"time"

	"github.com/valyala/fastjson"
)

// Reading is one sensor event. Raw keeps the record exactly as it arrived
// (trimmed of BOM and line ending) so that fields beamlens does not know pass
// through to the outputs untouched.
type Reading struct {
	DeviceID string
	// EventTimeMs is the reading's timestamp in epoch milliseconds (UTC).
	EventTimeMs int64
	// Metrics holds every top-level numeric field but the timestamp, in the
	// record's field order; temperature is one of them when present.
	Metrics []Metric
	Raw     []byte
	// Source locates the record (see Raw.Source), for dead letters.
	Source string
}

// Metric is one named numeric measurement of a reading.
type Metric struct {
	Name  string
	Value float64
}

// EventTime returns the reading's timestamp.
func (r Reading) EventTime() time.Time { return time.UnixMilli(r.EventTimeMs).UTC() }

// Metric returns the value of the named metric and whether the reading has it.
func (r Reading) Metric(name string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

// ReadingDecoder decodes sensor readings strictly. It reuses one parser, so
// a decoder must not be shared between goroutines; give each DoFn its own.
type ReadingDecoder struct {
	Options DecodeOptions
	parser  fastjson.Parser
}

// Decode parses one record. Rules: device_id is a string of 1-256 bytes;
// timestamp is an RFC 3339 string or epoch milliseconds between 1970 and
// Options.MaxFuture past now; temperature, when present, is a finite number;
// every other numeric field must be finite and becomes a metric; fields of
// other types pass through. Errors are *FieldError.
func (d *ReadingDecoder) Decode(raw []byte) (Reading, error) {
	raw = TrimRecord(raw)
	o, err := parseObject(&d.parser, raw)
	if err != nil {
		return Reading{}, err
	}
	id, err := requiredID(o, "device_id")
	if err != nil {
		return Reading{}, err
	}
	t, err := eventTime(o, "timestamp", d.Options)
	if err != nil {
		return Reading{}, err
	}
	if v := o.Get("temperature"); v != nil && v.Type() != fastjson.TypeNumber {
		return Reading{}, fieldErr("temperature", "must be a number, got %s", v.Type())
	}
	var metrics []Metric
	var metricErr error
	o.Visit(func(k []byte, v *fastjson.Value) {
		if metricErr != nil || v.Type() != fastjson.TypeNumber || string(k) == "timestamp" {
			return
		}
		f, err := finiteNumber(v, string(k))
		if err != nil {
			metricErr = err
			return
		}
		metrics = append(metrics, Metric{Name: string(k), Value: f})
	})
	if metricErr != nil {
		return Reading{}, metricErr
	}
	out := make([]byte, len(raw))
	copy(out, raw)
	return Reading{DeviceID: id, EventTimeMs: t.UnixMilli(), Metrics: metrics, Raw: out}, nil
}
