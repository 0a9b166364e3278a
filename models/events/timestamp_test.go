package events

import (
	"strings"
	"testing"
	"time"
)

// TestTimestampForms holds every accepted shape of a timestamp to the
// instant it names, and every rejected one to a reason.
func TestTimestampForms(t *testing.T) {
	at := time.Date(2024, 5, 1, 10, 0, 25, 0, time.UTC).UnixMilli() // 1714557625000
	cases := []struct {
		name, ts string
		opts     DecodeOptions
		want     int64  // epoch ms; ignored when reason is set
		reason   string // a dead letter's reason contains this
	}{
		// Epoch numbers, auto by magnitude.
		{name: "seconds", ts: `1714557625`, want: at},
		{name: "seconds decimal", ts: `1714557625.123`, want: at + 123},
		{name: "milliseconds", ts: `1714557625000`, want: at},
		{name: "milliseconds decimal", ts: `1714557625000.6`, want: at + 1},
		{name: "microseconds", ts: `1714557625000123`, want: at},
		{name: "nanoseconds", ts: `1714557625123456789`, want: at + 123},
		{name: "exponent seconds", ts: `1.714557625e9`, want: at},
		{name: "zero", ts: `0`, want: 0},
		{name: "negative", ts: `-5`, reason: "out of range"},
		{name: "beyond every unit", ts: `1e25`, reason: "fits no unit"},
		{name: "ms a little in the future stays ms", ts: `1767400000000`, reason: "in the future"}, // 2026-01-03, two days past fixedNow
		// Fixed units.
		{name: "unit s", ts: `1714557625`, opts: DecodeOptions{TimestampUnit: "s"}, want: at},
		{name: "unit ms", ts: `1714557625000`, opts: DecodeOptions{TimestampUnit: "ms"}, want: at},
		{name: "unit us", ts: `1714557625000000`, opts: DecodeOptions{TimestampUnit: "us"}, want: at},
		{name: "unit ns", ts: `1714557625000000000`, opts: DecodeOptions{TimestampUnit: "ns"}, want: at},
		{name: "unit ms on seconds lands in 1970", ts: `1714557625`, opts: DecodeOptions{TimestampUnit: "ms"}, want: 1714557625},
		{name: "unit s out of range", ts: `1714557625000`, opts: DecodeOptions{TimestampUnit: "s"}, reason: "out of range in unit s"},
		// RFC 3339, every form.
		{name: "rfc3339 Z", ts: `"2024-05-01T10:00:25Z"`, want: at},
		{name: "rfc3339 lower case", ts: `"2024-05-01t10:00:25z"`, want: at},
		{name: "rfc3339 space", ts: `"2024-05-01 10:00:25Z"`, want: at},
		{name: "rfc3339 offset", ts: `"2024-05-01T12:00:25+02:00"`, want: at},
		{name: "rfc3339 negative offset", ts: `"2024-05-01T05:30:25-04:30"`, want: at},
		{name: "rfc3339 unknown local offset", ts: `"2024-05-01T10:00:25-00:00"`, want: at},
		{name: "rfc3339 nanos", ts: `"2024-05-01T10:00:25.123456789Z"`, want: at + 123},
		{name: "rfc3339 leap second", ts: `"2016-12-31T23:59:60Z"`, want: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()},
		{name: "basic offset is not rfc3339", ts: `"2024-05-01T10:00:25+0000"`, reason: "not an RFC 3339 time"},
		{name: "no zone", ts: `"2024-05-01 10:00:25"`, reason: "has no time zone; give --timezone=NAME"},
		{name: "date only", ts: `"2024-05-01"`, reason: "not an RFC 3339 time"},
		{name: "epoch in a string", ts: `"1714557625000"`, reason: "not an RFC 3339 time"},
		// Zones and layouts.
		{name: "no zone with timezone", ts: `"2024-05-01 12:00:25"`, opts: DecodeOptions{Timezone: "Europe/Berlin"}, want: at},
		{name: "no zone T with timezone", ts: `"2024-05-01T10:00:25"`, opts: DecodeOptions{Timezone: "UTC"}, want: at},
		{name: "layout with zone", ts: `"01/05/2024 10:00:25 +0000"`, opts: DecodeOptions{TimestampFormat: "02/01/2006 15:04:05 -0700"}, want: at},
		{name: "layout with named zone", ts: `"2024-05-01 06:00:25 EDT"`, opts: DecodeOptions{TimestampFormat: "2006-01-02 15:04:05 MST", Timezone: "America/New_York"}, want: at},
		{name: "layout without zone, timezone", ts: `"May 1 2024 11:00:25"`, opts: DecodeOptions{TimestampFormat: "Jan 2 2006 15:04:05", Timezone: "Europe/London"}, want: at},
		{name: "layout still takes rfc3339", ts: `"2024-05-01T10:00:25Z"`, opts: DecodeOptions{TimestampFormat: "2006-01-02 15:04"}, want: at},
		{name: "layout mismatch", ts: `"yesterday"`, opts: DecodeOptions{TimestampFormat: "2006-01-02 15:04"}, reason: "--timestamp-format"},
		{name: "before 1970", ts: `"1969-12-31T23:59:59Z"`, reason: "before 1970"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.NowMs = fixedNow
			d := ReadingDecoder{Options: c.opts}
			r, err := d.Decode([]byte(`{"device_id":"d","timestamp":` + c.ts + `,"temperature":1}`))
			if c.reason != "" {
				if err == nil || !strings.Contains(err.Error(), c.reason) {
					t.Fatalf("err = %v, want a reason containing %q", err, c.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if r.EventTimeMs != c.want {
				t.Fatalf("time = %d (%s), want %d (%s)", r.EventTimeMs, r.EventTime(), c.want, time.UnixMilli(c.want).UTC())
			}
		})
	}
}

func TestTimestampFieldPath(t *testing.T) {
	d := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow, TimestampField: "state.reported.ts", DeviceField: "meta.id"}}
	r, err := d.Decode([]byte(`{"meta":{"id":"gw"},"state":{"reported":{"ts":1714557625,"temperature":3}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.DeviceID != "gw" || r.EventTimeMs != 1714557625000 {
		t.Fatalf("got %q at %d", r.DeviceID, r.EventTimeMs)
	}
	if _, err := d.Decode([]byte(`{"meta":{"id":"gw"},"state":{}}`)); err == nil || err.Error() != `field "state.reported.ts": is required` {
		t.Fatalf("missing nested timestamp: %v", err)
	}
}

func TestDecodeOptionsValidate(t *testing.T) {
	for _, o := range []DecodeOptions{
		{TimestampUnit: "minutes"},
		{Timezone: "Mars/Olympus"},
		{TimestampFormat: "YYYY-MM-DD"},
		{Metrics: "a..b"},
		{DeviceField: `a\`},
		{SchemaRegistry: SchemaRegistry{URL: "http://user:secret@host:8081"}},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v: Validate accepted it", o)
		}
	}
	if err := (DecodeOptions{Metrics: `all,DHT11.Temperature:temperature,a\.b`}).Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
}
