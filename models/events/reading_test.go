package events

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var fixedNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

func TestReadingDecodeAccepts(t *testing.T) {
	d := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow}}
	cases := []struct {
		name, in string
		wantTime int64
		wantTemp float64
		metrics  int
	}{
		{"rfc3339", `{"device_id":"d1","timestamp":"2025-06-01T10:00:00Z","temperature":42.5}`, 1748772000000, 42.5, 1},
		{"epoch ms", `{"device_id":"d1","timestamp":1748772000000,"temperature":101,"humidity":30}`, 1748772000000, 101, 2},
		{"bom crlf", "\ufeff{\"device_id\":\"d\",\"timestamp\":0,\"temperature\":1}\r\n", 0, 1, 1},
		{"offset zone", `{"device_id":"d","timestamp":"2025-06-01T12:00:00+02:00","temperature":1}`, 1748772000000, 1, 1},
		{"passthrough", `{"device_id":"d","timestamp":0,"temperature":1,"reading_id":"r-7","tags":{"x":[1,2]},"ok":true,"note":null}`, 0, 1, 1},
		{"256-byte id", `{"device_id":"` + strings.Repeat("a", 256) + `","timestamp":0}`, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := d.Decode([]byte(c.in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if r.EventTimeMs != c.wantTime {
				t.Errorf("time = %d, want %d", r.EventTimeMs, c.wantTime)
			}
			if len(r.Metrics) != c.metrics {
				t.Errorf("metrics = %v, want %d of them", r.Metrics, c.metrics)
			}
			if got, _ := r.Metric("temperature"); got != c.wantTemp {
				t.Errorf("temperature = %v, want %v", got, c.wantTemp)
			}
			if !json.Valid(r.Raw) || r.Raw[0] != '{' {
				t.Errorf("raw not a trimmed JSON object: %q", r.Raw)
			}
		})
	}
}

func TestReadingDecodeRejects(t *testing.T) {
	d := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow}}
	cases := []struct{ name, in, field, reason string }{
		{"not json", `hello`, "", "not a JSON object"},
		{"truncated", `{"device_id":"d","timestamp":0`, "", "malformed JSON"},
		{"array", `[1,2]`, "", "not a JSON object"},
		{"missing id", `{"timestamp":0,"temperature":1}`, "device_id", "required"},
		{"empty id", `{"device_id":"","timestamp":0}`, "device_id", "1-256 bytes"},
		{"long id", `{"device_id":"` + strings.Repeat("a", 257) + `","timestamp":0}`, "device_id", "1-256 bytes"},
		{"id number", `{"device_id":7,"timestamp":0}`, "device_id", "must be a string"},
		{"missing ts", `{"device_id":"d","temperature":1}`, "timestamp", "required"},
		{"bad ts", `{"device_id":"d","timestamp":"yesterday"}`, "timestamp", "RFC 3339"},
		{"negative ts", `{"device_id":"d","timestamp":-5}`, "timestamp", "out of range"},
		{"pre-1970", `{"device_id":"d","timestamp":"1969-12-31T23:59:59Z"}`, "timestamp", "before 1970"},
		{"future", `{"device_id":"d","timestamp":"2026-01-03T00:00:00Z"}`, "timestamp", "in the future"},
		{"far future", `{"device_id":"d","timestamp":"9999-12-31T23:59:59Z"}`, "timestamp", "in the future: 7974 years ahead"},
		{"huge ts", `{"device_id":"d","timestamp":1e300}`, "timestamp", "out of range"},
		{"ts bool", `{"device_id":"d","timestamp":true}`, "timestamp", "RFC 3339 string or an epoch number"},
		{"temp string", `{"device_id":"d","timestamp":0,"temperature":"hot"}`, "temperature", "must be a number"},
		{"temp null", `{"device_id":"d","timestamp":0,"temperature":null}`, "temperature", "must be a number"},
		{"nan", `{"device_id":"d","timestamp":0,"temperature":NaN}`, "", "malformed JSON"},
		{"infinity", `{"device_id":"d","timestamp":0,"temperature":Infinity}`, "", "malformed JSON"},
		{"overflow", `{"device_id":"d","timestamp":0,"temperature":1e400}`, "temperature", "finite"},
		{"overflow other metric", `{"device_id":"d","timestamp":0,"pressure":-1e400}`, "pressure", "finite"},
		{"duplicate", `{"device_id":"d","timestamp":0,"temperature":1,"temperature":200}`, "temperature", "more than once"},
		{"bad utf8", "{\"device_id\":\"d\xff\",\"timestamp\":0}", "", "UTF-8"},
		{"control char", "{\"device_id\":\"d\x01\",\"timestamp\":0}", "", "malformed JSON"},
		{"trailing garbage", `{"device_id":"d","timestamp":0} x`, "", "malformed JSON"},
		{"too large", `{"device_id":"d","timestamp":0,"pad":"` + strings.Repeat("x", MaxRecordBytes) + `"}`, "", "over the"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := d.Decode([]byte(c.in))
			if err == nil {
				t.Fatal("Decode accepted a bad record")
			}
			fe, ok := err.(*FieldError)
			if !ok {
				t.Fatalf("error %T is not a *FieldError", err)
			}
			if fe.Field != c.field || !strings.Contains(fe.Reason, c.reason) {
				t.Errorf("got field %q reason %q; want field %q reason containing %q", fe.Field, fe.Reason, c.field, c.reason)
			}
		})
	}
}

