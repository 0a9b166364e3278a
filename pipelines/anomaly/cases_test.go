package anomaly

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/dedup"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/transforms/windowstats"
)

// The cases of testdata/cases are readings as real devices send them
// (issue 17): each runs through the whole pipeline on prism with the
// threshold detector (temperature > 100, or the case's metric and limit).

type caseRun struct {
	anomalies, stats, dead []map[string]any
}

func runCase(t *testing.T, fixture string, dec decode.Options, dd dedup.Options, metric string, threshold float64) caseRun {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	cfg := config(t, filepath.Join("..", "..", "testdata", "cases", fixture), out)
	if metric == "" {
		metric = "temperature"
	}
	dec.Required = []string{metric}
	cfg.Decode, cfg.Dedup = dec, dd
	cfg.Detect = detect.Options{Detectors: []string{"threshold"}, Metric: metric, Threshold: new(threshold)}
	cfg.Window = windowstats.Options{Size: 5 * time.Minute}
	p, s := beam.NewPipelineWithRoot()
	Build(s, cfg)
	ptest.RunAndValidate(t, p)
	var r caseRun
	for name, dst := range map[string]*[]map[string]any{"anomalies": &r.anomalies, "window_stats": &r.stats, "deadletters": &r.dead} {
		for _, line := range readLines(t, filepath.Join(out, name+".jsonl")) {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%s: %v: %s", name, err, line)
			}
			*dst = append(*dst, m)
		}
	}
	return r
}

func field(ms []map[string]any, key string) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprint(m[key]))
	}
	sort.Strings(out)
	return out
}

func want(t *testing.T, what string, got []string, w ...string) {
	t.Helper()
	sort.Strings(w)
	if strings.Join(got, "|") != strings.Join(w, "|") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, w)
	}
}

func TestCaseNestedPayload(t *testing.T) {
	// Unmapped: the three hot readings are not silently judged normal; each
	// is a dead letter naming the metric and the fields it had.
	r := runCase(t, "nested-payload.jsonl", decode.Options{}, dedup.Options{}, "", 100)
	want(t, "anomalies", field(r.anomalies, "device_id"))
	want(t, "dead letters", field(r.dead, "error"),
		`missing metric "temperature"; fields present: SI7021, TempUnit`,
		`missing metric "temperature"; fields present: state`,
		`missing metric "temperature"; fields present: Temperature, Humidity`)
	// Mapped: every hot reading is flagged once, under the one name.
	r = runCase(t, "nested-payload.jsonl", decode.Options{Metrics: "all,SI7021.Temperature:temperature,state.reported.temperature:temperature,Temperature:temperature"}, dedup.Options{}, "", 100)
	want(t, "anomalies", field(r.anomalies, "score"), "109", "131.2", "140.5")
	want(t, "dead letters", field(r.dead, "error"))
}

func TestCaseStringNumbers(t *testing.T) {
	r := runCase(t, "string-numbers.jsonl", decode.Options{}, dedup.Options{}, "", 100)
	want(t, "temperature anomalies", field(r.anomalies, "score"), "117.25")
	want(t, "dead letters", field(r.dead, "error"), `field "temperature": must be a number, got string "warm" (only a plain decimal string counts as a number)`)

	r = runCase(t, "string-numbers.jsonl", decode.Options{}, dedup.Options{}, "pressure", 1500)
	want(t, "pressure anomalies", field(r.anomalies, "score"), "1611")
	// The quoted pressure counts in the window too: 1611 and 1002.5 (the
	// reading with "warm" is a dead letter whatever is scored).
	for _, s := range r.stats {
		if s["metric"] == "pressure" && (s["count"] != 2.0 || s["max"] != 1611.0) {
			t.Errorf("pressure window %v, want 2 readings up to 1611", s)
		}
	}
	// The first reading has no pressure and the last a temperature that is
	// no number: both dead letters.
	if len(r.dead) != 2 {
		t.Errorf("dead letters %v, want 2", field(r.dead, "error"))
	}
}

func TestCaseEpochSeconds(t *testing.T) {
	r := runCase(t, "epoch-seconds.jsonl", decode.Options{}, dedup.Options{}, "", 100)
	want(t, "anomalies at", field(r.anomalies, "timestamp"), "1.74090246e+09")
	want(t, "windows", field(r.stats, "window_start"), "2025-03-02T08:00:00Z")
	if len(r.stats) == 1 && r.stats[0]["count"] != 3.0 {
		t.Errorf("window %v, want 3 readings", r.stats[0])
	}
	want(t, "dead letters", field(r.dead, "error"))
}

func TestCaseTimestampFormats(t *testing.T) {
	r := runCase(t, "timestamp-formats.jsonl", decode.Options{}, dedup.Options{}, "", 100)
	// Accepted: RFC 3339 with a space, with a fraction, in lower case, and
	// epoch microseconds.
	want(t, "accepted", field(r.anomalies, "score"), "153", "154", "155", "157")
	want(t, "dead letters", field(r.dead, "error"),
		`field "timestamp": is not an RFC 3339 time: "2025-03-02 08:00:00" has no time zone; give --timezone=NAME for the zone it is in (and --timestamp-format=LAYOUT for other layouts)`,
		`field "timestamp": is not an RFC 3339 time: "2025-03-02T08:00:02" has no time zone; give --timezone=NAME for the zone it is in (and --timestamp-format=LAYOUT for other layouts)`,
		`field "timestamp": is not an RFC 3339 time: "2025-03-02T08:00:04+0000" (for another layout give --timestamp-format=LAYOUT, and --timezone=NAME if it has no zone)`,
		`field "timestamp": is not an RFC 3339 time: "1740902412000" (for another layout give --timestamp-format=LAYOUT, and --timezone=NAME if it has no zone)`)
	// With a zone for zone-less times, and a layout for +0000, all but the
	// epoch in a string are read.
	r = runCase(t, "timestamp-formats.jsonl", decode.Options{Timezone: "UTC"}, dedup.Options{}, "", 100)
	want(t, "accepted with --timezone", field(r.anomalies, "score"), "150", "151", "153", "154", "155", "157")
}

func TestCaseDuplicates(t *testing.T) {
	r := runCase(t, "duplicates.jsonl", decode.Options{}, dedup.Options{Key: "reading_id"}, "", 100)
	want(t, "anomalies", field(r.anomalies, "reading_id"), "x2")
	if len(r.stats) != 1 || r.stats[0]["count"] != 3.0 || r.stats[0]["mean"] != 60.0 {
		t.Errorf("window stats %v, want one window of 3 readings, mean 60", r.stats)
	}
	r = runCase(t, "duplicates.jsonl", decode.Options{}, dedup.Options{Key: "device_id+timestamp"}, "", 100)
	want(t, "anomalies by device_id+timestamp", field(r.anomalies, "reading_id"), "x2")
}
