package events

import (
	"fmt"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	cases := []struct {
		in   string
		keys []string
	}{
		{"device_id", []string{"device_id"}},
		{"state.reported.ts", []string{"state", "reported", "ts"}},
		{`a\.b.c`, []string{"a.b", "c"}},
		{`x\\.y`, []string{`x\`, "y"}},
		{`tag\:1`, []string{"tag:1"}},
	}
	for _, c := range cases {
		p, err := ParsePath(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if fmt.Sprint(p.keys) != fmt.Sprint(c.keys) {
			t.Errorf("%s: keys %q, want %q", c.in, p.keys, c.keys)
		}
	}
	for _, bad := range []string{"", ".a", "a.", "a..b", `a\`} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) accepted it", bad)
		}
	}
}

func TestParseMetrics(t *testing.T) {
	mapped, all, err := ParseMetrics(`DHT11.Temperature:temperature,all,a\.b,c\:d:e\,f`)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, m := range mapped {
		got += fmt.Sprintf("%q->%s|", m.Path.keys, m.Name)
	}
	if want := `["DHT11" "Temperature"]->temperature|["a.b"]->a\.b|["c:d"]->e,f|`; got != want || !all {
		t.Fatalf("got %s all=%v, want %s all=true", got, all, want)
	}
	if _, all, _ := ParseMetrics("x"); all {
		t.Error(`"x" alone turned on all`)
	}
	if _, all, _ := ParseMetrics(""); !all {
		t.Error(`"" is not all`)
	}
}

// TestMetricPaths decodes the same kinds of records under several
// mappings: nested, capitalised, keys with dots, arrays and strings.
func TestMetricPaths(t *testing.T) {
	const head = `{"device_id":"d","timestamp":"2025-06-01T10:00:00Z",`
	cases := []struct {
		name, metrics, body string
		want                string // metrics as name=value, or the dead letter's reason
	}{
		{"flat default", "", `"temperature":21.5,"humidity":40,"note":"x"}`, "temperature=21.5 humidity=40"},
		{"nested", "DHT11.Temperature:temperature", `"DHT11":{"Temperature":118.4,"Humidity":40},"TempUnit":"C"}`, "temperature=118.4"},
		{"shadow", "state.reported.temperature:temperature", `"state":{"reported":{"temperature":121}}}`, "temperature=121"},
		{"capitalised", "Temperature:temperature", `"Temperature":125,"Humidity":40}`, "temperature=125"},
		{"unnamed path keeps its text", "DHT11.Humidity", `"DHT11":{"Temperature":1,"Humidity":40}}`, "DHT11.Humidity=40"},
		{"key with a dot", `sensor\.1.t:t`, `"sensor.1":{"t":7}}`, "t=7"},
		{"all plus mapped", "all,a.b:x", `"a":{"b":2},"humidity":40,"x":99}`, "x=2 humidity=40"},
		{"alternatives, first present wins", "a.t:temperature,b.t:temperature", `"b":{"t":4},"a":{"t":3}}`, "temperature=3"},
		{"alternatives, second", "a.t:temperature,b.t:temperature", `"b":{"t":4}}`, "temperature=4"},
		{"top-level field of a mapped name when the path is absent", "all,a.t:temperature", `"temperature":19.5}`, "temperature=19.5"},
		{"only mapped fields", "a.b:x", `"a":{"b":2},"humidity":40}`, "x=2"},
		{"missing path is no metric", "a.b:x,c:y", `"c":3}`, "y=3"},
		{"path through a scalar", "a.b:x,c:y", `"a":5,"c":3}`, "y=3"},
		{"string number in a path", "a.b:x", `"a":{"b":"1520.5"}}`, "x=1520.5"},
		{"array value", "a.b:x", `"a":{"b":[1,2]}}`, `field "a.b": is an array`},
		{"array on the way", "a.b:x", `"a":[{"b":1}]}`, `field "a.b": is an array or lies inside one`},
		{"object value", "a:x", `"a":{"b":1}}`, `field "a": must be a number, got object`},
		{"null value", "a:x", `"a":null}`, `field "a": must be a number, got null`},
		{"word in a path", "a.b:x", `"a":{"b":"hot"}}`, `field "a.b": must be a number, got string "hot"`},
		{"overflow in a path", "a.b:x", `"a":{"b":1e400}}`, `field "a.b": is not a finite number`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow, Metrics: c.metrics}}
			r, err := d.Decode([]byte(head + c.body))
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				for i, m := range r.Metrics {
					if i > 0 {
						got += " "
					}
					got += fmt.Sprintf("%s=%g", m.Name, m.Value)
				}
			}
			if !strings.HasPrefix(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestStringNumbers(t *testing.T) {
	const head = `{"device_id":"d","timestamp":0,`
	for _, c := range []struct {
		body, metric string
		want         float64
		coerced      int
		reason       string
	}{
		{`"temperature":"101.5"}`, "temperature", 101.5, 1, ""},
		{`"temperature":20,"pressure":"1520.5"}`, "pressure", 1520.5, 1, ""},
		{`"temperature":"-3e2"}`, "temperature", -300, 1, ""},
		{`"temperature":"0"}`, "temperature", 0, 1, ""},
		{`"temperature":20.1,"pressure":1013.2}`, "pressure", 1013.2, 0, ""},
		{`"temperature":20,"label":"12"}`, "temperature", 20, 0, ""}, // not scored: passes through as text
		{`"temperature":"nan"}`, "temperature", 0, 0, `must be a number, got string "nan"`},
		{`"temperature":"inf"}`, "temperature", 0, 0, `must be a number, got string "inf"`},
		{`"temperature":"hot"}`, "temperature", 0, 0, `must be a number, got string "hot"`},
		{`"temperature":" 5"}`, "temperature", 0, 0, "must be a number"},
		{`"temperature":"0x10"}`, "temperature", 0, 0, "must be a number"},
		{`"temperature":"1,5"}`, "temperature", 0, 0, "must be a number"},
		{`"temperature":"01"}`, "temperature", 0, 0, "must be a number"},
		{`"temperature":"1e400"}`, "temperature", 0, 0, "not a finite number"},
		{`"temperature":20,"pressure":"high"}`, "pressure", 0, 0, `field "pressure": must be a number`},
	} {
		d := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow, Required: []string{c.metric}}}
		r, err := d.Decode([]byte(head + c.body))
		if c.reason != "" {
			if err == nil || !strings.Contains(err.Error(), c.reason) {
				t.Errorf("%s: err = %v, want %q", c.body, err, c.reason)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.body, err)
			continue
		}
		if v, ok := r.Metric(c.metric); !ok || v != c.want {
			t.Errorf("%s: %s = %v (%v), want %v", c.body, c.metric, v, ok, c.want)
		}
		if n := d.TakeCoerced(); n != c.coerced {
			t.Errorf("%s: coerced %d, want %d", c.body, n, c.coerced)
		}
		if _, ok := r.Metric("label"); ok {
			t.Errorf("%s: an unscored string field became a metric", c.body)
		}
	}
}

func TestMissingMetric(t *testing.T) {
	d := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow, Required: []string{"temperature"}}}
	_, err := d.Decode([]byte(`{"device_id":"tasmota-9","timestamp":"2025-06-01T10:00:00Z","DHT11":{"Temperature":99.1,"Humidity":40},"TempUnit":"C"}`))
	if err == nil || err.Error() != `missing metric "temperature"; fields present: DHT11, TempUnit` {
		t.Fatalf("err = %v", err)
	}
	_, err = d.Decode([]byte(`{"device_id":"x","timestamp":0}`))
	if err == nil || err.Error() != `missing metric "temperature"; fields present: none` {
		t.Fatalf("err = %v", err)
	}
	if _, err := d.Decode([]byte(`{"device_id":"x","timestamp":0,"temperature":3}`)); err != nil {
		t.Fatal(err)
	}
	if h := d.MissingHint(false); h != "" {
		t.Fatalf("hint before 20 readings and not final: %q", h)
	}
	h := d.MissingHint(true)
	if want := `2 of the first 3 readings have no metric "temperature"; did you mean DHT11.Temperature? (--metrics=DHT11.Temperature:temperature)`; h != want {
		t.Fatalf("hint %q, want %q", h, want)
	}
	if d.MissingHint(true) != "" {
		t.Fatal("hint given twice")
	}

	// Several scored metrics: one of them is enough.
	d = ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow, Required: []string{"temperature", "pressure"}}}
	if _, err := d.Decode([]byte(`{"device_id":"x","timestamp":0,"pressure":3}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Decode([]byte(`{"device_id":"x","timestamp":0,"Pressure":3}`)); err == nil || !strings.HasPrefix(err.Error(), `missing metrics "temperature", "pressure"; fields present: Pressure`) {
		t.Fatalf("err = %v", err)
	}
}

func TestMissingHintCapitalised(t *testing.T) {
	d := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow, Required: []string{"temperature"}}}
	for i := 0; i < 25; i++ {
		d.Decode([]byte(fmt.Sprintf(`{"device_id":"x","timestamp":%d,"Temperature":%d,"Humidity":40}`, i, i)))
		if h := d.MissingHint(false); h != "" {
			if i != hintSample-1 {
				t.Fatalf("hint after %d readings", i+1)
			}
			if !strings.Contains(h, "did you mean Temperature? (--metrics=Temperature:temperature)") {
				t.Fatalf("hint %q", h)
			}
			return
		}
	}
	t.Fatal("no hint")
}
