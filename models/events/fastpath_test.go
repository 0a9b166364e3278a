package events

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// fullChecks is parseObject without its one-pass path: the reference the
// fast path must agree with.
func fullChecks(b []byte) bool {
	var p fastjson.Parser
	if len(b) == 0 || b[0] != '{' || fastjson.ValidateBytes(b) != nil || controlInString(b) >= 0 {
		return false
	}
	v, err := p.ParseBytes(b)
	if err != nil {
		return false
	}
	o, err := v.Object()
	return err == nil && duplicateKey(o) == ""
}

var plainSeeds = []string{
	`{"device_id":"a","timestamp":"2025-01-01T00:00:00Z","temperature":67.37}`,
	`{"a":1,"a":2}`, `{"a":NaN}`, `{"a":-Inf}`, `{"a":+1}`, `{"a":01}`, `{"a":1.}`,
	`{"a":.5}`, `{"a":1e}`, `{"a":1e+}`, `{"a":--1}`, `{"a":1-2}`, `{"a":[1,2,{"b":1e5}]}`,
	`{"a":[1,2,{"b":1ee5}]}`, `{"a":{"b":{"c":nan}}}`, `{"a":tru}`, `{"a":nul}`, `{"a":1}x`,
	`{"a":1} `, `{"a" :1 , "b":[ ] }`, `{"a":"x"`, `{"a":1,}`, `{,}`, `{}`, `{"":0}`,
	`{"a":-0.0e-0}`, `{"a":1E400}`, `{"a":"inf"}`, `{"a":[nan]}`, `{"a":[1,]}`, `{"a":[,1]}`,
}

// FuzzPlainObjectAgreesWithFullChecks: whenever the one-pass path accepts
// a record, the full checks accept it too, and for plain ASCII records the
// full checks accept nothing the one-pass path rejects.
func FuzzPlainObjectAgreesWithFullChecks(f *testing.F) {
	for _, s := range plainSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p fastjson.Parser
		var scratch []byte
		fast := parsePlainObject(&p, b, &scratch) != nil
		full := fullChecks(b)
		if fast && !full {
			t.Fatalf("one-pass path accepts %q, the full checks do not", b)
		}
		plain := true
		for _, c := range b {
			plain = plain && c >= 0x20 && c != '\\' && c < 0x80
		}
		if plain && full && !fast {
			t.Fatalf("one-pass path rejects plain %q, the full checks accept it", b)
		}
	})
}

func TestPlainObjectSeeds(t *testing.T) {
	for _, s := range plainSeeds {
		var p fastjson.Parser
		var scratch []byte
		if fast, full := parsePlainObject(&p, []byte(s), &scratch) != nil, fullChecks([]byte(s)); fast != full {
			t.Errorf("%s: one-pass %v, full checks %v", s, fast, full)
		}
	}
}

var utcSeeds = []string{
	"2025-01-01T00:00:00Z", "2025-01-01t00:00:00z", "2025-01-01 00:00:00Z", "2024-02-29T23:59:59.999Z",
	"2023-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2025-13-01T00:00:00Z", "2025-00-01T00:00:00Z",
	"2025-01-01T24:00:00Z", "2025-01-01T00:60:00Z", "2016-12-31T23:59:60Z", "1969-12-31T23:59:59Z",
	"1970-01-01T00:00:00.000000001Z", "2025-01-01T00:00:00.1234567891Z", "2025-01-01T00:00:00.Z",
	"2025-01-01T00:00:00+00:00", "2025-01-01T00:00:00.5+01:00", "2100-02-29T00:00:00Z",
	"2000-02-29T12:34:56.78Z", "2025-1-01T00:00:00Z", "2025-01-01T00:00:00ZZ", "+025-01-01T00:00:00Z",
	"9999-12-31T23:59:59.999999999Z", "2025-01-01T00:00:0aZ",
}

// FuzzUTCMillisAgreesWithTimeParse: the fast path reads every timestamp it
// accepts to the same epoch millisecond as the full RFC 3339 parse.
func FuzzUTCMillisAgreesWithTimeParse(f *testing.F) {
	for _, s := range utcSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, ok := utcMillis([]byte(s))
		if !ok {
			return
		}
		ref, refOK := parseRFC3339([]byte(s))
		if !refOK || ref.Before(minTime) {
			t.Fatalf("fast path reads %q as %d, time.Parse rejects it", s, ms)
		}
		if ref.UnixMilli() != ms {
			t.Fatalf("%q: fast path %d ms, time.Parse %d ms", s, ms, ref.UnixMilli())
		}
	})
}

