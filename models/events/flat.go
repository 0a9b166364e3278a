package events

import (
	"bytes"
	"strconv"
)

// The flat path decodes the record every device sends (one JSON object of
// plain ASCII, no escapes, no nested object or array) in one pass over its
// bytes, without building fastjson's tree: the tree, walked three times
// (duplicate keys, numbers, metrics), was two thirds of decoding a
// reading. It never rejects a record: it either returns the very Reading
// the full path would, or declines, and the full path decodes the record
// again and gives the reason. FuzzFlatPathAgreesWithFullPath holds the two
// to that.

// FlatKind is the type of a flat record's value (FlatScanner.Member).
type FlatKind byte

// The kinds of a flat record's values; zero is no value.
const (
	FlatString FlatKind = iota + 1
	FlatNumber
	FlatLiteral // true, false or null
)

// flatField is one member of a flat record: its key, and its value's text
// (a string's without the quotes).
type flatField struct {
	key, val []byte
	kind     FlatKind
}

// scanFlat splits b into its members, appended to fields[:0], when b is
// one flat JSON object of printable ASCII with no backslash, every number
// in JSON's grammar and no key twice. ok is false for anything else.
func scanFlat(b []byte, fields []flatField) (_ []flatField, ok bool) {
	fields = fields[:0]
	if len(b) < 2 || len(b) > MaxRecordBytes || b[0] != '{' || !printableASCII(b) {
		return fields, false
	}
	i := skipSpaces(b, 1)
	if i < len(b) && b[i] == '}' {
		return fields, i == len(b)-1
	}
	for {
		// "key"
		if i >= len(b) || b[i] != '"' {
			return fields, false
		}
		end := bytes.IndexByte(b[i+1:], '"')
		if end < 0 {
			return fields, false
		}
		key := b[i+1 : i+1+end]
		i = skipSpaces(b, i+end+2)
		if i >= len(b) || b[i] != ':' {
			return fields, false
		}
		i = skipSpaces(b, i+1)
		if i >= len(b) {
			return fields, false
		}
		// value
		f := flatField{key: key}
		switch c := b[i]; {
		case c == '"':
			end := bytes.IndexByte(b[i+1:], '"')
			if end < 0 {
				return fields, false
			}
			f.val, f.kind = b[i+1:i+1+end], FlatString
			i += end + 2
		case c == 't' || c == 'f' || c == 'n':
			for _, lit := range [...]string{"true", "false", "null"} {
				if bytes.HasPrefix(b[i:], []byte(lit)) {
					f.val, f.kind = b[i:i+len(lit)], FlatLiteral
					break
				}
			}
			if f.kind == 0 {
				return fields, false
			}
			i += len(f.val)
		case c == '-' || c >= '0' && c <= '9':
			j := i
			for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == '-' || b[j] == '+' || b[j] == '.' || b[j] == 'e' || b[j] == 'E') {
				j++
			}
			if !isPlainDecimal(b[i:j]) {
				return fields, false
			}
			f.val, f.kind = b[i:j], FlatNumber
			i = j
		default: // a nested object or array, or not JSON
			return fields, false
		}
		fields = append(fields, f)
		i = skipSpaces(b, i)
		if i >= len(b) {
			return fields, false
		}
		switch b[i] {
		case ',':
			i = skipSpaces(b, i+1)
		case '}':
			return fields, i == len(b)-1 && !flatDuplicateKey(fields)
		default:
			return fields, false
		}
	}
}

// pairwiseKeys is the most members flatDuplicateKey compares pair by pair.
const pairwiseKeys = 16

