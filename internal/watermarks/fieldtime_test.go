package watermarks

import (
	"testing"
	"time"
)

func TestFieldTime(t *testing.T) {
	var r TimeReader
	want := time.Date(2025, 1, 1, 0, 1, 0, 0, time.UTC).UnixMilli()
	for in, ok := range map[string]bool{
		`{"timestamp":"2025-01-01T00:01:00Z","x":1}`: true,
		`{"timestamp":1735689660000}`:                true,
		`{"timestamp":"yesterday"}`:                  false,
		`{"timestamp":true}`:                         false,
		`{"time":"2025-01-01T00:01:00Z"}`:            false,
		`{"timestamp":1e300}`:                        false,
		`not json`:                                   false,
		// Not flat (fastjson reads them): nested, an escape, a tab.
		`{"timestamp":"2025-01-01T00:01:00Z","x":{"y":1}}`:   true,
		`{"timestamp":"2025-01-01T00:01:00Z","x":"a\"b"}`:    true,
		`{"timestamp":	1735689660000}`:                       true,
		`{"timestamp":"2025-01-01T00:01:00Z","timestamp":1}`: true, // fastjson takes the first
	} {
		got, gotOK := r.FieldTime([]byte(in), "timestamp")
		if gotOK != ok || (ok && got != want) {
			t.Errorf("%s: got %d %v, want %d %v", in, got, gotOK, want, ok)
		}
	}
}
