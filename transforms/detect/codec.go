package detect

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/beamlens/beamlens/models/events"
)

// The streaming scorer keeps each device's state, and ships each bundle's
// readings of one device, as bytes in a small format of its own: Beam's
// inferred coders for nested structs differ between SDK versions and
// runners, and these bytes are read back on Flink after a restore.
//
// Layout, version 1: a version byte, then varints and length-prefixed
// chunks. A reading is its event time, its metrics (name, IEEE 754 bits),
// its raw bytes and its source; the device id is the key.
const codecVersion = 1

var errCorrupt = errors.New("detect: corrupt streaming state")

// deviceState is what the streaming scorer keeps per device.
type deviceState struct {
	// ScoredThrough is the event time (ms) up to which the device's
	// readings have been scored in order; math.MinInt64 before the first.
	ScoredThrough int64
	// TimerAt is when the expiry timer is set to fire (ms), 0 for none.
	// HoldAt is no longer used (each pane has its own flush timer now) and
	// stays 0; it keeps its place in the layout.
	TimerAt, HoldAt int64
	// Detectors is the saved state of the device's detectors.
	Detectors []byte
	// Pending holds readings not yet scored, sorted by event time.
	Pending []events.Reading
}

func newDeviceState() deviceState { return deviceState{ScoredThrough: math.MinInt64} }

func (st deviceState) encode() []byte {
	b := []byte{codecVersion}
	b = binary.AppendVarint(b, st.ScoredThrough)
	b = binary.AppendVarint(b, st.TimerAt)
	b = binary.AppendVarint(b, st.HoldAt)
	b = appendChunk(b, st.Detectors)
	return appendReadings(b, st.Pending)
}

func decodeDeviceState(device string, b []byte) (deviceState, error) {
	var st deviceState
	d := decoder{b: b}
	if d.byte() != codecVersion {
		return st, errCorrupt
	}
	st.ScoredThrough = d.varint()
	st.TimerAt = d.varint()
	st.HoldAt = d.varint()
	st.Detectors = d.chunk()
	st.Pending = d.readings(device)
	if d.err != nil || len(d.b) != 0 {
		return deviceState{}, errCorrupt
	}
	return st, nil
}

func encodeReadings(rs []events.Reading) []byte {
	return appendReadings([]byte{codecVersion}, rs)
}

func decodeReadings(device string, b []byte) ([]events.Reading, error) {
	d := decoder{b: b}
	var rs []events.Reading
	switch d.byte() {
	case codecVersion:
		rs = d.readings(device)
	case fileBatchVersion:
		rs = d.fileReadings(device)
	default:
		return nil, errCorrupt
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return rs, nil
}

func appendChunk(b, c []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(c)))
	return append(b, c...)
}

func appendReadings(b []byte, rs []events.Reading) []byte {
	b = binary.AppendUvarint(b, uint64(len(rs)))
	for _, r := range rs {
		b = binary.AppendVarint(b, r.EventTimeMs)
		b = binary.AppendUvarint(b, uint64(len(r.Metrics)))
		for _, m := range r.Metrics {
			b = appendChunk(b, []byte(m.Name))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.Value))
		}
		b = appendChunk(b, r.Raw)
		b = appendChunk(b, []byte(r.Source))
	}
	return b
}

// decoder reads the format above; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() { d.err, d.b = errCorrupt, nil }

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint(limit int) int {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(limit) {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) chunk() []byte {
	n := d.uvarint(len(d.b))
	if d.err != nil || n > len(d.b) {
		d.fail()
		return nil
	}
	c := d.b[:n:n]
	d.b = d.b[n:]
	return c
}

func (d *decoder) readings(device string) []events.Reading {
	// Each reading takes at least 4 bytes: a bound on the count that
	// corrupt input cannot inflate.
	n := d.uvarint(len(d.b) / 4)
	if d.err != nil || n == 0 {
		return nil
	}
	rs := make([]events.Reading, n)
	for i := range rs {
		r := &rs[i]
		r.DeviceID = device
		r.EventTimeMs = d.varint()
		nm := d.uvarint(len(d.b) / 9)
		if nm > 0 {
			r.Metrics = make([]events.Metric, nm)
		}
		for j := 0; j < nm && d.err == nil; j++ {
			r.Metrics[j].Name = string(d.chunk())
			if len(d.b) < 8 {
				d.fail()
				break
			}
			r.Metrics[j].Value = math.Float64frombits(binary.LittleEndian.Uint64(d.b))
			d.b = d.b[8:]
		}
		r.Raw = d.chunk()
		r.Source = string(d.chunk())
		if d.err != nil {
			return nil
		}
	}
	return rs
}
