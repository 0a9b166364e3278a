package events

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/valyala/fastjson"
)

// KeyReader reads a record's identity for deduplication: the values of one
// or more fields. Not safe for concurrent use.
type KeyReader struct {
	paths  []Path
	parser fastjson.Parser
	buf    []byte
}

// NewKeyReader parses spec, field paths joined by + (reading_id, or
// device_id+timestamp; a backslash escapes a + in a key).
func NewKeyReader(spec string) (*KeyReader, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("empty key spec")
	}
	k := &KeyReader{}
	for _, item := range splitRaw(spec, '+', -1) {
		p, err := ParsePath(item)
		if err != nil {
			return nil, fmt.Errorf("key %q: %v", spec, err)
		}
		k.paths = append(k.paths, p)
	}
	return k, nil
}

// Key returns the record's identity: each field's value (a string's
// text, anything else's JSON) joined by NUL bytes. ok is false when the
// record is not a JSON object or lacks a field; such a record cannot be
// matched with another.
func (k *KeyReader) Key(raw []byte) (key string, ok bool) {
	v, err := k.parser.ParseBytes(raw)
	if err != nil {
		return "", false
	}
	o, err := v.Object()
	if err != nil {
		return "", false
	}
	b := k.buf[:0]
	for i, p := range k.paths {
		f, array := lookup(o, p)
		if f == nil || array {
			return "", false
		}
		if i > 0 {
			b = append(b, 0)
		}
		if f.Type() == fastjson.TypeString {
			b = append(b, f.GetStringBytes()...)
		} else {
			b = f.MarshalTo(b)
		}
	}
	k.buf = b
	return string(b), true
}

// AppendReading appends r in a compact binary form (ReadReading reads it
// back): for shipping readings between stages and keeping them in state,
// where Beam's inferred coders for nested structs differ between SDK
// versions and runners.
func AppendReading(b []byte, r Reading) []byte {
	b = binary.AppendUvarint(b, uint64(len(r.DeviceID)))
	b = append(b, r.DeviceID...)
	b = binary.AppendVarint(b, r.EventTimeMs)
	b = binary.AppendUvarint(b, uint64(len(r.Metrics)))
	for _, m := range r.Metrics {
		b = binary.AppendUvarint(b, uint64(len(m.Name)))
		b = append(b, m.Name...)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.Value))
	}
	b = binary.AppendUvarint(b, uint64(len(r.Raw)))
	b = append(b, r.Raw...)
	b = binary.AppendUvarint(b, uint64(len(r.Source)))
	return append(b, r.Source...)
}

// ErrCorruptReading is ReadReading's error for bytes AppendReading did not
// write.
var ErrCorruptReading = errors.New("events: corrupt encoded reading")

// ReadReading reads one reading AppendReading wrote at the start of b and
// returns the rest of b.
func ReadReading(b []byte) (Reading, []byte, error) {
	var r Reading
	bad := false
	chunk := func() []byte {
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) {
			bad = true
			return nil
		}
		c := b[w : w+int(n)]
		b = b[w+int(n):]
		return c
	}
	r.DeviceID = string(chunk())
	t, w := binary.Varint(b)
	if bad || w <= 0 {
		return r, nil, ErrCorruptReading
	}
	r.EventTimeMs, b = t, b[w:]
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)) {
		return r, nil, ErrCorruptReading
	}
	b = b[w:]
	if n > 0 {
		r.Metrics = make([]Metric, 0, n)
	}
	for i := uint64(0); i < n; i++ {
		name := chunk()
		if bad || len(b) < 8 {
			return r, nil, ErrCorruptReading
		}
		r.Metrics = append(r.Metrics, Metric{Name: string(name), Value: math.Float64frombits(binary.LittleEndian.Uint64(b))})
		b = b[8:]
	}
	r.Raw = append([]byte(nil), chunk()...)
	r.Source = string(chunk())
	if bad {
		return r, nil, ErrCorruptReading
	}
	return r, b, nil
}
