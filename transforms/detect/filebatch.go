package detect

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/beamlens/beamlens/models/events"
)

// fileBatchVersion marks a batch in the file layout: the readings of one
// device from one file, without their raw bytes. A file's line can be read
// again from its offset, so a batch need not carry it: only the few
// readings that become anomalies ever need it (fused.RestoreRaw), and the
// raw bytes were ~85% of a batch. The bounded scorer gathers every batch of
// a device in memory (prism keeps a GroupByKey's whole input, and copies it
// on its way to the worker), so this is what keeps a default-detector run's
// memory near the size of its readings' numbers rather than of its text.
//
// Layout: the version byte, the file's path (a length-prefixed chunk),
// then per reading: its event time and its line's offset as varint deltas
// from the previous reading's, its metric count, and per metric a
// reference (uvarint: index<<1, or index<<1|1 followed by the name's chunk
// the first time a name appears) and the value's IEEE 754 bits.
const fileBatchVersion = 2

// FileBatch builds one device's batch of readings from one file in the
// file layout (see fileBatchVersion). The zero value is not usable: use
// NewFileBatch. Not safe for concurrent use.
type FileBatch struct {
	path           string
	b              []byte
	n              int
	first          int64
	prevT, prevOff int64
	names          map[string]uint64
}

// NewFileBatch starts an empty batch of readings from the file at path.
func NewFileBatch(path string) *FileBatch {
	fb := &FileBatch{path: path, names: map[string]uint64{}}
	fb.Reset()
	return fb
}

// Path is the file the batch's readings come from.
func (fb *FileBatch) Path() string { return fb.path }

// Len is the number of readings added since the last Reset.
func (fb *FileBatch) Len() int { return fb.n }

// First is the earliest event time (ms) among the readings added.
func (fb *FileBatch) First() int64 { return fb.first }

// Add appends r, whose line starts at offset in the batch's file. r's Raw
// and Source are not kept: DecodeBatch gives the reading back with Source
// PATH@OFFSET (as the fused stage names a line) and no Raw.
func (fb *FileBatch) Add(r *events.Reading, offset int64) {
	if fb.n == 0 || r.EventTimeMs < fb.first {
		fb.first = r.EventTimeMs
	}
	fb.n++
	fb.b = binary.AppendVarint(fb.b, r.EventTimeMs-fb.prevT)
	fb.b = binary.AppendVarint(fb.b, offset-fb.prevOff)
	fb.prevT, fb.prevOff = r.EventTimeMs, offset
	fb.b = binary.AppendUvarint(fb.b, uint64(len(r.Metrics)))
	for _, m := range r.Metrics {
		if i, ok := fb.names[m.Name]; ok {
			fb.b = binary.AppendUvarint(fb.b, i<<1)
		} else {
			i = uint64(len(fb.names))
			fb.names[m.Name] = i
			fb.b = appendChunk(binary.AppendUvarint(fb.b, i<<1|1), []byte(m.Name))
		}
		fb.b = binary.LittleEndian.AppendUint64(fb.b, math.Float64bits(m.Value))
	}
}

// Bytes returns the batch's encoding (valid until the next Add or Reset).
func (fb *FileBatch) Bytes() []byte { return fb.b }

// Reset empties the batch, keeping its file and its buffer.
func (fb *FileBatch) Reset() {
	fb.b = appendChunk(append(fb.b[:0], fileBatchVersion), []byte(fb.path))
	fb.n, fb.prevT, fb.prevOff = 0, 0, 0
	clear(fb.names)
}

// fileReadings decodes the file layout after its version byte.
func (d *decoder) fileReadings(device string) []events.Reading {
	path := string(d.chunk())
	var rs []events.Reading
	var names []string
	var t, off int64
	src := make([]byte, 0, len(path)+21)
	for d.err == nil && len(d.b) > 0 {
		t += d.varint()
		off += d.varint()
		nm := d.uvarint(len(d.b) / 9)
		r := events.Reading{DeviceID: device, EventTimeMs: t}
		if nm > 0 {
			r.Metrics = make([]events.Metric, nm)
		}
		for j := 0; j < nm && d.err == nil; j++ {
			ref := uint64(d.uvarint(math.MaxInt))
			i := int(ref >> 1)
			if ref&1 == 1 {
				if i != len(names) {
					d.fail()
					break
				}
				names = append(names, string(d.chunk()))
			}
			if i >= len(names) || len(d.b) < 8 {
				d.fail()
				break
			}
			r.Metrics[j] = events.Metric{Name: names[i], Value: math.Float64frombits(binary.LittleEndian.Uint64(d.b))}
			d.b = d.b[8:]
		}
		src = strconv.AppendInt(append(append(src[:0], path...), '@'), off, 10)
		r.Source = string(src)
		rs = append(rs, r)
	}
	if d.err != nil {
		return nil
	}
	return rs
}