// flatDuplicateKey reports whether two of fields have the same key: pair by
// pair for the few members a reading has, through a set beyond that, so a
// record of many members (a 1 MiB line holds ~100k) costs time in
// proportion to its size, not to its square (28 s of CPU), as the full
// path's duplicateKey does.
func flatDuplicateKey(fields []flatField) bool {
	if len(fields) <= pairwiseKeys {
		for i := 1; i < len(fields); i++ {
			for _, prev := range fields[:i] {
				if bytes.Equal(prev.key, fields[i].key) {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(fields))
	for _, f := range fields {
		if _, ok := seen[string(f.key)]; ok {
			return true
		}
		seen[string(f.key)] = struct{}{}
	}
	return false
}

// FlatScanner finds a member of a flat record (one JSON object of
// printable ASCII, no backslash, no nested object or array, numbers in
// JSON's grammar, no key twice: what the decoders' flat path reads) in
// one pass over its bytes, without fastjson's tree. Sources use it to
// read a record's event time before the record is decoded. The zero
// value is ready; not safe for concurrent use.
type FlatScanner struct{ fields []flatField }

// Member returns the text of b's top-level member key (a string's without
// its quotes; it shares b) and its kind, zero when a flat b has no such
// member. flat is false when b is not a flat record: then nothing is
// said of b (it may still be valid JSON), and the caller parses it in
// full.
func (s *FlatScanner) Member(b []byte, key string) (val []byte, kind FlatKind, flat bool) {
	var ok bool
	if s.fields, ok = scanFlat(b, s.fields); !ok {
		return nil, 0, false
	}
	if f := flatLookup(s.fields, key); f != nil {
		return f.val, f.kind, true
	}
	return nil, 0, true
}

func skipSpaces(b []byte, i int) int {
	for i < len(b) && b[i] == ' ' {
		i++
	}
	return i
}

func flatLookup(fields []flatField, key string) *flatField {
	for i := range fields {
		if string(fields[i].key) == key {
			return &fields[i]
		}
	}
	return nil
}

// flatPaths reports whether every field the options name is a top-level
// key, the only kind the flat path looks up.
func (c *compiled) flatPaths() bool {
	if _, ok := c.device.Top(); !ok {
		return false
	}
	if _, ok := c.timestamp.Top(); !ok {
		return false
	}
	for _, m := range c.mapped {
		if _, ok := m.Path.Top(); !ok {
			return false
		}
	}
	return true
}

// decodeFlat is DecodeShared's flat path for raw, already unframed and
// trimmed; ok false declines it.
func (d *ReadingDecoder) decodeFlat(raw []byte) (_ Reading, ok bool) {
	c := d.c
	fields, ok := scanFlat(raw, d.flatFields)
	d.flatFields = fields
	if !ok {
		return Reading{}, false
	}
	dev := flatLookup(fields, c.device.keys[0])
	if dev == nil || dev.kind != FlatString || len(dev.val) == 0 || len(dev.val) > MaxIDBytes || bytes.IndexByte(dev.val, 0x7f) >= 0 {
		return Reading{}, false
	}
	ts := flatLookup(fields, c.timestamp.keys[0])
	if ts == nil {
		return Reading{}, false
	}
	ms, ok := c.flatTime(ts)
	if !ok {
		return Reading{}, false
	}
	metrics, coerced, ok := d.flatMetrics(fields)
	if !ok || !d.requiredMet(metrics) {
		return Reading{}, false
	}
	d.coerced += coerced
	d.metricBuf = metrics
	return Reading{DeviceID: d.device(dev.val), EventTimeMs: ms, Metrics: metrics, Raw: raw}, true
}

// flatTime is eventTime for a flat value: RFC 3339 in UTC or an epoch
// number, within MaxFuture.
func (c *compiled) flatTime(f *flatField) (ms int64, ok bool) {
	switch f.kind {
	case FlatString:
		ms, ok = utcMillis(f.val)
	case FlatNumber:
		// As epochNumber: an integer exactly, else a float.
		if n, err := strconv.ParseInt(string(f.val), 10, 64); err == nil {
			ms, ok = epochIntMs(n, c.unit)
		} else if v, err := strconv.ParseFloat(string(f.val), 64); err == nil {
			ms, ok = EpochMs(v, c.unit)
		}
	}
	if !ok {
		return 0, false
	}
	if c.beyondMaxFuture(ms) {
		return 0, false
	}
	return ms, true
}

// flatMetrics is metrics for a flat record: the mapped metrics, then under
// all the numeric fields in record order.
func (d *ReadingDecoder) flatMetrics(fields []flatField) (metrics []Metric, coerced int, ok bool) {
	c := d.c
	metrics = d.metricBuf[:0]
	add := func(name string, f *flatField) bool {
		v, isCoerced, ok := flatNumberOf(f)
		if isCoerced {
			coerced++
		}
		if ok {
			metrics = append(metrics, Metric{Name: name, Value: v})
		}
		return ok
	}
	for _, m := range c.mapped {
		f := flatLookup(fields, m.Path.keys[0])
		if f == nil || hasMetric(metrics, m.Name) {
			continue
		}
		if !add(m.Name, f) {
			return nil, 0, false
		}
	}
	if !c.all {
		return metrics, coerced, true
	}
	// Only the mapped metrics can share a field's name (keys are unique):
	// checking those alone keeps a record of many fields linear.
	mapped := metrics[:len(metrics):len(metrics)]
	for i := range fields {
		f := &fields[i]
		if string(f.key) == c.tsTop || (f.kind != FlatNumber && !c.isWanted(f.key)) {
			continue
		}
		if hasMetric(mapped, f.key) {
			continue
		}
		if !add(d.nameAt(i, f.key), f) {
			return nil, 0, false
		}
	}
	return metrics, coerced, true
}

// flatNumberOf is metricNumber for a flat value: a finite number, or a
// plain decimal string (coerced).
func flatNumberOf(f *flatField) (v float64, coerced, ok bool) {
	switch f.kind {
	case FlatNumber:
		v, ok := decimalString(f.val)
		return v, false, ok
	case FlatString:
		if !isPlainDecimal(f.val) {
			return 0, false, false
		}
		v, ok := decimalString(f.val)
		return v, true, ok
	}
	return 0, false, false
}

// nameAt is name for the i-th field of a record. A stream's records list
// their fields in one order, so the name the last record had at i is
// compared first, before the intern map's hash.
func (d *ReadingDecoder) nameAt(i int, k []byte) string {
	if i < len(d.lastNames) && d.lastNames[i] == string(k) {
		return d.lastNames[i]
	}
	s := d.name(k)
	if i < maxNamePositions {
		for len(d.lastNames) <= i {
			d.lastNames = append(d.lastNames, "")
		}
		d.lastNames[i] = s
	}
	return s
}

// maxNamePositions bounds lastNames: a record may have thousands of fields.
const maxNamePositions = 64