// TestUTCMillisTakesTheCommonShapes: the shapes devices send take the fast
// path (so the fuzz target above is not vacuous) and the rest do not.
func TestUTCMillisTakesTheCommonShapes(t *testing.T) {
	for s, want := range map[string]bool{
		"2025-01-01T00:00:00Z": true, "2025-01-01 00:00:00.123z": true, "2024-02-29T23:59:59.999999999Z": true,
		"2025-01-01T00:00:00+00:00": false, "2016-12-31T23:59:60Z": false, "2023-02-29T00:00:00Z": false,
	} {
		if _, ok := utcMillis([]byte(s)); ok != want {
			t.Errorf("%s: fast path %v, want %v", s, ok, want)
		}
	}
	for _, s := range utcSeeds {
		ms, ok := utcMillis([]byte(s))
		ref, refOK := parseRFC3339([]byte(s))
		if ok && (!refOK || ref.UnixMilli() != ms) {
			t.Errorf("%s: fast %d, time.Parse %v %d", s, ms, refOK, ref.UnixMilli())
		}
	}
}

var flatSeeds = []string{
	`{"device_id":"sensor-042","timestamp":"2025-06-01T10:00:00Z","temperature":21.53,"humidity":40.2,"status":"ok"}`,
	`{"device_id":"d","timestamp":1748772000,"temperature":"21.5"}`,
	`{"device_id":"d","timestamp":1748772000123,"temperature":-0.5e2,"ok":true,"x":null}`,
	`{"device_id":"d","timestamp":1.7487720005e9,"temperature":1}`,
	`{"device_id":"d","timestamp":"2025-06-01T10:00:00.123456Z","pressure":3}`,
	`{"device_id":"d","timestamp":"2025-06-01T10:00:00+02:00","temperature":1}`,
	`{"device_id":"d","timestamp":"2099-06-01T10:00:00Z","temperature":1}`,
	`{"device_id":"d","timestamp":1748772000,"temperature":"abc"}`,
	`{"device_id":"d","timestamp":1748772000,"temperature":1e400}`,
	`{"device_id":"d","timestamp":1748772000,"temperature":[1]}`,
	`{"device_id":"d","timestamp":1748772000,"a":{"b":1}}`,
	`{"device_id":"d","device_id":"e","timestamp":1748772000,"temperature":1}`,
	`{"device_id":"","timestamp":1748772000,"temperature":1}`,
	`{"device_id":"a` + "\x7f" + `","timestamp":1748772000,"temperature":1}`,
	`{"device_id":7,"timestamp":1748772000,"temperature":1}`,
	`{ "device_id" : "d" , "timestamp" : 1748772000 , "temperature" : 1 }`,
	`{"device_id":"d","timestamp":-5,"temperature":1}`,
	`{"device_id":"d","timestamp":1748772000,"humidity":2}`,
	`{"device_id":"d","timestamp":1748772000,"temperature":0.30000000000000000001234,"h":123456789012345678901.5e-3}`,
	`{"device_id":"d","timestamp":99999999999999999999,"temperature":1}`,
	`{"device_id":"d","timestamp":1748772000,"temperature":1e-400,"h":-0}`,
	`{"device_id":"d","timestamp":1748772000}`, `{}`, `{"a":1}`, `{"a":1,}`, `{"device_id":"d",}`,
}

// flatOptions are option sets the flat path serves (every named field a
// top-level key), each with the fuzz clock.
var flatOptions = []DecodeOptions{
	{},
	{Metrics: "all", Required: []string{"temperature"}},
	{Metrics: "temperature,pressure:p,humidity", TimestampUnit: "s"},
	{Metrics: "all,temperature:t", TimestampUnit: "ms", Required: []string{"t", "humidity"}},
	{DeviceField: "id", TimestampField: "ts", Metrics: "all"},
}

// FuzzFlatPathAgreesWithFullPath: under every option set, a record the
// flat path decodes decodes to the very same Reading (and coerced count)
// on the full path, and the flat path declines no plain flat record the
// full path accepts under the default options.
func FuzzFlatPathAgreesWithFullPath(f *testing.F) {
	for _, s := range flatSeeds {
		f.Add([]byte(s))
	}
	seedDecoders(f, "sensors")
	f.Fuzz(func(t *testing.T, b []byte) {
		for i, o := range flatOptions {
			o.NowMs = fuzzOpts.NowMs
			flat := ReadingDecoder{Options: o}
			full := ReadingDecoder{Options: o, fullOnly: true}
			rf, errFlat := flat.Decode(b)
			rr, errFull := full.Decode(b)
			if errFull != nil {
				if errFlat == nil {
					t.Fatalf("options %d: flat path accepts %q, the full path rejects it: %v", i, b, errFull)
				}
				if errFlat.Error() != errFull.Error() {
					t.Fatalf("options %d: %q: flat path says %v, full path %v", i, b, errFlat, errFull)
				}
				continue
			}
			if errFlat != nil {
				t.Fatalf("options %d: full path accepts %q, flat path rejects it: %v", i, b, errFlat)
			}
			if !sameReading(rf, rr) || flat.TakeCoerced() != full.TakeCoerced() || flat.hint != full.hint {
				t.Fatalf("options %d: %q: flat path %+v, full path %+v", i, b, rf, rr)
			}
		}
	})
}

