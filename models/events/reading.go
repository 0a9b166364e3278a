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
		if m.Name == string(name) {
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
	// scratch holds a number's text while the record is checked.
	scratch []byte
	c       *compiled
	frames  unframer
	// coerced counts metrics read from decimal strings since TakeCoerced.
	coerced int
	hint    missingHint
	// names interns metric names: a stream repeats a handful of field
	// names, and a string per field per record was most of the garbage.
	names map[string]string
	// devices interns device ids the same way, up to maxDevicesInterned.
	devices map[string]string
	// metricBuf is the Metrics slice DecodeShared hands out and reuses.
	metricBuf []Metric
	// flatFields holds the members of a record on the flat path.
	flatFields []flatField
	// lastNames are the metric names of the last flat record, by field
	// position (see nameAt).
	lastNames []string
	// fullOnly turns the flat path off, for the tests that hold the two
	// paths to one answer.
	fullOnly bool
}

// maxDevicesInterned bounds devices: a fleet has thousands of ids, a
// stream of ever-new ones must not grow the map without bound.
const maxDevicesInterned = 1 << 16

func (d *ReadingDecoder) device(b []byte) string {
	if s, ok := d.devices[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.devices == nil {
		d.devices = make(map[string]string, 64)
	}
	if len(d.devices) < maxDevicesInterned {
		d.devices[s] = s
	}
	return s
}

// Clone returns a copy of r that shares no memory with it (Raw and
// Metrics copied), for keeping a reading that DecodeShared returned.
func (r Reading) Clone() Reading {
	r.Raw = append([]byte(nil), r.Raw...)
	r.Metrics = append([]Metric(nil), r.Metrics...)
	return r
}

// maxInterned bounds names, against a stream of ever-new field names.
const maxInterned = 1024

func (d *ReadingDecoder) name(k []byte) string {
	if s, ok := d.names[string(k)]; ok {
		return s
	}
	s := string(k)
	if d.names == nil {
		d.names = make(map[string]string, 16)
	}
	if len(d.names) < maxInterned {
		d.names[s] = s
	}
	return s
}

// Decode parses one record. Rules (field names are DecodeOptions's
// defaults): the value may carry Confluent Schema Registry framing (see
// SchemaRegistry); device_id is a string of 1-256 bytes; timestamp is an
// RFC 3339 string, a text time in Options.TimestampFormat or an epoch
// number (Options.TimestampUnit), between 1970 and Options.MaxFuture past
// now; metrics are the fields Options.Metrics names, each a finite number
// or a plain decimal string; under "all" every other numeric top-level
// field must be finite and becomes a metric, and other fields pass
// through. A reading with none of Options.Required is rejected, naming the
// fields it had. Errors are *FieldError, except a Schema Registry that
// cannot be reached (a plain error: the record is not at fault).
func (d *ReadingDecoder) Decode(raw []byte) (Reading, error) {
	r, err := d.DecodeShared(raw)
	if err != nil {
		return Reading{}, err
	}
	return r.Clone(), nil
}

// DecodeShared is Decode without copies, for a caller that handles each
// reading before the next call (the fused stage): the Reading's Raw is a
// slice of raw, and its Metrics slice is reused by the next call; Clone
// it to keep it. Device ids and metric names are interned strings, safe to
// keep.
func (d *ReadingDecoder) DecodeShared(raw []byte) (Reading, error) {
	if d.c == nil {
		d.c = mustCompile(d.Options)
	}
	raw, err := d.frames.unframe(raw, d.c.opts.SchemaRegistry)
	if err != nil {
		return Reading{}, err
	}
	raw = TrimRecord(raw)
	if d.c.flat && !d.fullOnly {
		if r, ok := d.decodeFlat(raw); ok {
			return r, nil
		}
	}
	o, err := parseObject(&d.parser, raw, &d.scratch)
	if err != nil {
		return Reading{}, err
	}
	c := d.c
	idBytes, err := requiredID(o, c.device)
	if err != nil {
		return Reading{}, err
	}
	t, err := c.eventTime(o)
	if err != nil {
		return Reading{}, err
	}
	metrics, err := d.metrics(o)
	if err != nil {
		return Reading{}, err
	}
	if err := d.checkRequired(o, metrics); err != nil {
		return Reading{}, err
	}
	d.metricBuf = metrics
	return Reading{DeviceID: d.device(idBytes), EventTimeMs: t, Metrics: metrics, Raw: raw}, nil
}

// TakeCoerced returns how many metric values were read from decimal
// strings since the last call, for a counter.
func (d *ReadingDecoder) TakeCoerced() int {
	n := d.coerced
	d.coerced = 0
	return n
}

// metrics collects the mapped metrics, then, under all, the numeric
// top-level fields in record order.
func (d *ReadingDecoder) metrics(o *fastjson.Object) ([]Metric, error) {
	c := d.c
	metrics := d.metricBuf[:0]
	for _, m := range c.mapped {
		v, array := lookup(o, m.Path)
		if (v == nil && !array) || hasMetric(metrics, m.Name) {
			continue
		}
		if array {
			return nil, fieldErr(m.Path.text, "is an array or lies inside one: metric paths do not index arrays")
		}
		f, coerced, err := metricNumber(v, m.Path.text)
		if err != nil {
			return nil, err
		}
		if coerced {
			d.coerced++
		}
		metrics = append(metrics, Metric{Name: m.Name, Value: f})
	}
	if !c.all {
		return metrics, nil
	}
	// Only the mapped metrics can share a field's name (keys are unique):
	// checking those alone keeps a record of many fields linear.
	mapped := metrics[:len(metrics):len(metrics)]
	var metricErr error
	o.Visit(func(k []byte, v *fastjson.Value) {
		if metricErr != nil || string(k) == c.tsTop {
			return
		}
		typ := v.Type()
		if typ != fastjson.TypeNumber && !c.isWanted(k) {
			return
		}
		// A mapped metric of this name wins; without one in this record,
		// the top-level field of that name is the metric.
		if hasMetric(mapped, k) {
			return
		}
		// The field's name is passed as "" and set on an error only: a
		// string per metric per record was most of decoding's garbage.
		f, coerced, err := metricNumber(v, "")
		if err != nil {
			if fe, ok := err.(*FieldError); ok {
				fe.Field = string(k)
			}
			metricErr = err
			return
		}
		if coerced {
			d.coerced++
		}
		metrics = append(metrics, Metric{Name: d.name(k), Value: f})
	})
	return metrics, metricErr
}

func hasMetric[S string | []byte](ms []Metric, name S) bool {
	for _, m := range ms {
		if m.Name == string(name) {
			return true
		}
	}
	return false
}

func (c *compiled) isWanted(k []byte) bool {
	for _, w := range c.wanted {
		if w == string(k) {
			return true
		}
	}
	return false
}
