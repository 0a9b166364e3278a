package events

import "testing"

// The flat record is beamlens's own shape (~120 bytes, as in the speed
// yardstick); the nested one carries the same fields with the temperature
// under a.b, decoded with --metrics=a.b:temperature.
var (
	flatRecord   = []byte(`{"device_id":"sensor-042","timestamp":"2025-06-01T10:00:00Z","temperature":21.53,"humidity":40.2,"status":"ok"}`)
	nestedRecord = []byte(`{"device_id":"sensor-042","timestamp":"2025-06-01T10:00:00Z","a":{"b":21.53},"humidity":40.2,"status":"ok"}`)
	epochRecord  = []byte(`{"device_id":"sensor-042","timestamp":1748772000,"temperature":21.53,"humidity":40.2,"status":"ok"}`)
)

func benchDecode(b *testing.B, opts DecodeOptions, rec []byte) {
	opts.NowMs = fixedNow
	d := ReadingDecoder{Options: opts}
	if _, err := d.Decode(rec); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Decode(rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFlat(b *testing.B) { benchDecode(b, DecodeOptions{}, flatRecord) }

func BenchmarkDecodeMapping(b *testing.B) {
	benchDecode(b, DecodeOptions{Metrics: "a.b:temperature", Required: []string{"temperature"}}, nestedRecord)
}

func BenchmarkDecodeMappingAll(b *testing.B) {
	benchDecode(b, DecodeOptions{Metrics: "all,a.b:temperature", Required: []string{"temperature"}}, nestedRecord)
}

func BenchmarkDecodeEpochSeconds(b *testing.B) { benchDecode(b, DecodeOptions{}, epochRecord) }