func sameReading(a, b Reading) bool {
	if a.DeviceID != b.DeviceID || a.EventTimeMs != b.EventTimeMs || string(a.Raw) != string(b.Raw) || len(a.Metrics) != len(b.Metrics) {
		return false
	}
	for i := range a.Metrics {
		if a.Metrics[i].Name != b.Metrics[i].Name || math.Float64bits(a.Metrics[i].Value) != math.Float64bits(b.Metrics[i].Value) {
			return false
		}
	}
	return true
}

// TestFlatPathTakesDeviceRecords: the records devices send do take the
// flat path (so the fuzz target above compares something).
func TestFlatPathTakesDeviceRecords(t *testing.T) {
	for _, s := range flatSeeds[:5] {
		d := ReadingDecoder{Options: DecodeOptions{NowMs: fuzzOpts.NowMs, Metrics: "all"}}
		d.c = mustCompile(d.Options)
		if _, ok := d.decodeFlat([]byte(s)); !ok {
			t.Errorf("flat path declines %s", s)
		}
	}
}

// TestDeepNestingNamesTheDepth: a record nested past fastjson's limit is
// rejected for its depth, before fastjson wraps one error per level (4 s
// of CPU for 7,000 levels).
func TestDeepNestingNamesTheDepth(t *testing.T) {
	deep := `{"device_id":"d","timestamp":"2025-06-01T10:00:00Z","temperature":1,"x":` +
		strings.Repeat(`{"a":`, 7000) + "1" + strings.Repeat("}", 7000) + "}"
	d := ReadingDecoder{Options: fuzzOpts}
	_, err := d.Decode([]byte(deep))
	if err == nil || !strings.Contains(err.Error(), "nested more than 300 levels deep") {
		t.Fatalf("got %v, want the depth named", err)
	}
	ok := `{"device_id":"d","timestamp":"2025-06-01T10:00:00Z","temperature":1,"x":` +
		strings.Repeat(`["]",`, 250) + "1" + strings.Repeat("]", 250) + "}"
	if _, err := d.Decode([]byte(ok)); err != nil {
		t.Fatalf("250 levels, brackets inside strings: %v", err)
	}
}

// TestWideRecordsBothPaths: records of many fields (duplicate keys and
// mapped metrics are checked in time linear in them past a few) decode to
// the same reading on both paths, take the flat path, and a key repeated
// far from its first use is still rejected.
func TestWideRecordsBothPaths(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"device_id":"d","timestamp":"2025-06-01T10:00:00Z","temperature":1,"t":2`)
	for k := range 300 {
		fmt.Fprintf(&b, `,"f%d":%d.5`, k, k)
	}
	wide := b.String() + "}"
	dup := b.String() + `,"f7":1}`
	for i, o := range flatOptions {
		o.NowMs = fuzzOpts.NowMs
		flat := ReadingDecoder{Options: o}
		full := ReadingDecoder{Options: o, fullOnly: true}
		rf, errFlat := flat.Decode([]byte(wide))
		rr, errFull := full.Decode([]byte(wide))
		if (errFlat == nil) != (errFull == nil) || errFlat == nil && !sameReading(rf, rr) {
			t.Fatalf("options %d: flat path %+v, %v; full path %+v, %v", i, rf, errFlat, rr, errFull)
		}
		if _, err := flat.Decode([]byte(dup)); o.DeviceField == "" && (err == nil || !strings.Contains(err.Error(), `"f7"`) || !strings.Contains(err.Error(), "more than once")) {
			t.Errorf("options %d: a key repeated 300 fields on: %v", i, err)
		}
	}
	d := ReadingDecoder{Options: DecodeOptions{NowMs: fuzzOpts.NowMs, Metrics: "all,temperature:t"}}
	d.c = mustCompile(d.Options)
	r, ok := d.decodeFlat([]byte(wide))
	if !ok || len(r.Metrics) != 302 || r.Metrics[0] != (Metric{Name: "t", Value: 1}) || r.Metrics[2] != (Metric{Name: "f0", Value: 0.5}) {
		t.Fatalf("flat path on a wide record: ok %v, %d metrics, first %+v", ok, len(r.Metrics), r.Metrics[:min(3, len(r.Metrics))])
	}
}
