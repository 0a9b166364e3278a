package anomaly

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/synth"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/endpoint"
)

func TestMain(m *testing.M) {
	ptest.MainWithDefault(m, "prism")
}

// writeStream generates n labelled readings into dir and returns the path.
func writeStream(t *testing.T, dir string, n int, seed uint64) string {
	t.Helper()
	path := filepath.Join(dir, "sensors.jsonl")
	var data, labels bytes.Buffer
	if err := synth.Sensors(&data, &labels, synth.SensorOptions{N: n, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".labels.jsonl", labels.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// expectation is computed from the input with encoding/json and the labels,
// independently of the pipeline's decoder.
type expectation struct {
	lines, malformed int
	anomalyIDs       []string // reading_id of every reading with temperature > 100
}

func expect(t *testing.T, path string, threshold float64) expectation {
	t.Helper()
	var e expectation
	data := readLines(t, path)
	labels := readLines(t, path+".labels.jsonl")
	for i, line := range data {
		e.lines++
		var l synth.SensorLabel
		if err := json.Unmarshal([]byte(labels[i]), &l); err != nil {
			t.Fatal(err)
		}
		if l.Kind == synth.KindMalformed {
			e.malformed++
			continue
		}
		var r struct {
			Temperature float64 `json:"temperature"`
			ReadingID   string  `json:"reading_id"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d labelled %s does not parse: %v", i+1, l.Kind, err)
		}
		if r.Temperature > threshold {
			e.anomalyIDs = append(e.anomalyIDs, r.ReadingID)
		}
	}
	sort.Strings(e.anomalyIDs)
	return e
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func config(t *testing.T, input, output string) Config {
	t.Helper()
	in, err := endpoint.Parse(input)
	if err != nil {
		t.Fatal(err)
	}
	out, err := endpoint.Parse(output)
	if err != nil {
		t.Fatal(err)
	}
	// Generated streams are dated 2025: in the past, so the default future
	// check applies unchanged.
	return Config{Input: in, Output: out, Decode: decode.Options{}}
}

func anomalyIDs(t *testing.T, path string) []string {
	t.Helper()
	var ids []string
	for _, line := range readLines(t, path) {
		var a map[string]any
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("anomaly is not JSON: %v: %s", err, line)
		}
		if a["anomaly"] != true || a["detector"] != "threshold" || a["metric"] != "temperature" || a["threshold"] != 100.0 {
			t.Errorf("anomaly fields wrong: %s", line)
		}
		if a["score"] != a["temperature"] {
			t.Errorf("score should be the temperature: %s", line)
		}
		ids = append(ids, a["reading_id"].(string))
	}
	sort.Strings(ids)
	return ids
}

func TestThresholdConservesEveryRecord(t *testing.T) {
	dir := t.TempDir()
	input := writeStream(t, dir, 20000, 11)
	want := expect(t, input, 100)
	if len(want.anomalyIDs) < 20 || want.malformed < 20 {
		t.Fatalf("stream too tame to test with: %+v", want)
	}
	outDir := filepath.Join(dir, "out")

	p, s := beam.NewPipelineWithRoot()
	res := Build(s, config(t, input, outDir))
	passert.Count(s, res.Anomalies, "anomalies", len(want.anomalyIDs))
	passert.Count(s, res.DeadLetters, "dead letters", want.malformed)
	ptest.RunAndValidate(t, p)

	got := anomalyIDs(t, filepath.Join(outDir, "anomalies.jsonl"))
	if strings.Join(got, ",") != strings.Join(want.anomalyIDs, ",") {
		t.Errorf("anomalies differ from the readings above 100:\n got %d %v\nwant %d %v", len(got), got, len(want.anomalyIDs), want.anomalyIDs)
	}
	dead := readLines(t, filepath.Join(outDir, "deadletters.jsonl"))
	parsed := want.lines - want.malformed
	if len(dead)+parsed != want.lines {
		t.Errorf("lines in %d != parsed %d + dead letters %d", want.lines, parsed, len(dead))
	}
	for _, d := range dead {
		var m map[string]any
		if err := json.Unmarshal([]byte(d), &m); err != nil || m["stage"] == "" || m["error"] == "" || m["source"] == "" {
			t.Errorf("bad dead letter %s (%v)", d, err)
		}
	}
}

// TestDirectMatchesPrism runs the same pipeline on both local runners and
// requires identical outputs (dead letters compared without their time).
func TestDirectMatchesPrism(t *testing.T) {
	dir := t.TempDir()
	input := writeStream(t, dir, 5000, 5)
	outputs := map[string][]string{}
	for _, runner := range []string{"prism", "direct"} {
		out := filepath.Join(dir, runner)
		p, s := beam.NewPipelineWithRoot()
		Build(s, config(t, input, out))
		if _, err := beam.Run(context.Background(), runner, p); err != nil {
			t.Fatalf("%s: %v", runner, err)
		}
		var all []string
		for _, stream := range []string{AnomaliesStream, WindowStatsStream, DeadLettersStream} {
			for _, line := range readLines(t, filepath.Join(out, stream+".jsonl")) {
				all = append(all, stream+" "+withoutTime(t, line))
			}
		}
		sort.Strings(all)
		outputs[runner] = all
	}
	if len(outputs["prism"]) == 0 {
		t.Fatal("no output at all")
	}
	if strings.Join(outputs["prism"], "\n") != strings.Join(outputs["direct"], "\n") {
		t.Errorf("prism and direct disagree: %d vs %d lines", len(outputs["prism"]), len(outputs["direct"]))
	}
}

func withoutTime(t *testing.T, line string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["stage"]; ok {
		delete(m, "time")
	}
	b, _ := json.Marshal(m)
	return string(b)
}
