package detect

import (
	"bytes"
	"math"
	"testing"

	"github.com/beamlens/beamlens/models/events"
)

// FuzzDecodeDeviceState feeds the state decoder arbitrary bytes, as a
// corrupted or foreign checkpoint would: it must fail cleanly or give back
// state that encodes to the very same bytes.
func FuzzDecodeDeviceState(f *testing.F) {
	st := newDeviceState()
	f.Add(st.encode())
	st.ScoredThrough, st.TimerAt, st.HoldAt, st.Detectors = 1700000000000, 1700000060000, 1699999999999, []byte{1, 2, 3}
	st.Pending = []events.Reading{
		{EventTimeMs: 1700000000001, Metrics: []events.Metric{{Name: "temperature", Value: 101.5}}, Raw: []byte(`{"device_id":"d"}`), Source: "f@1"},
		{EventTimeMs: -5, Metrics: nil, Raw: nil, Source: ""},
	}
	f.Add(st.encode())
	f.Add(encodeReadings(st.Pending))
	f.Add([]byte{codecVersion, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		if st, err := decodeDeviceState("d", b); err == nil {
			if got := st.encode(); !bytes.Equal(got, b) && !sameState(t, st, got) {
				t.Fatalf("state %x decodes and re-encodes as %x", b, got)
			}
		}
		if rs, err := decodeReadings("d", b); err == nil {
			for _, r := range rs {
				if r.DeviceID != "d" {
					t.Fatalf("reading decoded for device %q", r.DeviceID)
				}
			}
		}
	})
}

// sameState accepts a re-encoding that differs only where varints have
// several spellings (a non-minimal varint decodes to the same number).
func sameState(t *testing.T, st deviceState, b []byte) bool {
	back, err := decodeDeviceState("d", b)
	if err != nil {
		t.Fatalf("re-encoded state does not decode: %v", err)
	}
	if back.ScoredThrough != st.ScoredThrough || back.TimerAt != st.TimerAt || len(back.Pending) != len(st.Pending) {
		return false
	}
	for i, r := range back.Pending {
		o := st.Pending[i]
		if r.EventTimeMs != o.EventTimeMs || !bytes.Equal(r.Raw, o.Raw) || len(r.Metrics) != len(o.Metrics) {
			return false
		}
		for j, m := range r.Metrics {
			if m.Name != o.Metrics[j].Name || math.Float64bits(m.Value) != math.Float64bits(o.Metrics[j].Value) {
				return false
			}
		}
	}
	return true
}