func TestMaxFutureConfigurable(t *testing.T) {
	in := []byte(`{"device_id":"d","timestamp":"2026-01-01T06:00:00Z"}`)
	strict := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow, MaxFuture: time.Hour}}
	if _, err := strict.Decode(in); err == nil {
		t.Error("MaxFuture=1h accepted a reading 6h ahead")
	}
	off := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow, MaxFuture: -1}}
	if _, err := off.Decode([]byte(`{"device_id":"d","timestamp":"2090-01-01T00:00:00Z"}`)); err != nil {
		t.Errorf("MaxFuture<0 should disable the check: %v", err)
	}
}

func TestAnomalyJSONKeepsReadingFields(t *testing.T) {
	d := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow}}
	r, err := d.Decode([]byte(`{"reading_id":"r-1","device_id":"d","timestamp":0,"temperature":105.50,"score":"mine"}`))
	if err != nil {
		t.Fatal(err)
	}
	a := Anomaly{Reading: r, Detector: "threshold", Metric: "temperature", Score: 105.5, Threshold: 100,
		Baseline: []Metric{{"upper", 100}}}
	out := a.AppendJSON(nil)
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("anomaly JSON invalid: %v\n%s", err, out)
	}
	if m["reading_id"] != "r-1" || m["anomaly"] != true || m["detector"] != "threshold" || m["score"] != 105.5 || m["threshold"] != 100.0 {
		t.Errorf("unexpected anomaly %s", out)
	}
	if strings.Count(string(out), `"score"`) != 1 {
		t.Errorf("duplicate key in %s", out)
	}
	// The number keeps its text exactly as it arrived.
	if !strings.Contains(string(out), `"temperature":105.50`) {
		t.Errorf("temperature text changed: %s", out)
	}
}

func TestAppendStringIsValidJSON(t *testing.T) {
	for _, s := range []string{"plain", "q\"b\\", "ctl\x00\x1f\n\t", "bad\xffutf8", "ünï€😀"} {
		b := AppendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("AppendString(%q) = %s: %v", s, b, err)
		}
		want, _ := json.Marshal(s)
		var w string
		_ = json.Unmarshal(want, &w)
		if got != w {
			t.Errorf("AppendString(%q) round-trips to %q, want %q", s, got, w)
		}
	}
}

func TestDeadLetterJSON(t *testing.T) {
	big := strings.Repeat("é", MaxDeadLetterRaw) // 2 bytes a rune: cut mid-rune
	for _, raw := range []string{"short", big, "bin\xff\xfe"} {
		dl := NewDeadLetter("decode", "why", []byte(raw), "f.jsonl:3")
		var m map[string]any
		if err := json.Unmarshal(dl.AppendJSON(nil), &m); err != nil {
			t.Fatalf("dead letter JSON invalid: %v", err)
		}
		if m["stage"] != "decode" || m["source"] != "f.jsonl:3" || m["raw_bytes"] != float64(len(raw)) {
			t.Errorf("unexpected dead letter %v", m)
		}
		_, hasRaw := m["raw"]
		_, hasB64 := m["raw_base64"]
		if hasRaw == hasB64 {
			t.Errorf("want exactly one of raw, raw_base64: %v", m)
		}
		if (len(raw) > MaxDeadLetterRaw) != (m["raw_truncated"] == true) {
			t.Errorf("raw_truncated wrong for %d bytes", len(raw))
		}
	}
}
